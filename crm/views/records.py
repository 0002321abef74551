"""A contact's and a company's card, their create/edit forms, archive/restore, consents, links."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.actions import clients as actions
from crm.errors import CrmValidationError, DuplicateFound
from crm.forms import (
    CompanyForm,
    CompanyLinkFormSet,
    ConsentForm,
    ContactForm,
    EmailFormSet,
    MessengerFormSet,
    PhoneFormSet,
    company_by_name,
    company_links_from,
    emails_from,
    messengers_from,
    phones_from,
)
from crm.models import Company, Contact, ContactCompany, CrmSettings
from crm.selectors.access import (
    crm_settings,
    get_visible_company,
    get_visible_contact,
    sees_all_clients,
)
from crm.selectors.card_page import company_card_page, contact_card_page
from crm.selectors.deals import client_deals
from crm.views.common import (
    COMPANY,
    CONTACT,
    Kind,
    all_errors,
    back_url,
    crm_view,
    first_error,
    member,
)
from crm.views.timeline import timeline_context

SECTION_FIELDS = ("phones", "emails", "messengers", "companies", "addresses")


# ---------------------------------------------------------------- cards


def _card_context(card: Any, record: Any, kind: Kind) -> dict[str, Any]:
    """What the card template shows beside the selector's card: custom values, what is
    missing, the merge that can be undone, and the history with one line per creation."""
    from crm.custom_values import custom_values_for_display

    creations = {
        entry.changeset for entry in card.history if entry.field == "record" and entry.old is None
    }
    history = [
        entry
        for entry in card.history
        if entry.field == "record" or entry.changeset not in creations
    ]
    return {
        "card": card,
        "record": record,
        "kind": kind,
        "history": history,
        "custom_values": custom_values_for_display(kind.record_type, record.custom),
        "missing": missing_field_labels(record),
        "undoable_merge": card.merges[0] if card.merges else None,
    }


def missing_field_labels(record: Any) -> list[str]:
    """Labels of the required fields a record lacks (its "to complete" marker)."""
    from crm.actions.clients import _current_missing

    labels = []
    for name in sorted(_current_missing(record)):
        if name.startswith("custom."):
            from crm.selectors.custom_fields import custom_field_by_key

            entity = CONTACT.record_type if isinstance(record, Contact) else COMPANY.record_type
            found = custom_field_by_key(entity, name.removeprefix("custom."))
            labels.append(str(found.label) if found is not None else name)
        else:
            labels.append(_standard_label(record, name))
    return labels


def _standard_label(record: Any, name: str) -> str:
    try:
        field = type(record)._meta.get_field(name)
    except Exception:
        return name
    return str(getattr(field, "verbose_name", name)).capitalize()


def _settings_for(user: Any) -> CrmSettings | None:
    """The CRM settings a member's card reads three times (who sees which client, deal,
    task), read once; None for owners and admins, who see everything without them."""
    return None if user.is_workspace_admin else crm_settings()


@crm_view
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = member(request)
    settings_row = _settings_for(user)
    card = contact_card_page(user, contact_id, settings_row=settings_row)
    context = _card_context(card, card.contact, CONTACT)
    context["contact"] = card.contact
    context["client_deals"] = client_deals(
        user, contact=card.contact, sees_all=sees_all_clients(user, settings_row)
    )
    context["new_deal_query"] = f"contact={card.contact.pk}"
    context.update(
        timeline_context(
            request,
            "contact",
            card.contact,
            related_ids=[link.company_id for link in card.company_links],
            settings_row=settings_row,
        )
    )
    return render(request, "crm/contact_card.html", context)


@crm_view
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    user = member(request)
    settings_row = _settings_for(user)
    card = company_card_page(user, company_id, settings_row=settings_row)
    context = _card_context(card, card.company, COMPANY)
    context["company"] = card.company
    context["client_deals"] = client_deals(
        user, company=card.company, sees_all=sees_all_clients(user, settings_row)
    )
    context["new_deal_query"] = f"company={card.company.pk}"
    context.update(
        timeline_context(
            request,
            "company",
            card.company,
            related_ids=[link.contact_id for link in card.contact_links],
            settings_row=settings_row,
        )
    )
    return render(request, "crm/company_card.html", context)


# ---------------------------------------------------------------- forms


def _initial_custom(entity: str, values: dict[str, Any] | None) -> dict[str, Any]:
    from crm.custom_values import custom_form_initial

    return custom_form_initial(entity, values)


def _contact_initial(contact: Contact) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(contact, name)
        for name in (
            "surname",
            "first_name",
            "patronymic",
            "form_of_address",
            "birthday",
            "position",
            "address",
            "pinned_note",
        )
    }
    initial["source"] = contact.source_id
    initial["responsible"] = contact.responsible_id
    initial["tags"] = ", ".join(tag.name for tag in contact.tags.all())
    initial.update(_initial_custom(CONTACT.record_type, contact.custom))
    return initial


def _company_initial(company: Company) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(company, name)
        for name in (
            "name",
            "legal_name",
            "tax_number",
            "industry",
            "headcount",
            "website",
            "pinned_note",
        )
    }
    initial["addresses"] = "\n".join(
        (item.get("text", "") if isinstance(item, dict) else str(item))
        for item in company.addresses or []
    )
    initial["source"] = company.source_id
    initial["responsible"] = company.responsible_id
    initial["tags"] = ", ".join(tag.name for tag in company.tags.all())
    initial.update(_initial_custom(COMPANY.record_type, company.custom))
    return initial


def _formsets(request: HttpRequest, kind: Kind, record: Any) -> dict[str, Any]:
    """The repeated rows: phones, e-mails, messengers (contacts), companies (new contacts)."""
    data = request.POST if request.method == "POST" else None
    if record is not None:
        phones = [{"number": p.raw or p.e164, "label": p.label} for p in record.phones.all()]
        emails = [{"address": e.address} for e in record.emails.all()]
    else:
        phones, emails = [], []

    # A bound formset gets no initial rows: an extra row equal to its initial is "unchanged"
    # and would come back empty, silently dropping the record's phones.
    def rows(initial: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        return None if data is not None else (initial or [{}])

    formsets = {
        "phones": PhoneFormSet(data, prefix="phones", initial=rows(phones)),
        "emails": EmailFormSet(data, prefix="emails", initial=rows(emails)),
    }
    if kind is CONTACT:
        messengers = (
            [{"kind": m.kind, "handle": m.handle} for m in record.messengers.all()]
            if record is not None
            else []
        )
        formsets["messengers"] = MessengerFormSet(
            data, prefix="messengers", initial=rows(messengers)
        )
        if record is None:
            company_initial = []
            wanted = request.GET.get("company")
            if wanted and wanted.isdigit():
                company = get_visible_company(member(request), int(wanted))
                company_initial = [{"company": company.name}]
            formsets["companies"] = CompanyLinkFormSet(
                data, prefix="companies", initial=rows(company_initial)
            )
    return formsets


def _form_page(request: HttpRequest, kind: Kind, record: Any = None) -> HttpResponse:
    """Create (record None) or edit a contact or company, with the duplicate warning."""
    form_class = ContactForm if kind is CONTACT else CompanyForm
    if record is not None:
        initial = _contact_initial(record) if kind is CONTACT else _company_initial(record)
    else:
        initial = {"responsible": request.user.pk}
    form = form_class(request.POST or None, initial=initial)
    formsets = _formsets(request, kind, record)
    duplicates: list[Any] = []
    section_errors: dict[str, list[str]] = {}
    if (
        request.method == "POST"
        and form.is_valid()
        and all(f.is_valid() for f in formsets.values())
    ):
        data = form.action_data()
        data["phones"] = phones_from(formsets["phones"])
        data["emails"] = emails_from(formsets["emails"])
        if "messengers" in formsets:
            data["messengers"] = messengers_from(formsets["messengers"])
        if "companies" in formsets:
            data["companies"] = company_links_from(formsets["companies"])
        allow_duplicate = request.POST.get("allow_duplicate") == "1"
        try:
            saved = _save(request, kind, record, data, allow_duplicate)
        except DuplicateFound as found:
            duplicates = found.matches
        except CrmValidationError as error:
            section_errors = _put_errors_on_form(form, error)
        else:
            if record is None:
                messages.success(request, _("“%(name)s” created.") % {"name": saved.display_name})
            else:
                messages.success(
                    request, _("Changes to “%(name)s” saved.") % {"name": saved.display_name}
                )
            return redirect(kind.url("detail"), saved.pk)
    elif request.method == "POST":
        messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "crm/client_form.html",
        {
            "kind": kind,
            "record": record,
            "form": form,
            "formsets": formsets,
            "duplicates": duplicates,
            "section_errors": section_errors,
        },
    )


def _save(
    request: HttpRequest, kind: Kind, record: Any, data: dict[str, Any], allow_duplicate: bool
) -> Any:
    user = member(request)
    if record is None and not data.get("responsible"):
        data.pop("responsible", None)  # the action makes the acting member responsible
    if kind is CONTACT:
        if record is None:
            return actions.create_contact(
                acting_user=user, data=data, allow_duplicate=allow_duplicate
            )
        data.pop("companies", None)
        return actions.update_contact(
            acting_user=user, contact=record, changes=data, allow_duplicate=allow_duplicate
        )
    if record is None:
        return actions.create_company(acting_user=user, data=data, allow_duplicate=allow_duplicate)
    return actions.update_company(
        acting_user=user, company=record, changes=data, allow_duplicate=allow_duplicate
    )


def _put_errors_on_form(form: Any, error: CrmValidationError) -> dict[str, list[str]]:
    """An action's per-field messages, on the form's fields; collections' ones by section."""
    sections: dict[str, list[str]] = {}
    for name, field_messages in error.field_errors.items():
        section = name.split(".")[0] if not name.startswith("custom.") else ""
        if section in SECTION_FIELDS:
            sections.setdefault(section, []).extend(field_messages)
            continue
        target = form.field_name_for(name) if name != "__all__" else None
        for message in field_messages:
            form.add_error(target, message)
    return sections


@crm_view
def contact_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, CONTACT)


@crm_view
def company_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, COMPANY)


@crm_view
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_visible_contact(request.user, contact_id)
    return _form_page(request, CONTACT, contact)


@crm_view
def company_edit(request: HttpRequest, company_id: int) -> HttpResponse:
    company = get_visible_company(request.user, company_id)
    return _form_page(request, COMPANY, company)


# ---------------------------------------------------------------- archive and restore


@crm_view
@require_POST
def contact_archive(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = actions.archive_contact(acting_user=member(request), contact=contact_id)
    undo = reverse("crm_contact_restore", args=[contact.pk])
    messages.success(
        request,
        _("“%(name)s” archived.") % {"name": contact.display_name},
        extra_tags=f"undo:{undo}",
    )
    return redirect("crm_contact_detail", contact.pk)


@crm_view
@require_POST
def contact_restore(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = actions.restore_contact(acting_user=member(request), contact=contact_id)
    messages.success(request, _("“%(name)s” restored.") % {"name": contact.display_name})
    return redirect("crm_contact_detail", contact.pk)


@crm_view
@require_POST
def company_archive(request: HttpRequest, company_id: int) -> HttpResponse:
    company = actions.archive_company(acting_user=member(request), company=company_id)
    undo = reverse("crm_company_restore", args=[company.pk])
    messages.success(
        request,
        _("“%(name)s” archived.") % {"name": company.display_name},
        extra_tags=f"undo:{undo}",
    )
    return redirect("crm_company_detail", company.pk)


@crm_view
@require_POST
def company_restore(request: HttpRequest, company_id: int) -> HttpResponse:
    company = actions.restore_company(acting_user=member(request), company=company_id)
    messages.success(request, _("“%(name)s” restored.") % {"name": company.display_name})
    return redirect("crm_company_detail", company.pk)


# ---------------------------------------------------------------- consents and links


@crm_view
@require_POST
def contact_consent(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Record that the contact gave or withdrew one of the two consents."""
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the consent and whether it was given or withdrawn."))
        return redirect("crm_contact_detail", contact_id)
    record = (
        actions.give_consent if form.cleaned_data["status"] == "given" else actions.withdraw_consent
    )
    try:
        record(
            acting_user=member(request),
            contact=contact_id,
            kind=form.cleaned_data["kind"],
            text_version=form.cleaned_data["text_version"],
        )
    except CrmValidationError as error:
        messages.error(request, all_errors(error))
    else:
        if form.cleaned_data["status"] == "given":
            messages.success(request, _("Consent recorded as given."))
        else:
            messages.success(request, _("Consent recorded as withdrawn; the earlier records stay."))
    return redirect(f"{reverse('crm_contact_detail', args=[contact_id])}#consents")


@crm_view
@require_POST
def link_company(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Put a contact into a company (with a position there), from either card."""
    back = back_url(request, "crm_contact_detail", contact_id)
    company = company_by_name(request.POST.get("company", ""))
    if company is None:
        messages.error(
            request, _("No company has this name. Create it first, or check the spelling.")
        )
        return redirect(back)
    try:
        actions.link_contact_to_company(
            acting_user=member(request),
            contact=contact_id,
            company=company.pk,
            position=request.POST.get("position", "").strip(),
        )
    except CrmValidationError as error:
        messages.error(request, first_error(error))
    else:
        messages.success(request, _("Contact linked to the company."))
    return redirect(back)


@crm_view
@require_POST
def unlink_company(request: HttpRequest, contact_id: int, company_id: int) -> HttpResponse:
    back = back_url(request, "crm_contact_detail", contact_id)
    link = ContactCompany.objects.filter(contact_id=contact_id, company_id=company_id).first()
    if link is None:
        raise Http404
    actions.unlink_contact_from_company(
        acting_user=member(request), contact=contact_id, company=company_id
    )
    messages.success(request, _("Contact removed from the company."))
    return redirect(back)
