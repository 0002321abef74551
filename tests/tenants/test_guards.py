"""The write guard every action calls: a read-only or suspended workspace refuses writes."""

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from tenants.guards import WorkspaceReadOnlyError, ensure_workspace_writable
from tenants.models import WorkspaceStatus


@pytest.mark.django_db
def test_active_workspace_accepts_writes(workspace):
    with tenant_context(workspace.workspace):
        ensure_workspace_writable()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [WorkspaceStatus.READ_ONLY, WorkspaceStatus.SUSPENDED])
def test_read_only_workspace_refuses_writes_with_a_readable_message(workspace, status):
    workspace.workspace.status = status
    workspace.workspace.save(update_fields=["status"])

    with tenant_context(workspace.workspace), pytest.raises(WorkspaceReadOnlyError) as refusal:
        ensure_workspace_writable()

    with translation.override("uk"):
        assert "лише для читання" in refusal.value.message
    with translation.override("en"):
        assert "read-only" in refusal.value.message
