"""Merging duplicates (the value per field, confirm, undo) and handing over a member's clients."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.actions import clients as actions
from crm.errors import CrmValidationError
from crm.forms import HandOverForm
from crm.models import Company, Contact, Merge, RecordType
from crm.selectors.access import visible_records
from crm.views.columns import custom_fields_of
from crm.views.common import admin_only, all_errors, crm_view, int_list, kind_of, member
from tenants.members.models import User

CONTACT_MERGE_FIELDS = (
    "surname",
    "first_name",
    "patronymic",
    "form_of_address",
    "birthday",
    "position",
    "address",
    "source",
    "responsible",
    "pinned_note",
)
COMPANY_MERGE_FIELDS = (
    "name",
    "legal_name",
    "tax_number",
    "industry",
    "headcount",
    "website",
    "source",
    "responsible",
    "pinned_note",
)


@dataclass
class MergeRow:
    """One field of the merge table: each record's value, and which one is kept."""

    name: str
    label: str
    values: list[tuple[int, str]]  # (record id, text)
    chosen: int

    @property
    def differs(self) -> bool:
        return len({text for _pk, text in self.values}) > 1


def _value_text(record: Any, name: str) -> str:
    from django.utils import formats

    if name == "source":
        return record.source.name if record.source else ""
    if name == "responsible":
        return record.responsible.display_name if record.responsible else ""
    value = getattr(record, name, None)
    if value is None:
        return ""
    if name == "birthday":
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def _merge_rows(record_type: str, records: list[Any], primary: int) -> list[MergeRow]:
    model = Contact if record_type == RecordType.CONTACT else Company
    names = CONTACT_MERGE_FIELDS if record_type == RecordType.CONTACT else COMPANY_MERGE_FIELDS
    rows = []
    for name in names:
        values = [(record.pk, _value_text(record, name)) for record in records]
        chosen = next((pk for pk, text in values if pk == primary and text), None) or next(
            (pk for pk, text in values if text), primary
        )
        rows.append(MergeRow(name, _field_label(model, name), values, chosen))
    from crm.custom_values import display_text

    for field in custom_fields_of(record_type):
        values = [
            (record.pk, display_text(field, (record.custom or {}).get(field.key)))
            for record in records
        ]
        chosen = next((pk for pk, text in values if pk == primary and text), None) or next(
            (pk for pk, text in values if text), primary
        )
        rows.append(MergeRow(f"custom.{field.key}", str(field.label), values, chosen))
    return rows


def _field_label(model: Any, name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name)).capitalize()


@crm_view
def merge(request: HttpRequest, record_type: str) -> HttpResponse:
    """Pick 2+ records' values field by field, then merge them into one (undoable)."""
    kind = kind_of(record_type)
    source = request.POST if request.method == "POST" else request.GET
    ids = list(dict.fromkeys(int_list(source.getlist("ids"))))
    records = list(
        visible_records(request.user, kind.record_type)
        .filter(pk__in=ids, archived_at__isnull=True)
        .select_related("source", "responsible")
        .prefetch_related("phones", "emails", "tags")
        .order_by("created_at", "id")
    )
    if len(records) < 2:
        messages.warning(request, _("Tick at least two records to merge."))
        return redirect(kind.url("list"))
    by_pk = {record.pk: record for record in records}
    primary_ids = int_list([source.get("primary", "")])
    primary = primary_ids[0] if primary_ids and primary_ids[0] in by_pk else records[0].pk
    rows = _merge_rows(kind.record_type, records, primary)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        choices = {}
        for row in rows:
            wanted = int_list([request.POST.get(f"choice_{row.name}", "")])
            if wanted and wanted[0] in by_pk:
                choices[row.name] = wanted[0]
        try:
            done = actions.merge_records(
                acting_user=member(request),
                record_type=kind.record_type,
                primary=primary,
                others=[pk for pk in by_pk if pk != primary],
                choices=choices,
            )
        except CrmValidationError as error:
            messages.error(request, all_errors(error))
        else:
            undo = reverse("crm_merge_undo", args=[done.pk])
            messages.success(
                request,
                _("%(count)d records merged into “%(name)s”.")
                % {"count": len(records), "name": by_pk[primary].display_name},
                extra_tags=f"undo:{undo}",
            )
            return redirect(kind.url("detail"), primary)
    return render(
        request,
        "crm/merge.html",
        {"kind": kind, "records": records, "rows": rows, "primary": primary},
    )


@crm_view
@require_POST
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    found = Merge.objects.filter(pk=merge_id).first()
    if found is None:
        raise Http404
    kind = kind_of(found.record_type)
    if not visible_records(request.user, kind.record_type).filter(pk=found.primary_id).exists():
        raise Http404
    try:
        actions.undo_merge(acting_user=member(request), merge=found)
    except CrmValidationError as error:
        messages.error(request, all_errors(error))
    else:
        messages.success(request, _("Merge undone: the records are separate again."))
    return redirect(kind.url("detail"), found.primary_id)


@crm_view
def hand_over(request: HttpRequest, member_id: int) -> HttpResponse:
    """An admin hands every client of one member (e.g. one who leaves) to another."""
    admin_only(request)
    giver = User.objects.filter(pk=member_id).first()
    if giver is None:
        raise Http404
    counts = {
        "contacts": Contact.objects.filter(responsible_id=giver.pk).count(),
        "companies": Company.objects.filter(responsible_id=giver.pk).count(),
    }
    form = HandOverForm(request.POST or None, giver=giver)
    if request.method == "POST" and form.is_valid():
        try:
            moved = actions.hand_over_clients(
                acting_user=member(request),
                from_member=giver,
                to_member=form.cleaned_data["to_member"],
            )
        except CrmValidationError as error:
            for message in [m for ms in error.field_errors.values() for m in ms]:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _(
                    "%(contacts)d contacts and %(companies)d companies of %(from)s "
                    "handed over to %(to)s."
                )
                % {
                    "contacts": moved.get("contacts", 0),
                    "companies": moved.get("companies", 0),
                    "from": giver.display_name,
                    "to": form.cleaned_data["to_member"].display_name,
                },
            )
            return redirect("members")
    return render(request, "crm/hand_over.html", {"giver": giver, "counts": counts, "form": form})
