"""Fixtures of the import tests: a workspace entered as the current tenant, its owner."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from crm.selectors.custom_fields import clear_custom_field_cache
from tenants.members.models import User


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """Messages and column names in the source language (tests switch when they check it)."""
    with translation.override("en"):
        yield


@pytest.fixture
def in_workspace(workspace) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    clear_custom_field_cache()
    with tenant_context(workspace.workspace):
        yield workspace
    clear_custom_field_cache()


@pytest.fixture
def owner(in_workspace) -> User:  # type: ignore[no-untyped-def]
    return User.objects.get(pk=in_workspace.owner.pk)
