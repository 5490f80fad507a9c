from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MentaraSeedConfig(AppConfig):
    name = "mentara_seed"
    verbose_name = "mentara-seed"

    def ready(self) -> None:
        from . import checks, declarative_checks  # noqa: F401  (registers the system checks)
        from .registry import autodiscover
        from .signals import seed_after_migrate

        autodiscover()
        post_migrate.connect(seed_after_migrate, dispatch_uid="mentara_seed.seed_after_migrate")
