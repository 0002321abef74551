"""Who sees which clients: the one place the "members see only their own" rule lives.

Owners and admins see every client. Members see every client, or only those they are
responsible for, as the workspace's CrmSettings say. Every selector and action starts
from `visible_contacts` / `visible_companies` (or `can_see`), so lists, cards, search,
the API, duplicate warnings and exports cannot disagree.
"""

from typing import Any

from django.db.models import QuerySet

from crm.errors import CrmNotFoundError
from crm.models import Company, Contact, CrmSettings, RecordType
from crm.selectors.compiled import CompiledQuery


class Viewer:
    """A member as the rules below read them (active, by id): for a query built once and
    compiled for every member (crm.selectors.compiled), the member's id a value in it."""

    is_active = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


SETTINGS_ROW = CompiledQuery(
    lambda _shape: CrmSettings.objects.filter(singleton=True).order_by("pk")[:1]
)


def crm_settings() -> CrmSettings:
    """The workspace's CRM settings row, created with the defaults on first read."""
    rows = SETTINGS_ROW()
    found = rows[0] if rows else None
    if found is None:
        found, _created = CrmSettings.objects.get_or_create(singleton=True)
    return found


def sees_all_clients(user: Any, settings: CrmSettings | None = None) -> bool:
    """Whether `user` sees every client of the workspace (one query unless `settings` given)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_workspace_admin", False):
        return True
    settings = settings if settings is not None else crm_settings()
    return not settings.members_see_only_own


def visible_contacts(user: Any, *, sees_all: bool | None = None) -> QuerySet[Contact]:
    """Contacts (archived included) that `user` may see."""
    contacts = Contact.objects.all()
    if user is None or not getattr(user, "is_active", False):
        return contacts.none()
    if sees_all is None:
        sees_all = sees_all_clients(user)
    return contacts if sees_all else contacts.filter(responsible_id=user.pk)


def visible_companies(user: Any, *, sees_all: bool | None = None) -> QuerySet[Company]:
    """Companies (archived included) that `user` may see."""
    companies = Company.objects.all()
    if user is None or not getattr(user, "is_active", False):
        return companies.none()
    if sees_all is None:
        sees_all = sees_all_clients(user)
    return companies if sees_all else companies.filter(responsible_id=user.pk)


def visible_records(user: Any, record_type: str, *, sees_all: bool | None = None) -> QuerySet[Any]:
    if record_type == RecordType.CONTACT:
        return visible_contacts(user, sees_all=sees_all)
    if record_type == RecordType.COMPANY:
        return visible_companies(user, sees_all=sees_all)
    raise ValueError(record_type)


def can_see(user: Any, record: Contact | Company, *, sees_all: bool | None = None) -> bool:
    """Whether `user` may see `record` (no query when the answer follows from roles)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if record.responsible_id == user.pk:
        return True
    if sees_all is None:
        sees_all = sees_all_clients(user)
    return sees_all


def ensure_can_see(user: Any, record: Contact | Company) -> None:
    """Raise CrmNotFoundError (answered as 404, never 403) unless `user` may see `record`."""
    if not can_see(user, record):
        raise CrmNotFoundError()


def get_visible_contact(user: Any, contact_id: int) -> Contact:
    """The contact `contact_id` if `user` may see it; CrmNotFoundError otherwise."""
    found = visible_contacts(user).filter(pk=contact_id).first()
    if found is None:
        raise CrmNotFoundError()
    return found


def get_visible_company(user: Any, company_id: int) -> Company:
    """The company `company_id` if `user` may see it; CrmNotFoundError otherwise."""
    found = visible_companies(user).filter(pk=company_id).first()
    if found is None:
        raise CrmNotFoundError()
    return found
