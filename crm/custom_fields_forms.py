"""Forms of the custom field and required field settings pages."""

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.custom_values import workspace_timezone
from crm.entities import STANDARD_FIELDS
from crm.models.custom_fields import CustomField, FieldType, pick_translation

LANGUAGE_LABELS = (("ru", _("Russian")), ("uk", _("Ukrainian")), ("en", _("English")))
# Blank rows offered for new choices under the existing ones.
NEW_CHOICE_ROWS = 3


def default_as_text(field: CustomField) -> str:
    """The field's default as someone would type it into the default box."""
    value = field.default
    if value is None:
        return ""
    kind = field.field_type
    if kind == FieldType.MONEY:
        return f"{value['amount']} {value['currency']}"
    if kind == FieldType.DATE:
        return datetime.fromisoformat(value).strftime("%d.%m.%Y")
    if kind == FieldType.DATETIME:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return timezone.localtime(moment, workspace_timezone()).strftime("%d.%m.%Y %H:%M")
    if kind == FieldType.BOOLEAN:
        return str(_("Yes") if value else _("No"))
    if kind == FieldType.SINGLE_CHOICE:
        return field.choice_label(value)
    if kind == FieldType.MULTIPLE_CHOICE:
        return "; ".join(field.choice_label(key) for key in value)
    return str(value)


class CustomFieldForm(forms.Form):
    """Labels, help, flags, default and choices of a field (type and key on creation only)."""

    label_ru = forms.CharField(label=_("Name in Russian"), required=False, max_length=100)
    label_uk = forms.CharField(label=_("Name in Ukrainian"), required=False, max_length=100)
    label_en = forms.CharField(label=_("Name in English"), required=False, max_length=100)
    field_type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    key = forms.SlugField(
        label=_("Key"),
        required=False,
        max_length=50,
        help_text=_(
            "Used by the API and imports; made from the name when left empty. "
            "It cannot be changed later."
        ),
    )
    help_ru = forms.CharField(label=_("Hint in Russian"), required=False, max_length=500)
    help_uk = forms.CharField(label=_("Hint in Ukrainian"), required=False, max_length=500)
    help_en = forms.CharField(label=_("Hint in English"), required=False, max_length=500)
    required = forms.BooleanField(label=_("Required"), required=False)
    searchable = forms.BooleanField(
        label=_("Found by the search box"),
        required=False,
        help_text=_("For text, e-mail, phone and link fields."),
    )
    indexed = forms.BooleanField(
        label=_("Often filtered or sorted on"),
        required=False,
        help_text=_("Keeps filters and sorting on this field fast on long lists."),
    )
    default = forms.CharField(
        label=_("Default value"),
        required=False,
        max_length=500,
        help_text=_(
            "Filled in on new records. For choices, type the choice's name "
            "(several separated by “;”)."
        ),
    )

    def __init__(self, *args: Any, field: CustomField | None = None, **kwargs: Any):
        self.field = field
        if field is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{f"label_{code}": field.labels.get(code, "") for code, _n in LANGUAGE_LABELS},
                    **{
                        f"help_{code}": field.help_texts.get(code, "")
                        for code, _n in LANGUAGE_LABELS
                    },
                    "required": field.required,
                    "searchable": field.searchable,
                    "indexed": field.indexed,
                    "default": default_as_text(field),
                },
            )
        super().__init__(*args, **kwargs)
        if field is not None:
            del self.fields["field_type"]
            del self.fields["key"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(f"label_{code}") for code, _n in LANGUAGE_LABELS):
            raise forms.ValidationError(_("Give the field a name in at least one language."))
        return cleaned

    @property
    def labels(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"label_{code}", "") for code, _n in LANGUAGE_LABELS}

    @property
    def help_texts(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"help_{code}", "") for code, _n in LANGUAGE_LABELS}

    def default_value(self, field_type: str) -> Any:
        text = self.cleaned_data.get("default", "")
        if field_type == FieldType.MULTIPLE_CHOICE and text:
            return [part.strip() for part in text.split(";") if part.strip()]
        return text or None

    def choice_rows(self) -> list[dict[str, Any]]:
        """The choice rows to show: posted ones, or the field's, then blank rows."""
        if self.is_bound:
            rows = submitted_choices(self.data)
        else:
            rows = [
                {"key": choice["key"], "labels": choice.get("labels", {})}
                for choice in (self.field.active_choices if self.field else [])
            ]
        blanks = [{"key": "", "labels": {}} for _i in range(NEW_CHOICE_ROWS)]
        return [
            {
                "index": index,
                "key": row["key"],
                "title": pick_translation(row["labels"]) or "",
                "inputs": [
                    (code, name, row["labels"].get(code, "")) for code, name in LANGUAGE_LABELS
                ],
            }
            for index, row in enumerate(
                [row for row in rows if any(row["labels"].values())] + blanks
            )
        ]


def submitted_choices(data: Any) -> list[dict[str, Any]]:
    """Choice rows from the posted form (choice-N-key, choice-N-ru/uk/en), in order.

    A row whose names are all empty is dropped (its choice, if it had a key, is
    archived by the action).
    """
    rows = []
    try:
        count = min(int(data.get("choice-count", 0)), 500)
    except (TypeError, ValueError):
        count = 0
    for index in range(count):
        labels = {
            code: str(data.get(f"choice-{index}-{code}", "")).strip()
            for code, _n in LANGUAGE_LABELS
        }
        rows.append({"key": str(data.get(f"choice-{index}-key", "")).strip(), "labels": labels})
    return rows


class ChangeTypeForm(forms.Form):
    field_type = forms.ChoiceField(label=_("New type"), choices=FieldType.choices)


class RequiredFieldsForm(forms.Form):
    """Checkboxes for the standard and custom fields of one entity."""

    def __init__(
        self,
        *args: Any,
        entity: str,
        custom_fields: list[CustomField],
        required_standard: list[str],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.entity = entity
        for name, label in STANDARD_FIELDS.get(entity, {}).items():
            self.fields[f"standard_{name}"] = forms.BooleanField(
                label=str(label), required=False, initial=name in required_standard
            )
        for field in custom_fields:
            self.fields[f"custom_{field.key}"] = forms.BooleanField(
                label=field.label, required=False, initial=field.required
            )

    def standard_fields(self) -> list[str]:
        return [
            name.removeprefix("standard_")
            for name, value in self.cleaned_data.items()
            if name.startswith("standard_") and value
        ]

    def custom_keys(self) -> list[str]:
        return [
            name.removeprefix("custom_")
            for name, value in self.cleaned_data.items()
            if name.startswith("custom_") and value
        ]

    def standard_boundfields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("standard_")]

    def custom_boundfields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("custom_")]
