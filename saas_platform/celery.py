"""The Celery app. Tasks carry the workspace schema (tenant-schemas-celery)."""

import os

from celery.signals import worker_process_init
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings")

app = CeleryApp("kartoteka")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["tenants.members", "tenants", "onboarding", "onboarding.importing", "crm", "billing"]
)


@worker_process_init.connect
def _prepare_worker_process(**_kwargs: object) -> None:
    """Each pool process, once forked with the app loaded: the same GC set-up as the web
    workers (saas_platform/runtime.py)."""
    from saas_platform.runtime import prepare_long_running_process

    prepare_long_running_process(serves_requests=False)
