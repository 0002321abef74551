from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiKeysConfig(AppConfig):
    """Per-workspace API keys (in the workspace's schema, so a key means nothing elsewhere)."""

    name = "tenants.api_keys"
    label = "api_keys"
    verbose_name = _("API keys")
