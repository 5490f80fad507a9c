from django.apps import AppConfig


class DeclarativeAppConfig(AppConfig):
    name = "tests.declarative_app"
    label = "shop"
    default_auto_field = "django.db.models.BigAutoField"
