"""The one search box of every workspace page: live results (htmx) and a results page."""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.selectors.custom_fields import custom_field_by_key
from crm.selectors.search import search_clients
from crm.views.common import crm_view, member

LIVE_LIMIT = 8
PAGE_LIMIT = 50
MIN_LENGTH = 2


@dataclass
class ShownHit:
    """A search hit as the box shows it: the record, and what matched in words."""

    record_type: str
    record_id: int
    name: str
    archived: bool
    matched_label: str
    matched_value: str
    url: str
    kind_label: str


def _matched_label(record_type: str, matched_on: str) -> str:
    if matched_on.startswith("custom."):
        found = custom_field_by_key(record_type, matched_on.removeprefix("custom."))
        return str(found.label) if found is not None else matched_on
    labels = {
        "name": _("Name"),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "tax_number": _("Tax number"),
    }
    return str(labels.get(matched_on, matched_on))


def _search(user: Any, query: str, limit: int) -> list[ShownHit]:
    # Links and kind labels made once per page, not per hit in the template (50 reverse()
    # and 100 translations on a results page).
    prefixes = {
        record_type: reverse(name, args=[0]).rsplit("0/", 1)[0]
        for record_type, name in (
            ("company", "crm_company_detail"),
            ("contact", "crm_contact_detail"),
        )
    }
    kind_labels = {"company": _("Company"), "contact": _("Contact")}
    return [
        ShownHit(
            record_type=hit.record_type,
            record_id=hit.record_id,
            name=hit.record.display_name,
            archived=hit.record.archived_at is not None,
            matched_label=_matched_label(hit.record_type, hit.matched_on),
            matched_value=hit.matched_value,
            url=f"{prefixes.get(hit.record_type, prefixes['contact'])}{hit.record_id}/",
            kind_label=kind_labels.get(hit.record_type, kind_labels["contact"]),
        )
        for hit in search_clients(user, query, limit=limit)
    ]


@crm_view
def search(request: HttpRequest) -> HttpResponse:
    """Contacts and companies matching `q`, each saying what matched.

    From the search box (htmx): a short list of hits, the first of which Enter opens.
    Without JavaScript, or on "all results": the same as a page.
    """
    query = (request.GET.get("q") or "").strip()[:200]
    live = bool(getattr(request, "htmx", False))
    hits = (
        _search(member(request), query, LIVE_LIMIT if live else PAGE_LIMIT)
        if len(query) >= MIN_LENGTH
        else []
    )
    context = {"query": query, "hits": hits, "too_short": 0 < len(query) < MIN_LENGTH}
    if live:
        return render(request, "crm/_search_results.html", context)
    return render(request, "crm/search.html", context)
