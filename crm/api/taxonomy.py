"""/api/tags and /api/sources: the workspace's tags and source channels."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from crm.actions import clients as actions
from crm.api.common import ERRORS, acting_user
from crm.api.schemas import SourceIn, SourceOut, TagOut, TagPatch
from crm.errors import CrmNotFoundError
from crm.models import SourceChannel, Tag

router = Router(tags=["Tags and sources"])


def _source_out(source: SourceChannel) -> dict[str, Any]:
    return {"id": source.pk, "name": source.name, "archived": source.archived_at is not None}


@router.get("/tags", response={200: list[TagOut], **ERRORS}, url_name="api_tag_list")
def api_tag_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every tag of the workspace, by name. Tags are created by setting them on a record."""
    return [{"id": tag.pk, "name": tag.name} for tag in Tag.objects.order_by("name", "id")]


@router.patch(
    "/tags/{tag_id}",
    response={200: TagOut, **ERRORS},
    url_name="api_tag_rename",
    summary="Rename a tag everywhere (owners and admins)",
)
def api_tag_rename(request: HttpRequest, tag_id: int, payload: TagPatch) -> dict[str, Any]:
    tag = actions.rename_tag(acting_user=acting_user(request), tag=tag_id, name=payload.name)
    return {"id": tag.pk, "name": tag.name}


@router.delete(
    "/tags/{tag_id}",
    response={204: None, **ERRORS},
    url_name="api_tag_delete",
    summary="Remove a tag from every record and delete it (owners and admins)",
)
def api_tag_delete(request: HttpRequest, tag_id: int) -> Status[None]:
    if not Tag.objects.filter(pk=tag_id).exists():
        raise CrmNotFoundError()
    actions.delete_tag(acting_user=acting_user(request), tag=tag_id)
    return Status(204, None)


@router.get("/sources", response={200: list[SourceOut], **ERRORS}, url_name="api_source_list")
def api_source_list(request: HttpRequest, archived: bool = False) -> list[dict[str, Any]]:
    """The source channels in their order (archived ones too with `archived=true`)."""
    sources = SourceChannel.objects.order_by("position", "name", "id")
    if not archived:
        sources = sources.filter(archived_at__isnull=True)
    return [_source_out(source) for source in sources]


@router.post(
    "/sources",
    response={201: SourceOut, **ERRORS},
    url_name="api_source_create",
    summary="Add a source channel (owners and admins)",
)
def api_source_create(request: HttpRequest, payload: SourceIn) -> Status[dict[str, Any]]:
    source = actions.create_source_channel(acting_user=acting_user(request), name=payload.name)
    return Status(201, _source_out(source))


@router.patch(
    "/sources/{source_id}",
    response={200: SourceOut, **ERRORS},
    url_name="api_source_rename",
    summary="Rename a source channel (owners and admins)",
)
def api_source_rename(request: HttpRequest, source_id: int, payload: SourceIn) -> dict[str, Any]:
    source = actions.rename_source_channel(
        acting_user=acting_user(request), channel=source_id, name=payload.name
    )
    return _source_out(source)


@router.post(
    "/sources/{source_id}/archive",
    response={200: SourceOut, **ERRORS},
    url_name="api_source_archive",
    summary="Take a source off the list for new records (owners and admins)",
)
def api_source_archive(request: HttpRequest, source_id: int) -> dict[str, Any]:
    source = actions.archive_source_channel(acting_user=acting_user(request), channel=source_id)
    return _source_out(source)
