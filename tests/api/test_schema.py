"""The OpenAPI document tells the truth and the docs pages work offline (contract section 0)."""

import re

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from config.api.schema import OPTIONAL_AUTH, OPTIONAL_AUTH_NOTE, PRODUCTION_WARNING, REQUIRED_AUTH
from tests.helpers import assert_error

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


# --- Who may call what: the padlocks of Swagger UI -------------------------------------------

# AllowAny views that still read a token (an invalid one is a 401).
OPTIONAL_AUTH_OPERATIONS = {
    ("post", "/api/v1/auth/verify-otp-email"),
    ("get", "/api/v1/users/profile/{userId}"),
    ("get", "/api/v1/users/profile/username/{username}"),
    ("get", "/api/v1/legal-documents/document/{documentType}"),
    # Discovery (contract section 8).
    ("get", "/api/v1/live-stream/featured"),
    ("get", "/api/v1/live-stream/catch-streamers"),
    ("get", "/api/v1/live-stream/most-watched-creators"),
    ("get", "/api/v1/live-stream/user/{userId}/past-streams"),
    ("get", "/api/v1/live-stream/user/{userId}/upcoming-live-streams"),
    ("get", "/api/v1/live-stream/user/{userId}/active-stream"),
    ("get", "/api/v2/live-stream/user/{userId}/upcoming-live-streams"),
}
# Views that read no token at all.
NO_AUTH_OPERATIONS = {
    ("post", "/api/v1/auth/send-otp"),
    ("post", "/api/v1/auth/send-otp-email"),
    ("post", "/api/v1/auth/verify-otp"),
    ("post", "/api/v1/auth/refresh"),
    ("get", "/api/v1/legal-documents/document/{documentType}/html"),
    ("get", "/health/"),
    # RevenueCat sends the shared secret of REVENUECAT_WEBHOOK_AUTH, not a user's token.
    ("post", "/api/v1/webhooks/revenuecat"),
    # Agora signs its notices with AGORA_NCS_SECRET (Agora-Signature-V2).
    ("post", "/api/v1/webhooks/agora"),
}


def test_every_operation_says_whether_auth_is_required_optional_or_none(schema):
    assert "security" not in schema  # no global requirement for operations to inherit
    for path, method, operation in operations(schema):
        key = (method, path)
        if key in OPTIONAL_AUTH_OPERATIONS:
            expected = OPTIONAL_AUTH
        elif key in NO_AUTH_OPERATIONS:
            expected = []
        else:
            expected = REQUIRED_AUTH
        assert operation["security"] == expected, key


def test_the_auth_forms_are_the_documented_ones():
    assert OPTIONAL_AUTH == [{"JWT-auth": []}, {}]
    assert REQUIRED_AUTH == [{"JWT-auth": []}]


def test_optional_auth_operations_say_so_first(schema):
    """First after the production warning, which opens every write's description."""
    for path, method, operation in operations(schema):
        description = operation.get("description", "").removeprefix(PRODUCTION_WARNING)
        says_so = description.lstrip().startswith(OPTIONAL_AUTH_NOTE)
        assert says_so == ((method, path) in OPTIONAL_AUTH_OPERATIONS), (method, path)


def test_an_optional_auth_endpoint_answers_anonymous_callers_and_refuses_a_bad_token(
    api_client, user
):
    url = f"/api/v1/users/profile/{user.pk}"

    assert api_client.get(url).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get(url).status_code == 401


# --- Language ----------------------------------------------------------------------------------


def test_every_operation_documents_the_x_language_header(schema):
    for path, method, operation in operations(schema):
        headers = [p for p in operation["parameters"] if p["name"] == "X-Language"]
        assert len(headers) == 1, (method, path)
        (header,) = headers
        assert header["in"] == "header"
        assert header["schema"] == {"type": "string", "enum": ["en", "tr"]}
        assert header["required"] is False
        assert "Accept-Language" in header["description"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"HTTP_X_LANGUAGE": "tr"}, "Kaynak bulunamadı"),
        ({"HTTP_X_LANGUAGE": "tr-TR"}, "Kaynak bulunamadı"),
        ({"HTTP_X_LANGUAGE": "de"}, "Resource not found"),
        ({"HTTP_X_LANGUAGE": "de", "HTTP_ACCEPT_LANGUAGE": "tr"}, "Kaynak bulunamadı"),
        ({}, "Resource not found"),
    ],
)
def test_x_language_falls_back_as_documented(api_client, headers, message):
    assert_error(api_client.get("/api/v1/nothing-here", **headers), 404, [message])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/legal-documents/overview",
        "/api/v1/legal-documents/document/{documentType}",
        "/api/v1/legal-documents/document/{documentType}/html",
    ],
)
def test_the_language_parameter_documents_its_values_and_fallback(schema, path):
    (language,) = [
        parameter
        for parameter in schema["paths"][path]["get"]["parameters"]
        if parameter["name"] == "language"
    ]

    assert language["in"] == "query"
    assert language["schema"]["enum"] == ["en", "tr"]
    assert "Any other value means English" in language["description"]
    assert "X-Language" in language["description"]
