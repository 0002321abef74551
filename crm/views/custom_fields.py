"""Settings pages for custom fields and required fields (owners and admins only)."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.actions import custom_fields as actions
from crm.custom_fields_forms import (
    ChangeTypeForm,
    CustomFieldForm,
    RequiredFieldsForm,
    submitted_choices,
)
from crm.entities import ENTITY_PLURAL_LABELS, entity_model
from crm.errors import CrmValidationError
from crm.models.custom_fields import CHOICE_TYPES, CustomField, Entity, FieldType
from crm.selectors.custom_fields import (
    custom_field_audit_entries,
    custom_fields_for_settings,
    required_standard_fields,
)
from tenants.guards import WorkspaceReadOnlyError
from tenants.members.models import User
from tenants.members.permissions import workspace_admin_required


def settings_entities() -> list[Entity]:
    """Record types whose fields can be set up now (deals once their model exists)."""
    return [
        entity
        for entity in Entity
        if entity != Entity.DEAL or entity_model(Entity.DEAL) is not None
    ]


def _entity_or_404(entity: str) -> Entity:
    if entity not in [item.value for item in settings_entities()]:
        raise Http404
    return Entity(entity)


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _apply_errors(form: Any, error: CrmValidationError) -> None:
    for name, field_messages in error.field_errors.items():
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


def _list_url(entity: str) -> str:
    return reverse("crm_fields_list", args=[entity])


def _common(entity: str) -> dict[str, Any]:
    return {
        "entity": Entity(entity),
        "entity_name": ENTITY_PLURAL_LABELS[entity],
        "entity_tabs": [(item, ENTITY_PLURAL_LABELS[item]) for item in settings_entities()],
    }


@workspace_admin_required
def fields_index(request: HttpRequest) -> HttpResponse:
    return redirect("crm_fields_list", Entity.CONTACT)


@workspace_admin_required
def fields_list(request: HttpRequest, entity: str) -> HttpResponse:
    entity = _entity_or_404(entity)
    active, archived = custom_fields_for_settings(entity)
    return render(
        request,
        "crm/fields/field_list.html",
        {
            **_common(entity),
            "active": active,
            "archived": archived,
            "history": [
                (entry, actions.audit_action_label(entry.action))
                for entry in custom_field_audit_entries(limit=15)
            ],
        },
    )


def _choice_payload(request: HttpRequest) -> list[dict[str, Any]]:
    return submitted_choices(request.POST)


@workspace_admin_required
def field_create(request: HttpRequest, entity: str) -> HttpResponse:
    entity = _entity_or_404(entity)
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        field_type = form.cleaned_data["field_type"]
        try:
            field = actions.create_custom_field(
                acting_user=_member(request),
                entity=entity,
                field_type=field_type,
                key=form.cleaned_data["key"],
                labels=form.labels,
                help_texts=form.help_texts,
                required=form.cleaned_data["required"],
                searchable=form.cleaned_data["searchable"],
                indexed=form.cleaned_data["indexed"],
                default=form.default_value(field_type),
                choices=_choice_payload(request),
            )
        except CrmValidationError as error:
            _apply_errors(form, error)
        except WorkspaceReadOnlyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Field “%(name)s” added.") % {"name": field.label})
            return redirect(_list_url(entity))
    return render(
        request,
        "crm/fields/field_form.html",
        {**_common(entity), "form": form, "field": None, "choice_types": sorted(CHOICE_TYPES)},
    )


@workspace_admin_required
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=field_id)
    form = CustomFieldForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        try:
            field = actions.update_custom_field(
                acting_user=_member(request),
                field=field,
                labels=form.labels,
                help_texts=form.help_texts,
                required=form.cleaned_data["required"],
                searchable=form.cleaned_data["searchable"],
                indexed=form.cleaned_data["indexed"],
                default=form.default_value(field.field_type),
                choices=_choice_payload(request) if field.has_choices else None,
            )
        except CrmValidationError as error:
            _apply_errors(form, error)
        except WorkspaceReadOnlyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Field “%(name)s” saved.") % {"name": field.label})
            return redirect(_list_url(field.entity))
    return render(
        request,
        "crm/fields/field_form.html",
        {
            **_common(field.entity),
            "form": form,
            "field": field,
            "choice_types": sorted(CHOICE_TYPES),
        },
    )


@workspace_admin_required
def field_change_type(request: HttpRequest, field_id: int) -> HttpResponse:
    """Pick a new type, see what would happen to stored values, then confirm."""
    field = get_object_or_404(CustomField, pk=field_id)
    data = request.POST if request.method == "POST" else request.GET
    form = ChangeTypeForm(data if "field_type" in data else None)
    cast(forms.ChoiceField, form.fields["field_type"]).choices = [
        (value, label) for value, label in FieldType.choices if value != field.field_type
    ]
    plan = None
    new_type = None
    if form.is_bound and form.is_valid():
        new_type = FieldType(form.cleaned_data["field_type"])
        if request.method == "POST":
            try:
                actions.change_custom_field_type(
                    acting_user=_member(request),
                    field=field,
                    field_type=new_type,
                    choices=_choice_payload(request) or None,
                )
            except CrmValidationError as error:
                _apply_errors(form, error)
            except WorkspaceReadOnlyError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("“%(name)s” is now of type “%(type)s”.")
                    % {"name": field.label, "type": new_type.label},
                )
                return redirect(_list_url(field.entity))
        plan = actions.plan_type_change(field, new_type)
    return render(
        request,
        "crm/fields/field_type.html",
        {
            **_common(field.entity),
            "field": field,
            "form": form,
            "plan": plan,
            "new_type": new_type,
            "needs_choices": new_type in CHOICE_TYPES and not field.active_choices,
            "blank_choices": range(3),
        },
    )


def _post_action(request: HttpRequest, field_id: int, run: Any, success: str) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=field_id)
    try:
        run(field)
    except (CrmValidationError, PermissionDenied) as error:
        messages.error(request, str(error))
    except WorkspaceReadOnlyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success % {"name": field.label})
    return redirect(_list_url(field.entity))


@require_POST
@workspace_admin_required
def field_move(request: HttpRequest, field_id: int) -> HttpResponse:
    offset = -1 if request.POST.get("direction") == "up" else 1
    field = get_object_or_404(CustomField, pk=field_id)
    try:
        actions.move_custom_field(acting_user=_member(request), field=field, offset=offset)
    except WorkspaceReadOnlyError as error:
        messages.error(request, error.message)
    else:
        text = _("“%(name)s” moved up.") if offset < 0 else _("“%(name)s” moved down.")
        messages.success(request, text % {"name": field.label})
    return redirect(_list_url(field.entity) + f"#field-{field.pk}")


@require_POST
@workspace_admin_required
def field_archive(request: HttpRequest, field_id: int) -> HttpResponse:
    return _post_action(
        request,
        field_id,
        lambda field: actions.archive_custom_field(acting_user=_member(request), field=field),
        _("“%(name)s” is archived: it is hidden everywhere and its values are kept."),
    )


@require_POST
@workspace_admin_required
def field_restore(request: HttpRequest, field_id: int) -> HttpResponse:
    return _post_action(
        request,
        field_id,
        lambda field: actions.restore_custom_field(acting_user=_member(request), field=field),
        _("“%(name)s” is back, with the values records held."),
    )


@workspace_admin_required
def required_fields(request: HttpRequest, entity: str) -> HttpResponse:
    entity = _entity_or_404(entity)
    active, _archived = custom_fields_for_settings(entity)
    form = RequiredFieldsForm(
        request.POST or None,
        entity=entity,
        custom_fields=active,
        required_standard=required_standard_fields(entity),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_required_fields(
                acting_user=_member(request),
                entity=entity,
                standard=form.standard_fields(),
                custom_keys=form.custom_keys(),
            )
        except CrmValidationError as error:
            _apply_errors(form, error)
        except WorkspaceReadOnlyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Required fields saved. Records created earlier without them are "
                    "not changed; they are asked for at the next edit."
                ),
            )
            return redirect("crm_fields_required", entity)
    return render(request, "crm/fields/required_fields.html", {**_common(entity), "form": form})
