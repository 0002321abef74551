from django.apps import AppConfig


class ExportingConfig(AppConfig):
    name = "onboarding.exporting"
    label = "exporting"
    verbose_name = "Export"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Names the export entries of the workspace's audit log (settings history).
        from onboarding.exporting import audit  # noqa: F401
