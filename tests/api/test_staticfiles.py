"""A production server started without `collectstatic` (contract section 0: a 500 never
happens because of it) and the deploy check that catches the missing manifest."""

import logging

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import Error, Tags, run_checks
from django.core.management import call_command

from config.staticfiles import MANIFEST_MISSING_ID, check_static_manifest
from livestreams.models import LiveStream
from tests.helpers import assert_success

pytestmark = pytest.mark.django_db

PRODUCTION_STORAGE = "config.staticfiles.ForgivingManifestStaticFilesStorage"
DEFAULT_THUMBNAIL = "livestreams/default-thumbnail.webp"


@pytest.fixture
def static_root(tmp_path):
    return tmp_path / "staticfiles"


@pytest.fixture
def production_static(settings, static_root):
    """The production storage (hashed names from the manifest) over an empty STATIC_ROOT:
    a deploy that forgot `collectstatic`."""
    static_root.mkdir()
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return settings


def manifest_errors() -> list:
    return [
        message
        for message in run_checks(tags=[Tags.staticfiles], include_deployment_checks=True)
        if message.id == MANIFEST_MISSING_ID
    ]


def test_creating_a_stream_without_a_manifest_answers_the_unhashed_default_thumbnail(
    production_static, user_client, caplog
):
    with caplog.at_level(logging.WARNING, logger="config.staticfiles"):
        data = assert_success(
            user_client.post("/api/v1/live-stream/create", {"title": "Manifestsiz"}, format="json"),
            201,
        )

    assert data["thumbnailUrl"] == f"http://testserver/static/{DEFAULT_THUMBNAIL}"
    assert LiveStream.objects.get().title == "Manifestsiz"
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert DEFAULT_THUMBNAIL in caplog.records[0].getMessage()


def test_the_stream_list_without_a_manifest_is_not_a_500(production_static, user_client):
    assert_success(user_client.post("/api/v1/live-stream/create", {"title": "Bir"}), 201)

    data = assert_success(user_client.get("/api/v1/live-stream"))

    assert [stream["thumbnailUrl"] for stream in data] == [
        f"http://testserver/static/{DEFAULT_THUMBNAIL}"
    ]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/", "/admin/login/"])
def test_docs_and_admin_pages_without_a_manifest_are_not_a_500(production_static, client, page):
    response = client.get(page)

    assert response.status_code == 200
    assert b"/static/" in response.content


def test_a_missing_manifest_is_a_deploy_check_error(production_static, static_root):
    errors = manifest_errors()

    assert len(errors) == 1
    assert isinstance(errors[0], Error)
    assert str(static_root / "staticfiles.json") in errors[0].msg
    assert "collectstatic" in errors[0].hint


def test_the_check_passes_once_collectstatic_has_run(production_static, static_root):
    call_command("collectstatic", "--noinput", verbosity=0)

    assert (static_root / "staticfiles.json").is_file()
    assert manifest_errors() == []
    hashed = staticfiles_storage.url(DEFAULT_THUMBNAIL)
    assert hashed.startswith("/static/livestreams/default-thumbnail.")
    assert hashed != f"/static/{DEFAULT_THUMBNAIL}"
    assert (static_root / hashed.removeprefix("/static/")).is_file()


def test_the_check_ignores_storages_without_a_manifest(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    assert check_static_manifest(None) == []


def test_production_settings_use_the_forgiving_storage():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
            "django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['staticfiles']['BACKEND'])",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "false",
            "YAYIN_TESTING": "false",
            "DJANGO_SECRET_KEY": "production-like-secret-key-for-this-test-only-0123456789abcdef",
            "ALLOW_CONSOLE_CODE_DELIVERY": "true",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == PRODUCTION_STORAGE
