"""Celery beat's scheduler (loaded by beat after Django is set up)."""

from django.conf import settings
from django.db.models import QuerySet
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler

from tenants.models import Workspace


class WorkspaceBeatScheduler(TenantAwarePersistentScheduler):
    """Sends entries without `tenant_schemas` to every customer workspace (never the template).

    An entry with `"tenant_schemas": ["public"]` runs once, in the public schema (billing's
    clock and reconciliation); tenant-schemas-celery leaves public out of "every workspace".
    """

    @classmethod
    def get_queryset(cls) -> QuerySet[Workspace]:
        return Workspace.objects.filter(
            kind__in=[Workspace.Kind.CUSTOMER, Workspace.Kind.PUBLIC]
        ).exclude(schema_name=settings.TENANT_BASE_SCHEMA)
