"""Request and response shapes of the CRM endpoints (the OpenAPI schema is made from these).

Inputs forbid unknown fields (a typo is an error, not silently ignored) and bound every
text and list, so a huge or wrong-typed body is a 422 with per-field messages.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

ShortText = Annotated[str, StringConstraints(max_length=255)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
PhoneLabelName = Literal["mobile", "work", "home", "other"]
MessengerKindName = Literal["telegram", "whatsapp", "viber"]
ConsentKindName = Literal["personal_data", "advertising"]
ConsentStatusName = Literal["given", "withdrawn"]
ConsentSourceName = Literal["form", "import", "api", "manual"]
ArchivedState = Literal["active", "archived", "all"]
EntityName = Literal["contact", "company"]
MAX_ITEMS = 50


class StrictInput(Schema):
    model_config = ConfigDict(extra="forbid")


class PresentedOut(BaseModel):
    """A response shape filled from the plain dicts of crm.api.presenters.

    A plain pydantic model, not ninja's Schema: Schema runs a Python validator on every
    object (it wraps it to read Django attributes, managers and callables), ~270 times for
    a page of 50 contacts and a sixth of that request's time; these dicts need none of it,
    and pydantic checks them in its compiled core. The OpenAPI schema is the same.
    """

    model_config = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- shared pieces


class PhoneIn(StrictInput):
    number: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="As typed, in any format; stored as E.164 with the workspace's country."
    )
    label: PhoneLabelName = "mobile"


def _phone_from_text(value: Any) -> Any:
    """A phone sent as just its number is a mobile number."""
    return {"number": value} if isinstance(value, str) else value


PhoneItem = Annotated[PhoneIn, BeforeValidator(_phone_from_text)]


class PhoneOut(PresentedOut):
    number: str = Field(description="E.164, e.g. +79161234567.")
    raw: str = Field(description="As it was typed.")
    label: str


class MessengerIn(StrictInput):
    kind: MessengerKindName
    handle: Annotated[str, StringConstraints(max_length=100)]


class MessengerOut(PresentedOut):
    kind: str
    handle: str


class Reference(Schema):
    """Another object, by id and name."""

    id: int
    name: str


class MemberOut(Schema):
    id: int
    name: str
    email: str


class AddressIn(StrictInput):
    label: Annotated[str, StringConstraints(max_length=60)] = ""
    text: LongText


class AddressOut(PresentedOut):
    label: str
    text: str


CustomValues = Annotated[
    dict[Annotated[str, StringConstraints(max_length=50)], Any],
    Field(
        description=(
            "Custom field values by key, in their JSON types: numbers, true/false, "
            "ISO dates, choice keys (a list for multiple choice), money as "
            '{"amount": "12.50", "currency": "RUB"}. On update, null clears a field.'
        ),
        max_length=200,
    ),
]


# ---------------------------------------------------------------- contacts


class CompanyLinkIn(StrictInput):
    company_id: int
    position: Annotated[str, StringConstraints(max_length=150)] = ""


class ContactBase(StrictInput):
    surname: Annotated[str, StringConstraints(max_length=100)] = ""
    first_name: Annotated[str, StringConstraints(max_length=100)] = ""
    patronymic: Annotated[str, StringConstraints(max_length=100)] = ""
    form_of_address: Annotated[str, StringConstraints(max_length=150)] = Field(
        "", description='How to address the person, e.g. "call her Sasha".'
    )
    birthday: dt.date | None = None
    position: Annotated[str, StringConstraints(max_length=150)] = ""
    address: LongText = ""
    source_id: int | None = Field(None, description="A source channel's id (GET /api/sources).")
    responsible_id: int | None = Field(
        None, description="A member's id; the key's member when left out on create."
    )
    pinned_note: LongText = ""
    tags: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Tag names; new ones are created."
    )
    phones: list[PhoneItem] = Field(
        default_factory=list,
        max_length=20,
        description='Each as {"number": ..., "label": ...} or just the number (label mobile).',
    )
    emails: list[Annotated[str, StringConstraints(max_length=254)]] = Field(
        default_factory=list, max_length=20
    )
    messengers: list[MessengerIn] = Field(default_factory=list, max_length=20)
    custom: CustomValues = Field(default_factory=dict)


class ContactIn(ContactBase):
    companies: list[CompanyLinkIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    allow_duplicate: bool = Field(
        False, description="Save even if a phone or e-mail belongs to another record."
    )


class ContactPatch(ContactBase):
    """Only the fields sent change; lists sent replace the contact's; custom values merge."""

    allow_duplicate: bool = False


class ContactCompanyOut(PresentedOut):
    company_id: int
    name: str
    position: str


class ContactOut(PresentedOut):
    id: int
    full_name: str
    surname: str
    first_name: str
    patronymic: str
    form_of_address: str
    birthday: dt.date | None
    position: str
    address: str
    source: Reference | None
    responsible: MemberOut | None
    pinned_note: str
    tags: list[str]
    phones: list[PhoneOut]
    emails: list[str]
    messengers: list[MessengerOut]
    companies: list[ContactCompanyOut]
    consent_personal_data: str | None = Field(description='"given", "withdrawn" or null.')
    consent_advertising: str | None = Field(description='"given", "withdrawn" or null.')
    custom: dict[str, Any]
    archived: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactListItem(ContactOut):
    matched_on: str | None = Field(
        None, description='With q: what matched ("name", "phone", "email", "custom.<key>").'
    )


class ContactPage(PresentedOut):
    items: list[ContactListItem]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


# ---------------------------------------------------------------- companies


class CompanyBase(StrictInput):
    legal_name: Annotated[str, StringConstraints(max_length=255)] = ""
    tax_number: Annotated[str, StringConstraints(max_length=20)] = Field(
        "", description="INN (10 or 12 digits) or EDRPOU (8 digits); check digits verified."
    )
    industry: Annotated[str, StringConstraints(max_length=120)] = ""
    headcount: int | None = Field(None, ge=0, le=10_000_000)
    website: Annotated[str, StringConstraints(max_length=300)] = ""
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    source_id: int | None = None
    responsible_id: int | None = None
    pinned_note: LongText = ""
    tags: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    phones: list[PhoneItem] = Field(
        default_factory=list,
        max_length=20,
        description='Each as {"number": ..., "label": ...} or just the number (label mobile).',
    )
    emails: list[Annotated[str, StringConstraints(max_length=254)]] = Field(
        default_factory=list, max_length=20
    )
    custom: CustomValues = Field(default_factory=dict)
    allow_duplicate: bool = Field(
        False, description="Save even if a phone, e-mail or tax number belongs to another record."
    )


class CompanyIn(CompanyBase):
    name: Annotated[str, StringConstraints(max_length=255)]


class CompanyPatch(CompanyBase):
    name: Annotated[str, StringConstraints(max_length=255)] = ""


class CompanyContactOut(PresentedOut):
    contact_id: int
    name: str
    position: str


class CompanyOut(PresentedOut):
    id: int
    name: str
    legal_name: str
    tax_number: str
    industry: str
    headcount: int | None
    website: str
    addresses: list[AddressOut]
    source: Reference | None
    responsible: MemberOut | None
    pinned_note: str
    tags: list[str]
    phones: list[PhoneOut]
    emails: list[str]
    custom: dict[str, Any]
    archived: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CompanyListItem(CompanyOut):
    matched_on: str | None = None


class CompanyPage(PresentedOut):
    items: list[CompanyListItem]
    next_cursor: str | None


class CompanyDetailOut(CompanyOut):
    contacts: list[CompanyContactOut]


# ---------------------------------------------------------------- links and consents


class LinkIn(StrictInput):
    position: Annotated[str, StringConstraints(max_length=150)] = ""


class LinkOut(Schema):
    contact_id: int
    company_id: int
    position: str


class ConsentIn(StrictInput):
    kind: ConsentKindName
    status: ConsentStatusName
    source: ConsentSourceName = "api"
    text_version: LongText = Field("", description="The text or version agreed to.")
    at: dt.datetime | None = Field(None, description="When; now when left out.")


class ConsentOut(Schema):
    id: int
    kind: str
    status: str
    at: dt.datetime
    source: str
    text_version: str
    recorded_by: MemberOut | None
    recorded_by_label: str


class ConsentStateOut(Schema):
    personal_data: str | None
    advertising: str | None
    history: list[ConsentOut]


# ---------------------------------------------------------------- tags and sources


class TagOut(Schema):
    id: int
    name: str


class TagPatch(StrictInput):
    name: Annotated[str, StringConstraints(max_length=60)]


class SourceOut(Schema):
    id: int
    name: str
    archived: bool


class SourceIn(StrictInput):
    name: Annotated[str, StringConstraints(max_length=100)]


# ---------------------------------------------------------------- custom field definitions


Texts = Annotated[
    dict[Literal["ru", "uk", "en"], Annotated[str, StringConstraints(max_length=500)]],
    Field(description='By language: {"ru": ..., "uk": ..., "en": ...}; one is enough.'),
]


class ChoiceIn(StrictInput):
    key: Annotated[str, StringConstraints(max_length=50)] = Field(
        "", description="Stable key; made from the label when left out. Keep it to keep values."
    )
    labels: Texts


class ChoiceOut(Schema):
    key: str
    labels: dict[str, str]
    archived: bool


class CustomFieldIn(StrictInput):
    entity: EntityName
    field_type: Literal[
        "text",
        "long_text",
        "integer",
        "decimal",
        "money",
        "date",
        "datetime",
        "boolean",
        "single_choice",
        "multiple_choice",
        "email",
        "phone",
        "url",
    ]
    labels: Texts
    key: Annotated[str, StringConstraints(max_length=50)] = ""
    help_texts: Texts = Field(default_factory=dict)
    required: bool = False
    searchable: bool = False
    indexed: bool = False
    default: Any = None
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=200)


class CustomFieldPatch(StrictInput):
    labels: Texts | None = None
    help_texts: Texts | None = None
    required: bool | None = None
    searchable: bool | None = None
    indexed: bool | None = None
    default: Any = None
    choices: list[ChoiceIn] | None = Field(None, max_length=200)


class CustomFieldOut(Schema):
    id: int
    entity: str
    key: str
    field_type: str
    label: str
    labels: dict[str, str]
    help_texts: dict[str, str]
    required: bool
    searchable: bool
    indexed: bool
    default: Any
    choices: list[ChoiceOut]
    position: int
    archived: bool
