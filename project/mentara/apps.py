from django.apps import AppConfig


class MentaraConfig(AppConfig):
    name = "project.mentara"
    label = "mentara"
    verbose_name = "Mentara"
    default_auto_field = "django.db.models.BigAutoField"
