"""What the CRM's views share: the two record types, error mapping, query strings."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.errors import CrmNotFoundError, CrmValidationError
from crm.models import Company, Contact, RecordType
from tenants.guards import WorkspaceReadOnlyError
from tenants.members.models import User


@dataclass(frozen=True)
class Kind:
    """One record type as the pages name and route it."""

    record_type: str
    model: type[Contact] | type[Company]
    plural_label: Any
    singular_label: Any
    url_prefix: str  # "crm_contact" / "crm_company"

    def url(self, suffix: str) -> str:
        return f"{self.url_prefix}_{suffix}"


CONTACT = Kind(
    RecordType.CONTACT, Contact, gettext_lazy("Contacts"), gettext_lazy("Contact"), "crm_contact"
)
COMPANY = Kind(
    RecordType.COMPANY,
    Company,
    gettext_lazy("Companies"),
    gettext_lazy("Company"),
    "crm_company",
)
KINDS = {CONTACT.record_type: CONTACT, COMPANY.record_type: COMPANY}


def kind_of(record_type: str) -> Kind:
    kind = KINDS.get(record_type)
    if kind is None:
        raise Http404
    return kind


def crm_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in members; a record the member may not see is a 404 (never a 403);
    a read-only workspace says so and sends the person back."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except CrmNotFoundError as error:
            raise Http404 from error
        except WorkspaceReadOnlyError as error:
            messages.error(request, error.message)
            return redirect(back_url(request, "crm_contact_list"))

    return guarded


def member(request: HttpRequest) -> User:
    """The logged-in member (crm_view has made sure there is one)."""
    return cast(User, request.user)


def admin_only(request: HttpRequest) -> None:
    if not request.user.is_workspace_admin:  # type: ignore[union-attr]
        raise PermissionDenied


def first_error(error: CrmValidationError) -> str:
    for messages_of_field in error.field_errors.values():
        for message in messages_of_field:
            return message
    return _("Please correct the errors below.")


def all_errors(error: CrmValidationError) -> str:
    return " ".join(
        m for messages_of_field in error.field_errors.values() for m in messages_of_field
    )


def back_url(request: HttpRequest, fallback: str, *args: Any) -> str:
    """The safe `next` the request names, else the named fallback URL."""
    from django.urls import reverse

    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(fallback, args=args)


def querystring(params: Any, *, without: tuple[str, ...] = ()) -> str:
    """`params` (a QueryDict or mapping) as a query string, leaving out `without` and blanks."""
    pairs: list[tuple[str, str]] = []
    getlist = getattr(params, "getlist", None)
    for key in params:
        if key in without:
            continue
        values = getlist(key) if getlist else [params[key]]
        if not isinstance(values, list):
            values = [values]
        pairs += [(key, str(value)) for value in values if value not in ("", None)]
    return urlencode(pairs)


def int_list(values: list[str]) -> list[int]:
    result = []
    for value in values:
        try:
            result.append(int(value))
        except (TypeError, ValueError):
            continue
    return result
