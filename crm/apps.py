from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Companies, contacts, timeline, deals and tasks (filled by the CRM issues)."""

    name = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from celery.signals import task_prerun
        from django.core.signals import request_started

        from crm.selectors.custom_fields import clear_custom_field_cache

        # Custom field definitions are read at most once per request or task.
        request_started.connect(clear_custom_field_cache, dispatch_uid="crm_custom_fields_cache")
        task_prerun.connect(clear_custom_field_cache, dispatch_uid="crm_custom_fields_cache_task")
