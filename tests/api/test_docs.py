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


def test_openapi_schema_lists_every_endpoint(workspace, client):
    paths = client.get("/api/openapi.json", HTTP_HOST=host_of(workspace)).json()["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}

    expected = {
        ("GET", "/api/me"),
        ("GET", "/api/contacts"),
        ("POST", "/api/contacts"),
        ("GET", "/api/contacts/{contact_id}"),
        ("PATCH", "/api/contacts/{contact_id}"),
        ("POST", "/api/contacts/{contact_id}/archive"),
        ("POST", "/api/contacts/{contact_id}/restore"),
        ("PUT", "/api/contacts/{contact_id}/companies/{company_id}"),
        ("DELETE", "/api/contacts/{contact_id}/companies/{company_id}"),
        ("GET", "/api/contacts/{contact_id}/consents"),
        ("POST", "/api/contacts/{contact_id}/consents"),
        ("GET", "/api/companies"),
        ("POST", "/api/companies"),
        ("GET", "/api/companies/{company_id}"),
        ("PATCH", "/api/companies/{company_id}"),
        ("POST", "/api/companies/{company_id}/archive"),
        ("POST", "/api/companies/{company_id}/restore"),
        ("GET", "/api/tags"),
        ("PATCH", "/api/tags/{tag_id}"),
        ("DELETE", "/api/tags/{tag_id}"),
        ("GET", "/api/sources"),
        ("POST", "/api/sources"),
        ("PATCH", "/api/sources/{source_id}"),
        ("POST", "/api/sources/{source_id}/archive"),
        ("GET", "/api/custom-fields"),
        ("POST", "/api/custom-fields"),
        ("GET", "/api/custom-fields/{field_id}"),
        ("PATCH", "/api/custom-fields/{field_id}"),
        ("POST", "/api/custom-fields/{field_id}/archive"),
        ("POST", "/api/custom-fields/{field_id}/restore"),
        ("GET", "/api/activities"),
        ("POST", "/api/activities"),
        ("POST", "/api/activities/document"),
        ("GET", "/api/activities/{activity_id}"),
        ("PATCH", "/api/activities/{activity_id}"),
        ("POST", "/api/activities/{activity_id}/archive"),
        ("POST", "/api/activities/{activity_id}/restore"),
        ("GET", "/api/activities/{activity_id}/file"),
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
        ("GET", "/api/tasks/{task_id}"),
        ("PATCH", "/api/tasks/{task_id}"),
        ("POST", "/api/tasks/{task_id}/complete"),
        ("POST", "/api/tasks/{task_id}/skip"),
        ("POST", "/api/tasks/{task_id}/reopen"),
        ("POST", "/api/tasks/{task_id}/archive"),
        ("GET", "/api/deals"),
        ("POST", "/api/deals"),
        ("GET", "/api/deals/forecast"),
        ("GET", "/api/deals/{deal_id}"),
        ("PATCH", "/api/deals/{deal_id}"),
        ("POST", "/api/deals/{deal_id}/move"),
        ("POST", "/api/deals/{deal_id}/win"),
        ("POST", "/api/deals/{deal_id}/lose"),
        ("POST", "/api/deals/{deal_id}/reopen"),
        ("POST", "/api/deals/{deal_id}/archive"),
        ("POST", "/api/deals/{deal_id}/restore"),
        ("GET", "/api/pipelines"),
        ("POST", "/api/pipelines"),
        ("GET", "/api/pipelines/{pipeline_id}"),
        ("PATCH", "/api/pipelines/{pipeline_id}"),
        ("POST", "/api/pipelines/{pipeline_id}/archive"),
        ("POST", "/api/pipelines/{pipeline_id}/stages"),
        ("GET", "/api/stages/{stage_id}"),
        ("PATCH", "/api/stages/{stage_id}"),
        ("POST", "/api/stages/{stage_id}/archive"),
        ("GET", "/api/loss-reasons"),
        ("POST", "/api/loss-reasons"),
        ("POST", "/api/imports"),
        ("GET", "/api/imports"),
        ("GET", "/api/imports/fields"),
        ("GET", "/api/imports/{import_id}"),
        ("POST", "/api/imports/{import_id}/run"),
        ("POST", "/api/imports/{import_id}/cancel"),
        ("POST", "/api/imports/{import_id}/undo"),
        ("GET", "/api/imports/{import_id}/failing-rows"),
        ("POST", "/api/exports"),
        ("GET", "/api/exports/{export_id}"),
        ("GET", "/api/exports/{export_id}/file"),
    }
    assert documented == expected


def test_openapi_schema_documents_errors_and_the_bearer_key(workspace, client):
    schema = client.get("/api/openapi.json", HTTP_HOST=host_of(workspace)).json()
    create = schema["paths"]["/api/contacts"]["post"]

    assert {"201", "409", "422", "401", "403"} <= set(create["responses"])
    assert create["security"] == [{"ApiKeyAuth": []}]
    assert "duplicates" in schema["components"]["schemas"]["DuplicateErrorOut"]["properties"]


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
