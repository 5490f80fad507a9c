from django.apps import AppConfig


class MentaraSeedConfig(AppConfig):
    name = "mentara_seed"
    verbose_name = "mentara-seed"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .registry import autodiscover

        autodiscover()
