"""The OpenAPI document says what the users endpoints really return."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def success_data(schema: dict, path: str, method: str = "get", status: str = "200") -> dict:
    body = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    return resolve(schema, resolve(schema, body["schema"])["properties"]["data"])


def parameters(schema: dict, path: str, method: str = "get") -> dict:
    return {
        param["name"]: param
        for param in schema["paths"][path][method].get("parameters", [])
        if param["in"] == "query"
    }


def test_search_documents_the_paginated_shape(schema):
    data = success_data(schema, "/api/v1/users/search")

    assert data["type"] == "object"
    assert set(data["properties"]) == {"list", "pagination"}
    items = data["properties"]["list"]
    assert items["type"] == "array"
    item = resolve(schema, items["items"])
    assert set(item["properties"]) == {
        "_id",
        "username",
        "name",
        "surname",
        "profilePhoto",
        "availabilityStatus",
        "expertise",
    }
    pagination = resolve(schema, data["properties"]["pagination"])
    assert set(pagination["properties"]) == {
        "currentPage",
        "totalPages",
        "totalItems",
        "itemsPerPage",
        "hasNextPage",
        "hasPrevPage",
    }


def test_search_documents_its_query_parameters(schema):
    params = parameters(schema, "/api/v1/users/search")

    assert set(params) == {"q", "page", "limit", "expertise"}
    assert params["limit"]["schema"]["default"] == 5
    assert params["limit"]["schema"]["maximum"] == 100
    assert params["page"]["schema"]["default"] == 1
    assert "musician" in params["expertise"]["schema"]["enum"]
    assert not any(param["required"] for param in params.values() if "required" in param)


def test_followers_document_the_cursor_parameters_and_page(schema):
    params = parameters(schema, "/api/v1/follow/me/followers")

    assert set(params) == {"after", "limit"}
    assert params["after"]["schema"]["type"] == "string"
    assert params["limit"]["schema"]["type"] == "integer"
    data = success_data(schema, "/api/v1/follow/me/followers")
    assert set(data["properties"]) == {"users", "pageInfo"}
    assert data["properties"]["users"]["type"] == "array"
