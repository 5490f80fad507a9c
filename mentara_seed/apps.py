from django.apps import AppConfig


class MentaraSeedConfig(AppConfig):
    name = "mentara_seed"
    verbose_name = "mentara-seed"
