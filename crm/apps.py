from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Companies, contacts, timeline, deals and tasks (filled by the CRM issues)."""

    name = "crm"
    verbose_name = "CRM"
