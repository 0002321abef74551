"""User files are served as downloads that cannot run on a workspace host (point 8)."""

import io

from django.test import RequestFactory

from tenants.files import attachment_response


def _served(content: bytes, filename: str):  # type: ignore[no-untyped-def]
    return attachment_response(io.BytesIO(content), filename=filename)


def test_an_uploaded_html_file_is_a_download_not_a_page():
    response = _served(b"<script>alert(document.cookie)</script>", "invoice.html")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<script>alert(document.cookie)</script>"


def test_a_hostile_file_name_cannot_add_headers():
    response = _served(b"x", 'report.pdf"\r\nSet-Cookie: sessionid=stolen; x="')

    assert "Set-Cookie" not in response
    assert "\n" not in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")


def test_the_site_policy_does_not_replace_the_sandbox(settings):
    from csp.middleware import CSPMiddleware

    response = _served(b"<svg onload=alert(1)>", "logo.svg")
    request = RequestFactory().get("/files/1/")

    CSPMiddleware(lambda request: response).process_response(request, response)

    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_media_files_have_no_url_of_their_own():
    from django.conf import settings
    from django.urls import Resolver404, resolve

    for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
        try:
            match = resolve(f"{settings.MEDIA_URL}ws_x/upload.html", urlconf=urlconf)
        except Resolver404:
            continue
        raise AssertionError(f"{urlconf} serves media directly: {match}")
