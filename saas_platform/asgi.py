"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings")

application = get_asgi_application()

# As in wsgi.py: freeze the start-up heap, raise the GC's young threshold (see runtime.py).
from saas_platform.runtime import prepare_long_running_process  # noqa: E402

prepare_long_running_process()
