"""The platform: settings, routing, Celery app, middleware and the operator console."""

from saas_platform.celery import app as celery_app

__all__ = ["celery_app"]
