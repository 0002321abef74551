"""/api/custom-fields: the workspace's custom field definitions.

Everyone with a key reads them (a script needs the keys and types to send values);
creating, changing and archiving need a read-and-write key of an owner or admin.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from crm.actions import custom_fields as actions
from crm.api.common import ERRORS, acting_user
from crm.api.schemas import CustomFieldIn, CustomFieldOut, CustomFieldPatch, EntityName
from crm.errors import CrmNotFoundError
from crm.models.custom_fields import CustomField

router = Router(tags=["Custom fields"])


def _field_out(field: CustomField) -> dict[str, Any]:
    return {
        "id": field.pk,
        "entity": field.entity,
        "key": field.key,
        "field_type": field.field_type,
        "label": field.label,
        "labels": field.labels,
        "help_texts": field.help_texts,
        "required": field.required,
        "searchable": field.searchable,
        "indexed": field.indexed,
        "default": field.default,
        "choices": [
            {
                "key": choice["key"],
                "labels": choice.get("labels", {}),
                "archived": bool(choice.get("archived")),
            }
            for choice in field.choices or []
        ],
        "position": field.position,
        "archived": field.archived_at is not None,
    }


def _field(field_id: int) -> CustomField:
    found = CustomField.objects.filter(pk=field_id, entity__in=("contact", "company")).first()
    if found is None:
        raise CrmNotFoundError()
    return found


@router.get(
    "/custom-fields",
    response={200: list[CustomFieldOut], **ERRORS},
    url_name="api_custom_field_list",
    summary="List custom field definitions",
)
def api_custom_field_list(
    request: HttpRequest, entity: EntityName | None = None, archived: bool = False
) -> list[dict[str, Any]]:
    """In their order, per record type; archived ones too with `archived=true`."""
    fields = CustomField.objects.filter(entity__in=("contact", "company")).order_by(
        "entity", "position", "id"
    )
    if entity:
        fields = fields.filter(entity=entity)
    if not archived:
        fields = fields.filter(archived_at__isnull=True)
    return [_field_out(field) for field in fields]


@router.get(
    "/custom-fields/{field_id}",
    response={200: CustomFieldOut, **ERRORS},
    url_name="api_custom_field_detail",
    summary="Get a custom field definition",
)
def api_custom_field_detail(request: HttpRequest, field_id: int) -> dict[str, Any]:
    return _field_out(_field(field_id))


@router.post(
    "/custom-fields",
    response={201: CustomFieldOut, **ERRORS},
    url_name="api_custom_field_create",
    summary="Add a custom field (owners and admins)",
)
def api_custom_field_create(request: HttpRequest, payload: CustomFieldIn) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    field = actions.create_custom_field(
        acting_user=acting_user(request),
        entity=data["entity"],
        field_type=data["field_type"],
        labels=data["labels"],
        key=data["key"],
        help_texts=data["help_texts"],
        required=data["required"],
        searchable=data["searchable"],
        indexed=data["indexed"],
        default=data["default"],
        choices=data["choices"],
    )
    return Status(201, _field_out(field))


@router.patch(
    "/custom-fields/{field_id}",
    response={200: CustomFieldOut, **ERRORS},
    url_name="api_custom_field_update",
    summary="Rename, re-describe or re-flag a custom field; edit its choices (owners and admins)",
)
def api_custom_field_update(
    request: HttpRequest, field_id: int, payload: CustomFieldPatch
) -> dict[str, Any]:
    """The key and the type never change here; choices keep their values by key."""
    field = _field(field_id)
    data = payload.model_dump(exclude_unset=True)
    field = actions.update_custom_field(acting_user=acting_user(request), field=field, **data)
    return _field_out(field)


@router.post(
    "/custom-fields/{field_id}/archive",
    response={200: CustomFieldOut, **ERRORS},
    url_name="api_custom_field_archive",
    summary="Archive a custom field: hidden everywhere, values kept (owners and admins)",
)
def api_custom_field_archive(request: HttpRequest, field_id: int) -> dict[str, Any]:
    field = actions.archive_custom_field(acting_user=acting_user(request), field=_field(field_id))
    return _field_out(field)


@router.post(
    "/custom-fields/{field_id}/restore",
    response={200: CustomFieldOut, **ERRORS},
    url_name="api_custom_field_restore",
    summary="Bring an archived custom field back with its values (owners and admins)",
)
def api_custom_field_restore(request: HttpRequest, field_id: int) -> dict[str, Any]:
    field = actions.restore_custom_field(acting_user=acting_user(request), field=_field(field_id))
    return _field_out(field)
