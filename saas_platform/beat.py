"""Celery beat's scheduler (loaded by beat after Django is set up)."""

from django.conf import settings
from django.db.models import QuerySet
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler

from tenants.models import Workspace


class WorkspaceBeatScheduler(TenantAwarePersistentScheduler):
    """Sends entries without `tenant_schemas` to every customer workspace (never the template)."""

    @classmethod
    def get_queryset(cls) -> QuerySet[Workspace]:
        return Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).exclude(
            schema_name=settings.TENANT_BASE_SCHEMA
        )
