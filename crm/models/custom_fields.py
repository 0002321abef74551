"""Definitions of the workspace's custom fields, and which standard fields it requires.

Values live elsewhere: in the `custom` JSONB column of each record (contacts, companies,
later deals), keyed by the field's `key`. crm/custom_values.py holds the storage format
and every rule about values; crm/actions/custom_fields.py every change of a definition.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    """The kinds of record that carry custom fields (deals come with the daily-work issue)."""

    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")
    DEAL = "deal", _("Deal")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    MONEY = "money", _("Money")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    BOOLEAN = "boolean", _("Yes/no")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    URL = "url", _("Link (URL)")


CHOICE_TYPES = frozenset({FieldType.SINGLE_CHOICE, FieldType.MULTIPLE_CHOICE})


def pick_translation(texts: dict[str, str] | None, language: str | None = None) -> str:
    """The text in `language` (default: the active one), else the first one given.

    Used for field labels, help texts and choice labels: an admin may fill in only one
    language, and everyone then sees that one.
    """
    texts = texts or {}
    language = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if texts.get(language):
        return texts[language]
    for code, _name in settings.LANGUAGES:
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")


class CustomField(models.Model):
    """One custom field of one entity, defined by the workspace's owners and admins.

    `key` is chosen once and never changes (values are stored under it), so labels can
    be renamed freely. `choices` is a list of {"key", "labels": {lang: text},
    "archived": bool}; a removed choice is archived, not dropped, so old values still
    read. Archiving the field hides it everywhere and keeps every stored value.
    """

    entity = models.CharField(_("record type"), max_length=16, choices=Entity.choices)
    key = models.SlugField(_("key"), max_length=50)
    labels = models.JSONField(_("label"), default=dict)
    help_texts = models.JSONField(_("help text"), default=dict, blank=True)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    searchable = models.BooleanField(_("searchable"), default=False)
    # An expression index exists for the field (filtering and sorting on big lists).
    indexed = models.BooleanField(_("indexed for filters and sorting"), default=False)
    default = models.JSONField(_("default value"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity", "position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="crm_custom_field_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entity}.{self.key}"

    @property
    def label(self) -> str:
        """The label in the active language, falling back to the one given."""
        return pick_translation(self.labels) or self.key

    def label_in(self, language: str) -> str:
        return pick_translation(self.labels, language) or self.key

    @property
    def help_text(self) -> str:
        return pick_translation(self.help_texts)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def has_choices(self) -> bool:
        return self.field_type in CHOICE_TYPES

    @property
    def active_choices(self) -> list[dict]:
        return [choice for choice in self.choices if not choice.get("archived")]

    def choice_label(self, choice_key: str, language: str | None = None) -> str:
        for choice in self.choices:
            if choice["key"] == choice_key:
                return pick_translation(choice.get("labels"), language) or choice_key
        return choice_key


class RequiredStandardField(models.Model):
    """A standard field (see crm.entities.STANDARD_FIELDS) the workspace requires.

    One row per required field; no row means optional. Custom fields carry their own
    `required` flag instead.
    """

    entity = models.CharField(_("record type"), max_length=16, choices=Entity.choices)
    field = models.CharField(_("field"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entity", "field"]
        verbose_name = _("required standard field")
        verbose_name_plural = _("required standard fields")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "field"], name="crm_required_standard_field_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity}.{self.field}"
