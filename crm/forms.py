"""Forms of the CRM pages: they shape input into the mappings crm.actions.clients takes.

The forms check only the shape of what was typed (a date is a date); the rules (phones,
e-mails, tax numbers, required fields, duplicates, custom-field types) are the actions',
so the web, the API and the import refuse the same things with the same messages. An
action's CrmValidationError is put back on the form's fields by `add_action_errors`.
"""

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from crm.models import Company, MessengerKind, PhoneLabel, RecordType, SourceChannel
from tenants.members.models import User

MAX_ROWS = 20


def _custom_values() -> Any:
    """The custom-field engine (crm.custom_values), or None while it is not there."""
    try:
        from crm import custom_values
    except ImportError:  # pragma: no cover - the engine ships with the client base
        return None
    return custom_values


def member_choices_queryset() -> Any:
    return User.objects.filter(is_active=True).order_by("full_name", "email")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ClientForm(forms.Form):
    """What contacts and companies share; subclasses add their own fields first."""

    entity: str = ""

    source = forms.ModelChoiceField(
        label=_("Source"), queryset=SourceChannel.objects.none(), required=False
    )
    responsible = MemberChoiceField(
        label=_("Responsible manager"), queryset=User.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        max_length=1000,
    )
    pinned_note = forms.CharField(
        label=_("Pinned note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on top of the card, e.g. “call her Sasha, not Alexandra”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = SourceChannel.objects.filter(archived_at__isnull=True)  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = member_choices_queryset()  # type: ignore[attr-defined]
        self.custom_field_names: list[str] = []
        engine = _custom_values()
        if engine is not None:
            for name, field in engine.custom_form_fields(self.entity).items():
                self.fields[name] = field
                self.custom_field_names.append(name)

    @property
    def standard_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name not in self.custom_field_names]

    @property
    def custom_fields(self) -> list[Any]:
        return [self[name] for name in self.custom_field_names]

    def action_data(self) -> dict[str, Any]:
        """The mapping the create/update actions take (without phones, e-mails...)."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.custom_field_names
        }
        data["source"] = data["source"].pk if data.get("source") else None
        data["responsible"] = data["responsible"].pk if data.get("responsible") else None
        data["tags"] = [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()]
        engine = _custom_values()
        if engine is not None:
            data["custom"] = engine.custom_values_from_form(self.entity, self.cleaned_data)
        return data

    def field_name_for(self, action_field: str) -> str | None:
        """Which form field shows an action's error for `action_field` (None: the form's)."""
        if action_field.startswith("custom."):
            engine = _custom_values()
            key = action_field.removeprefix("custom.")
            name = engine.form_field_name(key) if engine is not None else key
            return name if name in self.fields else None
        return action_field if action_field in self.fields else None


class ContactForm(ClientForm):
    entity = RecordType.CONTACT

    surname = forms.CharField(label=_("Surname"), required=False, max_length=100)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    patronymic = forms.CharField(label=_("Patronymic"), required=False, max_length=100)
    form_of_address = forms.CharField(
        label=_("Preferred form of address"),
        required=False,
        max_length=150,
        help_text=_("How the client likes to be addressed, e.g. “Sasha”."),
    )
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    position = forms.CharField(label=_("Position"), required=False, max_length=150)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = [
        "surname",
        "first_name",
        "patronymic",
        "form_of_address",
        "position",
        "birthday",
        "address",
        "source",
        "responsible",
        "tags",
        "pinned_note",
    ]


class CompanyForm(ClientForm):
    entity = RecordType.COMPANY

    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    legal_name = forms.CharField(label=_("Legal name"), required=False, max_length=255)
    tax_number = forms.CharField(
        label=_("Tax number"),
        required=False,
        max_length=20,
        help_text=_("INN (10 or 12 digits) or EDRPOU (8 digits)."),
    )
    industry = forms.CharField(label=_("Industry"), required=False, max_length=120)
    headcount = forms.IntegerField(label=_("Headcount"), required=False, min_value=0)
    website = forms.CharField(label=_("Website"), required=False, max_length=300)
    addresses = forms.CharField(
        label=_("Addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address per line."),
    )

    field_order = [
        "name",
        "legal_name",
        "tax_number",
        "industry",
        "headcount",
        "website",
        "addresses",
        "source",
        "responsible",
        "tags",
        "pinned_note",
    ]

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        data["addresses"] = [
            line.strip() for line in (data.get("addresses") or "").splitlines() if line.strip()
        ]
        return data


class PhoneForm(forms.Form):
    label = forms.ChoiceField(label=_("Label"), choices=PhoneLabel.choices, required=False)
    number = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class EmailForm(forms.Form):
    address = forms.CharField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )


class MessengerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Messenger"), choices=MessengerKind.choices, required=False)
    handle = forms.CharField(label=_("Handle or number"), required=False, max_length=100)


def company_by_name(name: str) -> Company | None:
    """The active company with this exact name (case-insensitive), oldest first."""
    return (
        Company.objects.filter(name__iexact=name.strip(), archived_at__isnull=True)
        .order_by("id")
        .first()
    )


class CompanyLinkForm(forms.Form):
    """A company typed by its name (lists of thousands of companies do not fit a <select>)."""

    company = forms.CharField(label=_("Company"), required=False, max_length=255)
    position = forms.CharField(label=_("Position there"), required=False, max_length=150)

    def clean_company(self) -> Company | None:
        name = (self.cleaned_data.get("company") or "").strip()
        if not name:
            return None
        found = company_by_name(name)
        if found is None:
            raise forms.ValidationError(
                _("No company is called “%(name)s”. Create it first, or check the spelling."),
                params={"name": name},
            )
        return found


PhoneFormSet = formset_factory(PhoneForm, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS)
EmailFormSet = formset_factory(EmailForm, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS)
MessengerFormSet = formset_factory(MessengerForm, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS)
CompanyLinkFormSet = formset_factory(
    CompanyLinkForm, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS
)


def phones_from(formset: Any) -> list[dict[str, str]]:
    return [
        {"number": row["number"].strip(), "label": row.get("label") or PhoneLabel.MOBILE}
        for row in formset.cleaned_data
        if row and (row.get("number") or "").strip()
    ]


def emails_from(formset: Any) -> list[str]:
    return [
        row["address"].strip()
        for row in formset.cleaned_data
        if row and (row.get("address") or "").strip()
    ]


def messengers_from(formset: Any) -> list[dict[str, str]]:
    return [
        {"kind": row.get("kind") or MessengerKind.TELEGRAM, "handle": row["handle"].strip()}
        for row in formset.cleaned_data
        if row and (row.get("handle") or "").strip()
    ]


def company_links_from(formset: Any) -> list[dict[str, Any]]:
    return [
        {"company": row["company"].pk, "position": (row.get("position") or "").strip()}
        for row in formset.cleaned_data
        if row and row.get("company")
    ]


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=[("personal_data", ""), ("advertising", "")])
    status = forms.ChoiceField(choices=[("given", ""), ("withdrawn", "")])
    text_version = forms.CharField(
        label=_("Text or version agreed to"), required=False, max_length=2000
    )


class HandOverForm(forms.Form):
    to_member = MemberChoiceField(label=_("Hand over to"), queryset=User.objects.none())

    def __init__(self, *args: Any, giver: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_member"].queryset = member_choices_queryset().exclude(pk=giver.pk)  # type: ignore[attr-defined]


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Segment name"), max_length=120)
