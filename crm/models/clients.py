"""The client base: companies, contacts, their phones, e-mails, tags, consents and history.

Rules live in crm.actions.clients (every write) and crm.selectors (every read of more
than one query); these are data. Columns named `*_search`, `digits_reversed` and
`address_casefold` are derived by the actions from what people typed, and exist to be
indexed (pg_trgm GIN, btree text_pattern_ops): a workspace schema may hold no triggers
or functions, so nothing in the database computes them.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Lower
from django.utils.translation import gettext_lazy as _


class RecordType(models.TextChoices):
    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")
    DEAL = "deal", _("Deal")


class CrmSettings(models.Model):
    """The workspace's CRM settings: one row (id 1), made on first read."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    members_see_only_own = models.BooleanField(
        _("members see only the clients they are responsible for"), default=False
    )
    # A missed call makes a call-back task for the client's manager, due this much later.
    callback_within_minutes = models.PositiveIntegerField(
        _("call back a missed call within, minutes"), default=60
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CRM settings")
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="crm_settings_singleton")
        ]

    def __str__(self) -> str:
        return "CRM settings"


class SourceChannel(models.Model):
    """Where clients come from (website, referral, cold call...): a list the workspace edits."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("source channel")
        verbose_name_plural = _("source channels")
        constraints = [models.UniqueConstraint(Lower("name"), name="crm_source_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Lower("name"), name="crm_tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class ClientRecord(models.Model):
    """What contacts and companies share: owner, source, tags, note, custom values, life."""

    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible manager"),
    )
    source = models.ForeignKey(
        SourceChannel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source"),
    )
    pinned_note = models.TextField(_("pinned note"), blank=True)
    # Values of the workspace's custom fields, by field key (crm.custom_values validates them).
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Transliterated, lower-cased name words (crm.normalize.search_text), trigram-indexed.
    name_search = models.TextField(default="", blank=True, editable=False)
    # The newest timeline entry's time (kept by crm.actions.timeline): lists sort on it.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Company(ClientRecord):
    name = models.CharField(_("name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    # INN (10 or 12 digits) or EDRPOU (8), checksums verified; a string: leading zeros count.
    tax_number = models.CharField(_("tax number"), max_length=12, blank=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    # [{"label": "legal" | "office" | ..., "text": "..."}], in the order shown.
    addresses = models.JSONField(_("addresses"), default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_records"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            GinIndex(
                fields=["name_search"], opclasses=["gin_trgm_ops"], name="crm_company_name_trgm"
            ),
            GinIndex(
                OpClass(Cast("custom", models.TextField()), name="gin_trgm_ops"),
                name="crm_company_custom_trgm",
            ),
            GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"], name="crm_company_custom"),
            models.Index(fields=["tax_number"], name="crm_company_tax_number"),
            models.Index(fields=["responsible", "-created_at"], name="crm_company_resp_created"),
            models.Index(fields=["-created_at", "-id"], name="crm_company_created"),
            models.Index(Lower("name"), "id", name="crm_company_name_lower"),
            models.Index(fields=["last_contact_at", "id"], name="crm_company_last_contact"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name


class Contact(ClientRecord):
    surname = models.CharField(_("surname"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    form_of_address = models.CharField(_("preferred form of address"), max_length=150, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    address = models.TextField(_("address"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    companies = models.ManyToManyField(
        Company, through="ContactCompany", related_name="contacts", blank=True
    )
    # The latest ConsentRecord of each kind ("given", "withdrawn" or "" for never asked),
    # kept by the consent actions so lists can filter on it.
    consent_personal_data = models.CharField(max_length=16, blank=True, default="")
    consent_advertising = models.CharField(max_length=16, blank=True, default="")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_records"
    )

    class Meta:
        ordering = ["surname", "first_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            GinIndex(
                fields=["name_search"], opclasses=["gin_trgm_ops"], name="crm_contact_name_trgm"
            ),
            GinIndex(
                OpClass(Cast("custom", models.TextField()), name="gin_trgm_ops"),
                name="crm_contact_custom_trgm",
            ),
            GinIndex(fields=["custom"], opclasses=["jsonb_path_ops"], name="crm_contact_custom"),
            models.Index(fields=["responsible", "-created_at"], name="crm_contact_resp_created"),
            models.Index(fields=["-created_at", "-id"], name="crm_contact_created"),
            models.Index(fields=["surname", "first_name", "id"], name="crm_contact_name"),
            models.Index(fields=["last_contact_at", "id"], name="crm_contact_last_contact"),
        ]

    def __str__(self) -> str:
        return self.full_name or str(_("(no name)"))

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.first_name, self.patronymic) if part)

    @property
    def display_name(self) -> str:
        return str(self)


class ContactCompany(models.Model):
    """A contact's place in a company (a contact may belong to several)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="company_links")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contact_links")
    position = models.CharField(_("position"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "company"], name="crm_contact_company_once")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.company_id}"


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    WORK = "work", _("Work")
    HOME = "home", _("Home")
    OTHER = "other", _("Other")


def _one_owner() -> Q:
    return Q(contact__isnull=False, company__isnull=True) | Q(
        contact__isnull=True, company__isnull=False
    )


class Phone(models.Model):
    """A phone of a contact or of a company: E.164 plus the text as typed."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    e164 = models.CharField(_("phone"), max_length=20)
    raw = models.CharField(_("as entered"), max_length=64, blank=True)
    label = models.CharField(
        _("label"), max_length=16, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE
    )
    # The digits of e164 reversed: "ends with 4567" is the index-friendly "starts with 7654".
    digits_reversed = models.CharField(max_length=20, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=_one_owner(), name="crm_phone_one_owner")]
        indexes = [
            models.Index(fields=["e164"], name="crm_phone_e164"),
            models.Index(
                fields=["digits_reversed"],
                opclasses=["text_pattern_ops"],
                name="crm_phone_digits_reversed",
            ),
        ]

    def __str__(self) -> str:
        return self.e164


class Email(models.Model):
    """An e-mail of a contact or of a company: shown as entered, matched case-folded."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    address = models.CharField(_("e-mail"), max_length=254)
    address_casefold = models.CharField(max_length=254, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=_one_owner(), name="crm_email_one_owner")]
        indexes = [
            models.Index(fields=["address_casefold"], name="crm_email_casefold"),
            GinIndex(
                fields=["address_casefold"],
                opclasses=["gin_trgm_ops"],
                name="crm_email_casefold_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.address


class MessengerKind(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    VIBER = "viber", "Viber"


class Messenger(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messengers")
    kind = models.CharField(_("messenger"), max_length=16, choices=MessengerKind.choices)
    handle = models.CharField(_("handle or number"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.handle}"


class ConsentKind(models.TextChoices):
    PERSONAL_DATA = "personal_data", _("Personal data processing")
    ADVERTISING = "advertising", _("Advertising mailings")


class ConsentStatus(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentSource(models.TextChoices):
    FORM = "form", _("Form")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    MANUAL = "manual", _("Entered by a member")


class ConsentRecord(models.Model):
    """One giving or withdrawal of one consent: append-only, the latest of a kind counts."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent"), max_length=16, choices=ConsentKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ConsentStatus.choices)
    at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    text_version = models.TextField(_("text or version agreed to"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An API key's name or an import's id when no member recorded it.
    recorded_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "kind", "-at"], name="crm_consent_latest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.at:%Y-%m-%d}"


class ChangeVia(models.TextChoices):
    FORM = "form", _("form")
    API = "api", _("API")
    IMPORT = "import", _("import")
    MERGE = "merge", _("merge")
    SYSTEM = "system", _("system")


class ChangeRecord(models.Model):
    """One field of one record changed: who, through what, when, old and new value.

    Written by the actions in the same transaction as the change. `field` is a standard
    field's name, "custom.<key>" for a custom field, or one of the collection names
    ("phones", "emails", "tags", "companies", "messengers"), whose values are lists.
    "record" with old None marks a creation; "archived_at" an archiving.
    """

    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    record_id = models.BigIntegerField()
    field = models.CharField(max_length=120)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An API key's name or an import's id, beside or instead of the member.
    actor_label = models.CharField(max_length=200, blank=True)
    via = models.CharField(max_length=16, choices=ChangeVia.choices)
    # The changes one action made share a changeset.
    changeset = models.UUIDField(default=uuid.uuid4)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["record_type", "record_id", "-at"], name="crm_change_record"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id} {self.field}"


class Merge(models.Model):
    """Records merged into one, with what is needed to undo it (crm.actions.clients)."""

    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    primary_id = models.BigIntegerField()
    merged_ids = models.JSONField(default=list)
    undo_data = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    merged_at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["record_type", "primary_id"], name="crm_merge_primary")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.merged_ids} -> {self.primary_id}"


class Segment(models.Model):
    """A named list filter, shared in the workspace."""

    record_type = models.CharField(max_length=16, choices=RecordType.choices)
    name = models.CharField(_("name"), max_length=120)
    # The filter as crm.selectors.lists reads it (see ClientFilter.from_dict).
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.UniqueConstraint("record_type", Lower("name"), name="crm_segment_name_unique_ci")
        ]

    def __str__(self) -> str:
        return self.name
