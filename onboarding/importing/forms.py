"""The import wizard's forms: what each step asks, validated before any action is called.

The forms only shape input; the rules (file limits, mapping targets, duplicate options)
are the engine's actions', which raise translated errors the views put back on the form.
"""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models.custom_fields import CHOICE_TYPES, FieldType
from onboarding.importing.models import ImportEntity, OnDuplicate, SavedMapping
from onboarding.importing.reading import DELIMITER_CHOICES, ENCODING_CHOICES

# What the start page offers: contacts linked to companies come in as contacts whose
# company columns (name, tax number) link or create the company.
WHAT_CONTACTS = "contacts"
WHAT_COMPANIES = "companies"
WHAT_CONTACTS_WITH_COMPANIES = "contacts_with_companies"
WHAT_CHOICES = [
    (WHAT_CONTACTS, _("Contacts (people)")),
    (WHAT_COMPANIES, _("Companies")),
    (WHAT_CONTACTS_WITH_COMPANIES, _("Contacts with their companies, in one file")),
]
WHAT_HINTS = {
    WHAT_CONTACTS: _("One row per person: name, phones, e-mails, notes."),
    WHAT_COMPANIES: _("One row per company: name, tax number, industry, website."),
    WHAT_CONTACTS_WITH_COMPANIES: _(
        "One row per person with the company's name or tax number: the company is "
        "found or created and the person linked to it."
    ),
}
ENTITY_OF_WHAT = {
    WHAT_CONTACTS: ImportEntity.CONTACTS,
    WHAT_COMPANIES: ImportEntity.COMPANIES,
    WHAT_CONTACTS_WITH_COMPANIES: ImportEntity.CONTACTS,
}

ACCEPTED_EXTENSIONS = ".csv,.tsv,.txt,.xlsx,.xls,.htm,.html"

IGNORE = ""
NEW_FIELD = "__new__"
# Types a new custom field can take from the mapping page: those a cell maps onto
# directly (choice fields need their options defined first, in the field settings).
NEW_FIELD_TYPES = [
    (value, label) for value, label in FieldType.choices if value not in CHOICE_TYPES
]


class StartForm(forms.Form):
    what = forms.ChoiceField(
        label=_("What do you import?"),
        choices=WHAT_CHOICES,
        initial=WHAT_CONTACTS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_EXTENSIONS}),
        error_messages={
            "required": _("Choose a file to import."),
            "empty": _("The file is empty."),
        },
    )

    @property
    def entity(self) -> str:
        return str(ENTITY_OF_WHAT[self.cleaned_data["what"]])


class ReadSettingsForm(forms.Form):
    """How the file is read; every field starts at what was detected."""

    encoding = forms.ChoiceField(label=_("Encoding"), required=False)
    delimiter = forms.ChoiceField(label=_("Column separator"), required=False)
    header_row = forms.IntegerField(
        label=_("Row with the column names"),
        min_value=1,
        max_value=1000,
        help_text=_("The row number as a spreadsheet shows it (title rows above are skipped)."),
    )
    sheet = forms.ChoiceField(label=_("Sheet"), required=False)

    def __init__(
        self,
        *args: Any,
        file_format: str,
        detected_encoding: str = "",
        sheets: list[str] | tuple[str, ...] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        encodings = list(ENCODING_CHOICES)
        if detected_encoding and detected_encoding not in {value for value, _label in encodings}:
            encodings.insert(0, (detected_encoding, detected_encoding))
        cast(forms.ChoiceField, self.fields["encoding"]).choices = encodings
        cast(forms.ChoiceField, self.fields["delimiter"]).choices = DELIMITER_CHOICES
        cast(forms.ChoiceField, self.fields["sheet"]).choices = [(name, name) for name in sheets]
        if file_format != "csv":
            del self.fields["encoding"]
            del self.fields["delimiter"]
        if file_format not in {"xlsx", "xls"} or not sheets:
            del self.fields["sheet"]


class MappingForm(forms.Form):
    """One target per column (or ignore it, or a new custom field), and a name to save it."""

    save_as = forms.CharField(
        label=_("Save this mapping as"),
        required=False,
        max_length=120,
        help_text=_("Give it a name to reuse it for the next file of this kind."),
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        targets: list[tuple[str, str]],
        current: dict[int, str | None],
        multiple: set[str] | frozenset[str] = frozenset(),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        # Targets several columns may feed (each phone or e-mail column adds one).
        self.multiple = multiple
        choices = [(IGNORE, _("— Do not import —")), *targets, (NEW_FIELD, _("New field…"))]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=current.get(index) or ""
            )
            self.fields[f"new_name_{index}"] = forms.CharField(
                label=_("Name of the new field"), required=False, max_length=100, initial=header
            )
            self.fields[f"new_type_{index}"] = forms.ChoiceField(
                label=_("Type"), choices=NEW_FIELD_TYPES, required=False, initial=FieldType.TEXT
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: dict[str, int] = {}
        for index in range(len(self.headers)):
            target = cleaned.get(f"column_{index}") or IGNORE
            if target == NEW_FIELD:
                if not (cleaned.get(f"new_name_{index}") or "").strip():
                    self.add_error(f"new_name_{index}", _("Name the new field."))
                if not cleaned.get(f"new_type_{index}"):
                    self.add_error(f"new_type_{index}", _("Choose the type of the new field."))
                continue
            if target in self.multiple or target == IGNORE:
                continue
            if target in seen:
                self.add_error(
                    f"column_{index}",
                    _("“%(other)s” already goes into this field: choose another one.")
                    % {"other": self.headers[seen[target]]},
                )
            else:
                seen[target] = index
        return cleaned

    def mapping(self) -> dict[int, str | None]:
        """{column index: target}, None for ignored columns and for new fields."""
        result: dict[int, str | None] = {}
        for index in range(len(self.headers)):
            target = self.cleaned_data.get(f"column_{index}") or IGNORE
            result[index] = None if target in {IGNORE, NEW_FIELD} else target
        return result

    def new_fields(self) -> list[dict[str, Any]]:
        return [
            {
                "column": index,
                "label": self.cleaned_data[f"new_name_{index}"].strip(),
                "field_type": self.cleaned_data[f"new_type_{index}"],
            }
            for index in range(len(self.headers))
            if self.cleaned_data.get(f"column_{index}") == NEW_FIELD
        ]

    def rows(self) -> list[dict[str, Any]]:
        """The template's view of the form: one entry per column."""
        return [
            {
                "index": index,
                "header": header,
                "target": self[f"column_{index}"],
                "new_name": self[f"new_name_{index}"],
                "new_type": self[f"new_type_{index}"],
                "creating": (self[f"column_{index}"].value() or "") == NEW_FIELD,
            }
            for index, header in enumerate(self.headers)
        ]


class SavedMappingChoiceForm(forms.Form):
    saved = forms.ModelChoiceField(
        label=_("Use a saved mapping"),
        queryset=SavedMapping.objects.none(),
        empty_label=_("Choose…"),
        error_messages={"required": _("Choose a saved mapping.")},
    )

    def __init__(self, *args: Any, entity: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["saved"].queryset = SavedMapping.objects.filter(entity=entity)  # type: ignore[attr-defined]


class ContinueAfterCheckForm(forms.Form):
    """Going on past failing rows is a choice the person makes explicitly."""

    only_valid = forms.BooleanField(
        label=_("Import the valid rows and leave the failing ones out"), required=False
    )

    def __init__(self, *args: Any, failing_rows: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.failing_rows = failing_rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.failing_rows and not cleaned.get("only_valid"):
            self.add_error(
                "only_valid",
                _("Tick this to import without the failing rows, or fix the file first."),
            )
        return cleaned


RESPONSIBLE_ME = "me"
RESPONSIBLE_COLUMN = "column"


class DuplicatesForm(forms.Form):
    on_duplicate = forms.ChoiceField(
        label=_("When a row matches an existing record"),
        choices=OnDuplicate.choices,
        initial=OnDuplicate.UPDATE,
        widget=forms.RadioSelect,
    )
    responsible = forms.ChoiceField(label=_("Responsible manager"))

    def __init__(
        self,
        *args: Any,
        members: list[tuple[int, str]],
        responsible_column: str | None,
        match_rows: list[int],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = []
        if responsible_column:
            choices.append(
                (
                    RESPONSIBLE_COLUMN,
                    _("From the column “%(column)s” (matched by name or e-mail)")
                    % {"column": responsible_column},
                )
            )
        choices.append((RESPONSIBLE_ME, _("Me, for every row")))
        choices += [(str(member_id), str(name)) for member_id, name in members]
        cast(forms.ChoiceField, self.fields["responsible"]).choices = choices
        self.fields["responsible"].initial = choices[0][0]
        self.match_rows = match_rows
        override_choices = [("", _("As chosen above")), *OnDuplicate.choices]
        for row_number in match_rows:
            self.fields[f"row_{row_number}"] = forms.ChoiceField(
                label=_("Row %(row)s") % {"row": row_number},
                choices=override_choices,
                required=False,
            )

    def responsible_id(self, acting_user_id: int) -> int | None:
        value = self.cleaned_data["responsible"]
        if value == RESPONSIBLE_COLUMN:
            return None
        if value == RESPONSIBLE_ME:
            return acting_user_id
        return int(value)

    def overrides(self) -> dict[int, str]:
        return {
            row_number: self.cleaned_data[f"row_{row_number}"]
            for row_number in self.match_rows
            if self.cleaned_data.get(f"row_{row_number}")
        }
