"""The Celery app. Tasks carry the workspace schema (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings")

app = CeleryApp("kartoteka")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["tenants.members", "tenants", "onboarding", "onboarding.importing", "crm", "billing"]
)
