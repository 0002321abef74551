"""The one search box of every workspace page: live results (htmx) and a results page."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.views.common import crm_view

LIVE_LIMIT = 8
PAGE_LIMIT = 50
MIN_LENGTH = 2


def _search(user: Any, query: str, limit: int) -> list[Any]:
    from crm.selectors.search import search_clients

    return list(search_clients(user, query, limit=limit))


@crm_view
def search(request: HttpRequest) -> HttpResponse:
    """Contacts and companies matching `q`, each saying what matched.

    From the search box (htmx): a short list of hits, the first of which Enter opens.
    Without JavaScript, or on "all results": the same as a page.
    """
    query = (request.GET.get("q") or "").strip()[:200]
    live = bool(getattr(request, "htmx", False))
    hits = (
        _search(request.user, query, LIVE_LIMIT if live else PAGE_LIMIT)
        if len(query) >= MIN_LENGTH
        else []
    )
    context = {"query": query, "hits": hits, "too_short": 0 < len(query) < MIN_LENGTH}
    if live:
        return render(request, "crm/_search_results.html", context)
    return render(request, "crm/search.html", context)
