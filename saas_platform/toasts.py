"""Toasts for htmx responses: the messages framework, swapped into the page out of band.

A full page shows pending messages through base.html's toast region. An htmx request
swaps only a fragment, so this middleware appends the pending messages to the fragment
as an out-of-band swap into that region (`#toasts`): every action says what happened,
whether the page reloaded or not.
"""

from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class HtmxToastsMiddleware:
    """Append pending messages to htmx HTML responses as an out-of-band toast swap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False):
            return response
        if request.headers.get("HX-Boosted") or response.streaming:
            return response
        redirects = "HX-Redirect" in response or "HX-Location" in response
        if redirects or 300 <= response.status_code < 400:
            return response  # the next full page shows them
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        storage = get_messages(request)
        if not len(storage):
            return response
        html = render_to_string(
            "components/toasts.html", {"messages": storage, "oob": True}, request=request
        )
        response.content = response.content + html.encode(response.charset or "utf-8")
        return response
