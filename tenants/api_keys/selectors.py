"""Reads for the API keys page."""

from django.db.models import F, QuerySet

from tenants.api_keys.models import ApiKey


def api_keys_for_list() -> QuerySet[ApiKey]:
    """Every key of the workspace, active first, newest first, with its creator."""
    return ApiKey.objects.select_related("created_by").order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )
