"""The API's OpenAPI schema and its browsable docs, served from our own static files."""

import re

import pytest
from openapi_spec_validator import validate

from tests.conftest import host_of

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_valid_openapi_3(workspace, client):
    response = client.get("/api/openapi.json", HTTP_HOST=host_of(workspace))

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert schema["info"]["title"] == "Kartoteka API"
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_openapi_schema_lists_the_endpoints(workspace, client):
    paths = client.get("/api/openapi.json", HTTP_HOST=host_of(workspace)).json()["paths"]

    assert "/api/me" in paths


def test_docs_page_loads_everything_from_our_own_host(workspace, client):
    response = client.get("/api/docs", HTTP_HOST=host_of(workspace))

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "/api/openapi.json" in page
    # No CDN: every URL the page loads is a path on this host.
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert loaded
    assert all(url.startswith("/") and not url.startswith("//") for url in loaded), loaded
    assert not re.search(r"https?://", page)
    # The static files it names are really served.
    for url in loaded:
        assert url.startswith("/static/ninja/")


def test_docs_static_files_exist():
    from django.contrib.staticfiles import finders

    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        assert finders.find(name), name
