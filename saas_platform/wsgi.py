"""WSGI entry point (gunicorn saas_platform.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings")

application = get_wsgi_application()

# After the application is built: freeze the start-up heap, raise the GC's young threshold
# (saas_platform/runtime.py says why). The benchmarks call the same function.
from saas_platform.runtime import prepare_long_running_process  # noqa: E402

prepare_long_running_process()
