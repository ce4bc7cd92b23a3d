"""Small assertions shared by the users tests."""

import io

from PIL import Image


def assert_ok(response, status_code: int = 200):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["isSuccess"] is True
    assert body["statusCode"] == status_code
    assert body["errors"] == []
    assert body["timestamp"].endswith("Z")
    return body["data"]


def assert_error(response, status_code: int, errors: list[str] | None = None):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["isSuccess"] is False
    assert body["statusCode"] == status_code
    assert body["data"] is None
    if errors is not None:
        assert body["errors"] == errors
    return body["errors"]


def image_file_bytes(fmt: str = "PNG", size=(64, 48), color=(10, 120, 200), **save_kwargs):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()
