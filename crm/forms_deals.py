"""Forms of the deal pages: they shape input into the mappings crm.actions.deals takes.

Only the shape is checked here (a date is a date); the rules (required fields, custom
field types, stages, loss reasons, access to the client) are the actions', and an
action's CrmValidationError is put back on the form's fields by `add_action_errors`.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm import custom_values
from crm.actions.deals import CURRENCIES
from crm.forms import MemberChoiceField, member_choices_queryset
from crm.models import Company, Contact, Email, LossReason, Phone, Stage
from crm.selectors.access import visible_companies, visible_contacts
from crm.selectors.deals import active_loss_reasons, active_pipelines
from tenants.members.models import User


def find_visible_contact(user: Any, text: str) -> Contact | None:
    """A contact the member may see, typed as "#id", an e-mail, a phone or the full name."""
    text = text.strip()
    contacts = visible_contacts(user).filter(archived_at__isnull=True)
    if text.startswith("#") and text[1:].isdigit():
        return contacts.filter(pk=int(text[1:])).first()
    if "@" in text:
        ids = Email.objects.filter(address__iexact=text, contact__isnull=False).values("contact_id")
        return contacts.filter(pk__in=ids).order_by("id").first()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 7 and len(digits) >= len(text.replace(" ", "")) - 6:
        from crm.custom_values import workspace_default_country
        from crm.normalize import parse_phone

        try:
            e164 = parse_phone(text, default_country=workspace_default_country())
        except Exception:
            e164 = ""
        if e164:
            phone_ids = Phone.objects.filter(e164=e164, contact__isnull=False).values("contact_id")
            return contacts.filter(pk__in=phone_ids).order_by("id").first()
    words = text.split()
    if not words:
        return None
    for contact in contacts.filter(surname__iexact=words[0]).order_by("id")[:50]:
        if contact.display_name.casefold() == text.casefold():
            return contact
    for contact in contacts.filter(first_name__iexact=words[0]).order_by("id")[:50]:
        if contact.display_name.casefold() == text.casefold():
            return contact
    return None


def contact_label(contact: Contact | None) -> str:
    return f"#{contact.pk} {contact.display_name}" if contact is not None else ""


class DealForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    contact = forms.CharField(
        label=_("Contact"),
        required=False,
        max_length=255,
        help_text=_("The contact's full name, phone or e-mail (or #id)."),
    )
    company = forms.CharField(
        label=_("Company"), required=False, max_length=255, help_text=_("The company's name.")
    )
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in CURRENCIES])
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none())
    responsible = MemberChoiceField(
        label=_("Responsible manager"), queryset=User.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separate tags with commas.")
    )
    loss_reason = forms.ModelChoiceField(
        label=_("Loss reason"),
        queryset=LossReason.objects.none(),
        required=False,
        help_text=_("Needed when the stage is a lost one."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        pipeline_ids = [pipeline.pk for pipeline in active_pipelines()]
        stage_field: Any = self.fields["stage"]
        stage_field.queryset = (
            Stage.objects.filter(pipeline_id__in=pipeline_ids, archived_at__isnull=True)
            .select_related("pipeline")
            .order_by("pipeline__position", "pipeline_id", "position")
        )
        stage_field.label_from_instance = lambda stage: (
            f"{stage.pipeline.name} · {stage.name}" if len(pipeline_ids) > 1 else stage.name
        )
        responsible_field: Any = self.fields["responsible"]
        responsible_field.queryset = member_choices_queryset()
        reason_field: Any = self.fields["loss_reason"]
        reason_field.queryset = LossReason.objects.filter(
            pk__in=[r.pk for r in active_loss_reasons()]
        )
        self.custom_field_names: list[str] = []
        for name, field in custom_values.custom_form_fields("deal").items():
            self.fields[name] = field
            self.custom_field_names.append(name)

    @property
    def standard_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name not in self.custom_field_names]

    @property
    def custom_fields(self) -> list[Any]:
        return [self[name] for name in self.custom_field_names]

    def clean_contact(self) -> Contact | None:
        text = self.cleaned_data.get("contact") or ""
        if not text.strip():
            return None
        found = find_visible_contact(self.user, text)
        if found is None:
            raise forms.ValidationError(
                _("No such contact: type the full name, a phone or an e-mail of a client.")
            )
        return found

    def clean_company(self) -> Company | None:
        text = (self.cleaned_data.get("company") or "").strip()
        if not text:
            return None
        companies = visible_companies(self.user).filter(archived_at__isnull=True)
        if text.startswith("#") and text[1:].isdigit():
            found = companies.filter(pk=int(text[1:])).first()
        else:
            found = companies.filter(name__iexact=text).order_by("id").first()
        if found is None:
            raise forms.ValidationError(_("No company with this name."))
        return found

    def action_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {
            "title": data["title"],
            "contact": data["contact"].pk if data.get("contact") else None,
            "company": data["company"].pk if data.get("company") else None,
            "amount": data.get("amount"),
            "currency": data["currency"],
            "expected_close_date": data.get("expected_close_date"),
            "pipeline": data["stage"].pipeline_id,
            "stage": data["stage"].pk,
            "responsible": data["responsible"].pk if data.get("responsible") else None,
            "tags": [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()],
            "custom": custom_values.custom_values_from_form("deal", data),
        }
        if data.get("loss_reason"):
            result["loss_reason"] = data["loss_reason"].pk
        return result


class LoseForm(forms.Form):
    loss_reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=LossReason.objects.none()
    )
    loss_comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["loss_reason"]
        field.queryset = LossReason.objects.filter(archived_at__isnull=True).order_by(
            "position", "name"
        )


def add_action_errors(form: forms.Form, field_errors: dict[str, list[str]]) -> None:
    """Put an action's per-field messages on the form (custom fields by their form name)."""
    for name, messages in field_errors.items():
        target = name
        if name.startswith("custom."):
            target = custom_values.form_field_name(name.removeprefix("custom."))
        elif name == "pipeline":
            target = "stage"
        if target not in form.fields:
            target = None  # type: ignore[assignment]
        for message in messages:
            form.add_error(target, message)
