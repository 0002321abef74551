"""How a page of contacts or companies loads its children: one query each, lean columns.

Shared by the list pages and the API. A page builds a few hundred child objects; loading
only the columns that lists and the API show (not search columns, not whole companies
behind each link) is most of what such a page costs in Python.

Each collection lands in a plain list attribute (`to_attr`: `loaded_phones`,
`loaded_emails`, `loaded_tags`, `loaded_company_links`, `loaded_messengers`,
`loaded_contact_links`) rather than in the related manager's cache: storing it in the
manager builds a queryset per record and relation, and reading it back through
`record.phones.all()` another; for a page of 50 contacts that was ~400 querysets.
"""

from django.db.models import Prefetch, QuerySet

from crm.models import Company, Contact, ContactCompany, Email, Messenger, Phone, Tag


def phones() -> Prefetch:
    return Prefetch(
        "phones",
        to_attr="loaded_phones",
        queryset=Phone.objects.only("contact_id", "company_id", "e164", "raw", "label").order_by(
            "position", "id"
        ),
    )


def emails() -> Prefetch:
    return Prefetch(
        "emails",
        to_attr="loaded_emails",
        queryset=Email.objects.only("contact_id", "company_id", "address").order_by(
            "position", "id"
        ),
    )


def tags() -> Prefetch:
    return Prefetch("tags", to_attr="loaded_tags", queryset=Tag.objects.only("name"))


def messengers() -> Prefetch:
    return Prefetch(
        "messengers",
        to_attr="loaded_messengers",
        queryset=Messenger.objects.only("contact_id", "kind", "handle").order_by("position", "id"),
    )


def company_links() -> Prefetch:
    """A contact's companies, each with its name and the contact's position there."""
    return Prefetch(
        "company_links",
        to_attr="loaded_company_links",
        queryset=ContactCompany.objects.select_related("company")
        .only("contact_id", "company_id", "position", "company__name")
        .order_by("id"),
    )


def contact_links() -> Prefetch:
    """A company's people, each with their name parts and position there."""
    return Prefetch(
        "contact_links",
        to_attr="loaded_contact_links",
        queryset=ContactCompany.objects.select_related("contact")
        .only(
            "contact_id",
            "company_id",
            "position",
            "contact__surname",
            "contact__first_name",
            "contact__patronymic",
        )
        .order_by("id"),
    )


def contact_rows(records: QuerySet[Contact], *, with_messengers: bool = False) -> QuerySet[Contact]:
    """Contacts with responsible, source, phones, e-mails, tags, companies (and messengers)."""
    loaded = [phones(), emails(), tags(), company_links()]
    if with_messengers:
        loaded.append(messengers())
    return records.select_related("responsible", "source").prefetch_related(*loaded)


def company_rows(records: QuerySet[Company], *, with_contacts: bool = False) -> QuerySet[Company]:
    """Companies with responsible, source, phones, e-mails, tags (and their people)."""
    loaded = [phones(), emails(), tags()]
    if with_contacts:
        loaded.append(contact_links())
    return records.select_related("responsible", "source").prefetch_related(*loaded)
