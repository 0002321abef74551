"""Fixtures of the security tests (the public-site ones are shared with tests/onboarding)."""

import pytest
from django.test import Client

from tests.onboarding.schema_cleanup import drop_new_workspace_schemas_fixture  # noqa: F401


@pytest.fixture
def visitor() -> Client:
    """A browser on the public site that asks for English, so tests read the source strings."""
    return Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
