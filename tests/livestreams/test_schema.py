"""The OpenAPI document says what the live-stream endpoints really answer (contract section 0:
"the 4xx bodies each endpoint can return")."""

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/v1/live-stream"
ERROR_ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}

# Every status each endpoint can answer, read off the views and services: 400 bad body or
# query, 401 no or bad token, 402 paid stream, 403 not allowed, 404 unknown or deleted stream
# (in the URL or in `liveStreamId`), 409 wrong state, 413 body too large, 415 not JSON or
# multipart, 429 throttled, 503 Agora not configured.
EXPECTED = {
    ("get", BASE): {200, 400, 401, 429},
    ("post", f"{BASE}/create"): {201, 400, 401, 413, 415, 429},
    ("get", f"{BASE}/{{id}}"): {200, 401, 404, 429},
    ("delete", f"{BASE}/{{id}}"): {200, 401, 403, 404, 409, 429},
    ("post", f"{BASE}/{{id}}/cancel"): {200, 400, 401, 403, 404, 409, 429},
    ("post", f"{BASE}/{{id}}/end"): {200, 400, 401, 403, 404, 409, 429},
    ("post", f"{BASE}/{{id}}/token"): {200, 400, 401, 402, 403, 404, 409, 429, 503},
    ("post", f"{BASE}/{{id}}/leave"): {200, 400, 401, 403, 404, 429},
    ("get", f"{BASE}/{{id}}/viewers"): {200, 400, 401, 404, 429},
    ("patch", f"{BASE}/{{id}}/replay-settings"): {200, 400, 401, 403, 404, 413, 415, 429},
    ("post", f"{BASE}/join-as-creator"): {200, 400, 401, 403, 404, 409, 413, 415, 429, 503},
    ("post", f"{BASE}/join-as-guest"): {200, 400, 401, 403, 404, 409, 413, 415, 429, 503},
    ("post", f"{BASE}/join"): {200, 400, 401, 402, 404, 409, 413, 415, 429, 503},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operation(schema, method: str, path: str) -> dict:
    return schema["paths"][path][method]


def test_every_live_stream_operation_is_documented(schema):
    documented = {
        (method, path)
        for path, item in schema["paths"].items()
        if path.startswith(BASE)
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert documented == set(EXPECTED)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_each_operation_documents_exactly_the_statuses_it_can_answer(schema, method, path):
    responses = operation(schema, method, path)["responses"]

    assert {int(code) for code in responses} == EXPECTED[(method, path)]
    for code, response in responses.items():
        if int(code) >= 400:
            assert response["content"]["application/json"]["schema"] == ERROR_ENVELOPE


@pytest.mark.parametrize("path", ["join", "join-as-creator", "join-as-guest"])
def test_joins_document_404_for_an_unknown_live_stream_id(schema, path):
    responses = operation(schema, "post", f"{BASE}/{path}")["responses"]

    assert "404" in responses
    assert responses["404"]["description"].startswith("Resource not found")


def test_viewers_document_page_limit_and_search(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in operation(schema, "get", f"{BASE}/{{id}}/viewers")["parameters"]
        if parameter["in"] == "query"
    }

    assert set(parameters) == {"page", "limit", "search"}
    assert parameters["page"]["schema"] == {"type": "integer", "default": 1, "minimum": 1}
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "default": 20,
        "minimum": 1,
        "maximum": 100,
    }
    assert parameters["search"]["schema"] == {"type": "string"}
    assert not any(parameter.get("required") for parameter in parameters.values())


def test_the_list_documents_its_paging_and_status_filter(schema):
    parameters = {
        parameter["name"]
        for parameter in operation(schema, "get", BASE)["parameters"]
        if parameter["in"] == "query"
    }

    assert parameters == {"page", "limit", "status"}
