"""The OpenAPI document tells the truth and the docs pages work offline (contract section 0)."""

import re

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from config.api.schema import PRODUCTION_WARNING

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_the_schema_is_a_valid_openapi_3_document(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_generating_the_schema_gives_no_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_servers_and_the_jwt_scheme_are_documented(schema):
    assert [server["description"] for server in schema["servers"]] == ["Development", "Production"]
    assert schema["components"]["securitySchemes"]["JWT-auth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Paste the JWT access token without the Bearer prefix.",
    }


def test_every_response_is_documented_inside_the_envelope(schema):
    for path, method, operation in operations(schema):
        assert operation["responses"], (path, method)
        for code, response in operation["responses"].items():
            if code == "204":
                assert "content" not in response
                continue
            json_schema = (
                response["content"]["application/json"]["schema"]
                if ("application/json" in response.get("content", {}))
                else None
            )
            if json_schema is None:  # an HTML page: the only non-JSON endpoints
                assert "text/html" in response["content"], (path, method, code)
                continue
            if int(code) >= 400:
                assert json_schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (path, code)
            else:
                assert set(json_schema["properties"]) == {
                    "isSuccess", "statusCode", "data", "errors", "timestamp"
                }, (path, method, code)  # fmt: skip


def test_authenticated_endpoints_document_401_and_429(schema):
    for path, method, operation in operations(schema):
        assert "429" in operation["responses"], (path, method)
        if {"JWT-auth": []} in operation.get("security", []):
            assert "401" in operation["responses"], (path, method)


def test_every_endpoint_that_changes_data_carries_the_production_warning(schema):
    writes = [
        (path, operation)
        for path, method, operation in operations(schema)
        if method in {"post", "put", "patch", "delete"}
    ]
    assert writes
    for path, operation in writes:
        assert operation["description"].startswith(PRODUCTION_WARNING), path
    for path, method, operation in operations(schema):
        if method == "get":
            assert PRODUCTION_WARNING not in operation.get("description", ""), path


def test_the_error_envelope_component(schema):
    error = schema["components"]["schemas"]["ErrorEnvelope"]
    assert error["required"] == ["isSuccess", "statusCode", "data", "errors", "timestamp"]


def test_request_and_response_properties_are_camel_case(schema):
    for name, component in schema["components"]["schemas"].items():
        for prop in component.get("properties", {}):
            assert prop == "_id" or "_" not in prop, (name, prop)


def test_the_schema_is_served_as_yaml_by_default(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_every_asset_from_the_app_itself(api_client, page):
    response = api_client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert not asset.startswith(("http://", "https://", "//")), asset
        if asset.startswith("/static/"):
            fetched = api_client.get(asset)
            assert fetched.status_code == 200, asset
            assert b"".join(fetched.streaming_content if fetched.streaming else [fetched.content])


def test_the_docs_can_be_restricted_to_staff(api_client, staff_client, settings):
    settings.API_DOCS_PUBLIC = False

    assert api_client.get("/api/schema/?format=json").status_code in (401, 403)
    assert staff_client.get("/api/schema/?format=json").status_code == 200


def test_path_parameters_are_named_as_the_contract_names_them(schema):
    assert "/api/v1/users/profile/{userId}" in schema["paths"]
    assert "/api/v1/follow/{userId}/status" in schema["paths"]
    for path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert "{" + parameter["name"] + "}" in path


def test_plain_array_lists_document_their_paging_headers(schema):
    ok = schema["paths"]["/api/v1/live-stream"]["get"]["responses"]["200"]
    assert set(ok["headers"]) == {"X-Total-Count", "Link"}
