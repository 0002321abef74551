"""The contact and company lists: filters, sorting, columns, pages, bulk actions, segments."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.actions import clients as actions
from crm.actions import preferences as preference_actions
from crm.custom_values import display_text
from crm.errors import CrmValidationError
from crm.forms import SegmentForm
from crm.models import ConsentStatus, RecordType, Segment
from crm.selectors import lists
from crm.selectors.list_options import list_options
from crm.selectors.preferences import saved_list_columns
from crm.views.columns import Column, available_columns, chosen_columns, custom_fields_of
from crm.views.common import (
    COMPANY,
    CONTACT,
    Kind,
    all_errors,
    back_url,
    crm_view,
    first_error,
    int_list,
    kind_of,
    member,
    querystring,
)
from crm.views.list_cells import CellRenderer, column_picker

PER_PAGE = 50
FILTER_KEYS = (
    "responsible",
    "tags",
    "sources",
    "consent_personal_data",
    "consent_advertising",
    "created_from",
    "created_to",
    "no_contact_days",
    "last_contact_from",
    "last_contact_to",
    "archived",
)
CUSTOM_PREFIX = "cf_"
NUMERIC_TYPES = ("integer", "decimal", "money", "date", "datetime")
CHOICE_TYPES = ("single_choice", "multiple_choice")


@dataclass
class CustomFilter:
    """One custom field's filter control on a list, with what the request asked."""

    field: Any
    name: str
    kind: str  # "choice", "boolean", "range", "text"
    value: str = ""
    minimum: str = ""
    maximum: str = ""

    @property
    def label(self) -> str:
        return str(self.field.label)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return (
            [(c["key"], str(c.get("label") or c["key"])) for c in self.field.active_choices]
            if self.kind == "choice"
            else []
        )


def _custom_filters(params: QueryDict, fields: list[Any]) -> list[CustomFilter]:
    result = []
    for field in fields:
        name = f"{CUSTOM_PREFIX}{field.key}"
        if field.field_type in CHOICE_TYPES:
            kind = "choice"
        elif field.field_type == "boolean":
            kind = "boolean"
        elif field.field_type in NUMERIC_TYPES:
            kind = "range"
        else:
            kind = "text"
        result.append(
            CustomFilter(
                field=field,
                name=name,
                kind=kind,
                value=params.get(name, ""),
                minimum=params.get(f"{name}_min", ""),
                maximum=params.get(f"{name}_max", ""),
            )
        )
    return result


def filter_from_params(params: QueryDict, custom_filters: list[CustomFilter]) -> lists.ClientFilter:
    """A ClientFilter from a list's query string (the same keys a segment stores)."""
    data: dict[str, Any] = {
        "responsible": int_list(params.getlist("responsible")),
        "tags": int_list(params.getlist("tags")),
        "sources": int_list(params.getlist("sources")),
    }
    for key in (
        "consent_personal_data",
        "consent_advertising",
        "created_from",
        "created_to",
        "no_contact_days",
        "last_contact_from",
        "last_contact_to",
        "archived",
        "company",
    ):
        if params.get(key):
            data[key] = params[key]
    conditions = []
    for control in custom_filters:
        key = control.field.key
        if control.kind == "choice" and control.value:
            conditions.append({"key": key, "op": "eq", "value": control.value})
        elif control.kind == "boolean" and control.value in ("true", "false"):
            conditions.append({"key": key, "op": "eq", "value": control.value == "true"})
        elif control.kind == "range" and (control.minimum or control.maximum):
            conditions.append(
                {
                    "key": key,
                    "op": "range",
                    "min": _number_or_text(control.field, control.minimum),
                    "max": _number_or_text(control.field, control.maximum),
                }
            )
        elif control.kind == "text" and control.value:
            conditions.append({"key": key, "op": "contains", "value": control.value})
        if control.value == "__empty__":
            conditions[-1:] = [{"key": key, "op": "empty"}]
    data["custom"] = conditions
    return lists.ClientFilter.from_dict(data)


def list_filter_from_query(params: QueryDict, record_type: str) -> lists.ClientFilter:
    """The ClientFilter a list page's query string selects, read as the list reads it
    (the export of "the current filter" uses it, so both select the same records)."""
    return filter_from_params(params, _custom_filters(params, custom_fields_of(record_type)))


def _number_or_text(field: Any, value: str) -> Any:
    if value in ("", None):
        return None
    if field.field_type == "integer":
        try:
            return int(value)
        except ValueError:
            return None
    if field.field_type in ("decimal", "money"):
        try:
            return float(value.replace(",", ".").replace(" ", ""))
        except ValueError:
            return None
    return value


def params_from_filter(filters: dict[str, Any]) -> QueryDict:
    """A saved segment's filter as a list's query string."""
    params = QueryDict(mutable=True)
    for key in ("responsible", "tags", "sources"):
        for value in filters.get(key) or []:
            params.appendlist(key, str(value))
    for key in (
        "consent_personal_data",
        "consent_advertising",
        "created_from",
        "created_to",
        "no_contact_days",
        "last_contact_from",
        "last_contact_to",
        "archived",
        "company",
    ):
        if filters.get(key):
            params[key] = str(filters[key])
    for condition in filters.get("custom") or []:
        name = f"{CUSTOM_PREFIX}{condition.get('key')}"
        op = condition.get("op")
        if op == "eq":
            value = condition.get("value")
            params[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        elif op == "contains":
            params[name] = str(condition.get("value") or "")
        elif op == "range":
            if condition.get("min") not in (None, ""):
                params[f"{name}_min"] = str(condition["min"])
            if condition.get("max") not in (None, ""):
                params[f"{name}_max"] = str(condition["max"])
        elif op == "empty":
            params[name] = "__empty__"
    return params


def _list_page(request: HttpRequest, kind: Kind) -> HttpResponse:
    user = member(request)
    params = request.GET
    if params.get("segment"):
        segment_ids = int_list([params["segment"]])
        segment = get_object_or_404(
            Segment, pk=segment_ids[0] if segment_ids else 0, record_type=kind.record_type
        )
        query = params_from_filter(segment.filters).urlencode()
        return redirect(f"{reverse(kind.url('list'))}?{query}&applied_segment={segment.pk}")
    fields = custom_fields_of(kind.record_type)
    columns_available = available_columns(kind.record_type, fields)
    columns = chosen_columns(
        saved_list_columns(user, kind.record_type), columns_available, kind.record_type
    )
    custom_filters = _custom_filters(params, fields)
    filters = filter_from_params(params, custom_filters)
    sortable = {column.sort for column in columns_available if column.sort}
    sort = params.get("sort") or lists.DEFAULT_SORT
    if sort.lstrip("-") not in sortable:
        sort = lists.DEFAULT_SORT
    try:
        page_number = max(1, int(params.get("page") or 1))
    except ValueError:
        page_number = 1
    selector = lists.contacts_for_list if kind is CONTACT else lists.companies_for_list
    page = selector(user, filters=filters, sort=sort, page=page_number, per_page=PER_PAGE)
    options = list_options(kind.record_type)
    fields_by_key = {field.key: field for field in fields}
    cells = CellRenderer(kind.record_type)
    rows = [_row(record, columns, fields_by_key, cells) for record in page.rows]
    filter_query = querystring(params, without=("page", "sort", "applied_segment"))
    has_filters = bool(filters.to_dict())
    context = {
        "kind": kind,
        "page": page,
        "rows": rows,
        "columns": columns,
        "column_picker": column_picker(columns, columns_available),
        "sort": page.sort,
        "query_without_sort": querystring(params, without=("page", "sort", "applied_segment")),
        "query_without_page": querystring(params, without=("page", "applied_segment")),
        "filter_query": filter_query,
        "has_filters": has_filters,
        "params": params,
        "filters": filters,
        "selected_responsible": set(filters.responsible),
        "selected_tags": set(filters.tags),
        "selected_sources": set(filters.sources),
        "custom_filters": custom_filters,
        "members": options.members,
        "tags": options.tags,
        "sources": options.sources,
        "segments": options.segments,
        "applied_segment": params.get("applied_segment", ""),
        "consent_states": [
            ("given", ConsentStatus.GIVEN.label),
            ("withdrawn", ConsentStatus.WITHDRAWN.label),
            ("none", _("Never asked")),
        ],
        "segment_form": SegmentForm(),
        "is_admin": user.is_workspace_admin,
    }
    return render(request, "crm/client_list.html", context)


def _row(
    record: Any, columns: list[Column], fields_by_key: dict[str, Any], cells: CellRenderer
) -> SafeString:
    """One row's markup: the tick box and the member's columns."""
    custom: dict[str, str] = {}
    values = record.custom or {}
    for column in columns:
        if column.is_custom:
            key = column.key.removeprefix("custom.")
            custom[column.key] = display_text(fields_by_key[key], values.get(key))
    return cells.row(record, columns, custom)


@crm_view
def contact_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, CONTACT)


@crm_view
def company_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, COMPANY)


@crm_view
@require_POST
def bulk_action(request: HttpRequest, record_type: str) -> HttpResponse:
    """Tag, hand to another manager, archive (owners and admins), or merge the ticked rows."""
    kind = kind_of(record_type)
    ids = int_list(request.POST.getlist("ids"))
    action = request.POST.get("action", "")
    back = back_url(request, kind.url("list"))
    if not ids:
        messages.warning(request, _("Tick at least one row first."))
        return redirect(back)
    user = member(request)
    try:
        if action == "merge":
            query = "&".join(f"ids={pk}" for pk in ids)
            return redirect(f"{reverse('crm_merge', args=[kind.record_type])}?{query}")
        if action == "tag":
            names = [t.strip() for t in request.POST.get("tag", "").split(",") if t.strip()]
            if not names:
                messages.warning(request, _("Type the tag to add."))
                return redirect(back)
            changed = actions.bulk_tag(
                acting_user=user, record_type=kind.record_type, ids=ids, add=names
            )
            messages.success(
                request,
                _("Tag added; records changed: %(count)d.") % {"count": changed},
            )
        elif action == "untag":
            names = [t.strip() for t in request.POST.get("tag", "").split(",") if t.strip()]
            changed = actions.bulk_tag(
                acting_user=user, record_type=kind.record_type, ids=ids, remove=names
            )
            messages.success(
                request,
                _("Tag removed; records changed: %(count)d.") % {"count": changed},
            )
        elif action == "responsible":
            new_owner = int_list([request.POST.get("responsible", "")])
            if not new_owner:
                messages.warning(request, _("Choose the new responsible manager."))
                return redirect(back)
            changed = actions.bulk_change_responsible(
                acting_user=user, record_type=kind.record_type, ids=ids, responsible=new_owner[0]
            )
            messages.success(
                request,
                _("Records handed to another manager: %(count)d.") % {"count": changed},
            )
        elif action == "archive":
            if not user.is_workspace_admin:
                raise PermissionDenied
            changed = actions.bulk_archive(acting_user=user, record_type=kind.record_type, ids=ids)
            messages.success(
                request,
                _("Records archived: %(count)d.") % {"count": changed},
            )
        else:
            messages.warning(request, _("Choose what to do with the ticked rows."))
    except CrmValidationError as error:
        messages.error(request, all_errors(error))
    return redirect(back)


@crm_view
@require_POST
def save_columns(request: HttpRequest, record_type: str) -> HttpResponse:
    """Keep the member's columns for this list, in the order given."""
    kind = kind_of(record_type)
    available = {column.key for column in available_columns(kind.record_type)}
    if request.POST.get("reset"):
        keys: list[str] = []
    else:
        order = [key for key in request.POST.getlist("order") if key in available]
        shown = set(request.POST.getlist("columns"))
        keys = [key for key in order if key in shown]
    preference_actions.save_list_columns(
        acting_user=member(request), record_type=kind.record_type, columns=keys
    )
    messages.success(request, _("Columns saved."))
    return redirect(back_url(request, kind.url("list")))


@crm_view
@require_POST
def create_segment(request: HttpRequest, record_type: str) -> HttpResponse:
    """Save the list's current filter as a named segment everyone in the workspace can use."""
    kind = kind_of(record_type)
    form = SegmentForm(request.POST)
    query = request.POST.get("filter_query", "")
    list_url = reverse(kind.url("list"))
    if not form.is_valid():
        messages.error(request, _("Give the segment a name."))
        return redirect(f"{list_url}?{query}")
    params = QueryDict(query)
    filters = filter_from_params(
        params, _custom_filters(params, custom_fields_of(kind.record_type))
    )
    try:
        segment = actions.create_segment(
            acting_user=member(request),
            record_type=kind.record_type,
            name=form.cleaned_data["name"],
            filters=filters.to_dict(),
        )
    except CrmValidationError as error:
        messages.error(request, first_error(error))
        return redirect(f"{list_url}?{query}")
    messages.success(
        request,
        _("Segment “%(name)s” saved; everyone in the workspace can use it.")
        % {"name": segment.name},
    )
    return redirect(f"{list_url}?{query}&applied_segment={segment.pk}")


@crm_view
@require_POST
def delete_segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=segment_id)
    kind = kind_of(segment.record_type)
    actions.delete_segment(acting_user=member(request), segment=segment)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect(reverse(kind.url("list")))


@crm_view
def to_complete(request: HttpRequest) -> HttpResponse:
    """Records saved before a field became required, that now lack it."""
    try:
        page_number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page_number = 1
    contacts = lists.contacts_to_complete(
        request.user, page=page_number if request.GET.get("type") != "company" else 1
    )
    companies = lists.companies_to_complete(
        request.user, page=page_number if request.GET.get("type") == "company" else 1
    )
    return render(
        request,
        "crm/to_complete.html",
        {"contacts": contacts, "companies": companies, "record_types": RecordType},
    )
