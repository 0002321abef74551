"""The design system every page shares: toasts, fields with errors, and no inline code (CSP)."""

import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from django_htmx.middleware import HtmxMiddleware

from saas_platform.toasts import HtmxToastsMiddleware

TEMPLATE_ROOTS = [
    Path(settings.BASE_DIR) / "saas_platform" / "templates" / "components",
    Path(settings.BASE_DIR) / "crm" / "templates",
]
BASE_TEMPLATES = [
    Path(settings.BASE_DIR) / "saas_platform" / "templates" / name
    for name in ("base.html", "workspace_base.html")
]


def _templates() -> list[Path]:
    found = list(BASE_TEMPLATES)
    for root in TEMPLATE_ROOTS:
        if root.exists():
            found += sorted(root.rglob("*.html"))
    return found


@pytest.mark.parametrize("template", _templates(), ids=lambda path: path.name)
def test_templates_hold_no_inline_script_or_style(template):
    # CSP is 'self' only: scripts from static files, no style= or on...= attributes.
    text = template.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"


class _PersonForm(forms.Form):
    email = forms.EmailField(label="E-mail", help_text="Work address")
    agree = forms.BooleanField(label="I agree")


def test_field_component_shows_label_required_mark_help_and_errors():
    with translation.override("en"):
        form = _PersonForm(data={"email": "not-an-address"})
        form.is_valid()
        html = render_to_string("components/field.html", {"field": form["email"]})

    assert '<label for="id_email">E-mail' in html
    assert 'class="required-mark"' in html
    assert "Work address" in html
    assert 'role="alert"' in html
    assert "Enter a valid email address." in html
    assert "has-error" in html


def _request_through(view_response: HttpResponse, *, htmx: bool, text: str):  # type: ignore[no-untyped-def]
    def view(request):  # type: ignore[no-untyped-def]
        messages.success(request, text)
        return view_response

    chain = SessionMiddleware(MessageMiddleware(HtmxToastsMiddleware(HtmxMiddleware(view))))
    headers = {"HX-Request": "true"} if htmx else {}
    return chain(RequestFactory().post("/", headers=headers))


def test_htmx_fragment_carries_pending_messages_as_an_out_of_band_toast():
    response = _request_through(HttpResponse("<p>row</p>"), htmx=True, text="Contact archived.")

    html = response.content.decode()
    assert html.startswith("<p>row</p>")
    assert 'id="toasts"' in html
    assert 'hx-swap-oob="beforeend"' in html
    assert "Contact archived." in html


def test_plain_responses_keep_messages_for_the_next_full_page():
    response = _request_through(HttpResponse("<p>page</p>"), htmx=False, text="Saved.")

    assert response.content.decode() == "<p>page</p>"


class _Message:
    def __init__(self, text: str, level_tag: str, extra_tags: str) -> None:
        self.text, self.level_tag, self.extra_tags = text, level_tag, extra_tags

    def __str__(self) -> str:
        return self.text


def test_toast_region_is_announced_and_offers_undo():
    html = render_to_string(
        "components/toasts.html",
        {
            "messages": [_Message("Archived.", "success", "undo:/x/undo/")],
        },
    )

    assert 'aria-live="polite"' in html
    assert "Archived." in html
    assert 'action="/x/undo/"' in html
