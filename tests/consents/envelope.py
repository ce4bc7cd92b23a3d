"""Envelope assertions (contract section 0) for the consents tests."""

import re

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
ENVELOPE_KEYS = {"isSuccess", "statusCode", "data", "errors", "timestamp"}


def success(response, status_code: int = 200):
    """Check the success envelope exactly and return its `data`."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["isSuccess"] is True
    assert body["statusCode"] == status_code
    assert body["errors"] == []
    assert TIMESTAMP_RE.match(body["timestamp"])
    return body["data"]


def error(response, status_code: int, errors: list[str] | None = None) -> list[str]:
    """Check the error envelope (and the exact messages when given); return the messages."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["isSuccess"] is False
    assert body["statusCode"] == status_code
    assert body["data"] is None
    assert body["errors"]
    assert all(isinstance(message, str) for message in body["errors"])
    assert TIMESTAMP_RE.match(body["timestamp"])
    if errors is not None:
        assert body["errors"] == errors
    return body["errors"]
