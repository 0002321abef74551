"""Backups in the workspace settings: the list, and downloads (owners and admins only)."""

from collections.abc import Iterator
from typing import cast

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from tenants.backups import actions
from tenants.backups.archive import ArchiveError, decrypted_chunks
from tenants.backups.links import download_link_seconds, make_download_token, read_download_token
from tenants.backups.models import Backup
from tenants.backups.selectors import backups_of_workspace
from tenants.guards import allowed_when_read_only
from tenants.members.models import User
from tenants.members.permissions import workspace_admin_required
from tenants.models import Workspace
from tenants.policy import workspace_policy


def _workspace(request: HttpRequest) -> Workspace:
    return cast(Workspace, request.tenant)  # type: ignore[attr-defined]


def _backups_with_links(workspace: Workspace, member: User) -> list[Backup]:
    backups = list(backups_of_workspace(workspace))
    for backup in backups:
        backup.download_token = (  # type: ignore[attr-defined]
            make_download_token(
                backup_id=str(backup.pk), member_id=member.pk, schema_name=workspace.schema_name
            )
            if backup.status == Backup.Status.DONE
            else ""
        )
    return backups


def _in_progress(backups: list[Backup]) -> bool:
    return any(b.status in (Backup.Status.QUEUED, Backup.Status.RUNNING) for b in backups)


# The Backups page keeps working in a read-only workspace: a backup is a way to take the
# data out, and ordering one is paid (billing's order views are allowed there too).
@allowed_when_read_only
@workspace_admin_required
def backup_list(request: HttpRequest) -> HttpResponse:
    workspace = _workspace(request)
    member = cast(User, request.user)
    backups = _backups_with_links(workspace, member)
    context: dict[str, object] = {
        "backups": backups,
        "in_progress": _in_progress(backups),
        "link_minutes": download_link_seconds() // 60,
        "retention_days": actions.retention_days(workspace),
    }
    # Billing adds the price, the order form and the schedule (tenants does not know money).
    context.update(workspace_policy().backup_page(workspace, member))
    response = render(request, "backups/backup_list.html", context)
    extra_origins = context.get("form_action_origins")
    if isinstance(extra_origins, list) and extra_origins:
        # The order form may lead to Stripe Checkout (another origin) after the submit.
        response._csp_update = {"form-action": extra_origins}  # type: ignore[attr-defined]
    return response


@allowed_when_read_only
@workspace_admin_required
def backup_list_rows(request: HttpRequest) -> HttpResponse:
    """The list alone (htmx polls it every few seconds while a backup is queued or running)."""
    workspace = _workspace(request)
    backups = _backups_with_links(workspace, cast(User, request.user))
    return render(
        request,
        "backups/_backup_rows.html",
        {"backups": backups, "in_progress": _in_progress(backups)},
    )


@allowed_when_read_only
@workspace_admin_required
def backup_download(request: HttpRequest, token: str) -> HttpResponse:
    """Stream the backup's contents (decrypted, as a .tar.gz) to the admin the link is for."""
    workspace = _workspace(request)
    member = cast(User, request.user)
    backup_id = read_download_token(token, member_id=member.pk, schema_name=workspace.schema_name)
    backup = (
        Backup.objects.filter(pk=backup_id, workspace=workspace, status=Backup.Status.DONE).first()
        if backup_id
        else None
    )
    if backup is None or not backup.storage_name:
        raise Http404
    actions.record_download(backup=backup, user_id=member.pk, email=member.email)
    archive_file = actions.backup_storage().open(backup.storage_name, "rb")

    def content() -> Iterator[bytes]:
        try:
            yield from decrypted_chunks(archive_file)
        except ArchiveError:
            # The stored archive was damaged: stop; the client sees a broken download.
            return
        finally:
            archive_file.close()

    stamp = timezone.localtime(backup.created_at).strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(content(), content_type="application/gzip")
    response["Content-Disposition"] = (
        f'attachment; filename="kartoteka-{workspace.subdomain}-{stamp}.tar.gz"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]
