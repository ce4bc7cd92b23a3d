"""/favicon.ico, which browsers ask for on the admin and docs pages."""

import io

import pytest
from PIL import Image

from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def test_the_favicon_is_a_real_icon(api_client):
    response = api_client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32)} <= icon.info["sizes"]


def test_the_favicon_answers_head_without_a_body(api_client):
    response = api_client.head("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"


def test_the_favicon_needs_no_collectstatic(api_client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "empty"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "config.staticfiles.ForgivingManifestStaticFilesStorage"},
    }

    assert api_client.get("/favicon.ico").status_code == 200


def test_writing_to_the_favicon_is_a_405_in_the_envelope(api_client):
    assert_error(api_client.post("/favicon.ico"), 405)
