from django.apps import AppConfig


class ImportingConfig(AppConfig):
    name = "onboarding.importing"
    label = "importing"
    verbose_name = "Import"
    default_auto_field = "django.db.models.BigAutoField"
