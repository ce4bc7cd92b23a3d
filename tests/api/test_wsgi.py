"""The WSGI application reads what the app left of a request body before it answers, so that
gunicorn's close does not reset nginx's connection mid-body (a 502 instead of the app's 401)."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections

from config.wsgi import application


@pytest.fixture(autouse=True)
def _keep_the_test_database_connection():
    # As Django's test client does: a real request would close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def call(method: str, path: str, body: bytes, content_type: str):
    stream = io.BytesIO(body)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream,
    }
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    started = []
    response = application(environ, lambda status, headers, exc_info=None: started.append(status))
    content = b"".join(response)
    response.close()
    return started[0], json.loads(content), stream.tell()


@pytest.mark.django_db
def test_an_upload_refused_before_it_is_read_is_read_to_the_end():
    body = b"x" * (1024 * 1024)

    status, envelope, read = call(
        "PATCH", "/api/v1/users/profile/photo", body, "multipart/form-data; boundary=b"
    )

    assert status.startswith("401 ")
    assert envelope["errors"] == ["Authentication required"]
    assert read == len(body)


@pytest.mark.django_db
def test_a_json_body_over_the_cap_is_read_to_the_end_after_the_413():
    body = b"[" + b"1," * 150_000 + b"1]"

    status, envelope, read = call("POST", "/api/v1/auth/send-otp", body, "application/json")

    assert status.startswith("413 ")
    assert envelope["errors"] == ["The request body is too large."]
    assert read == len(body)


@pytest.mark.django_db
def test_a_body_larger_than_any_upload_is_left_unread(settings):
    body = b"x" * (settings.MAX_UPLOAD_REQUEST_BYTES + 1)

    status, envelope, read = call(
        "PATCH", "/api/v1/users/profile/photo", body, "multipart/form-data; boundary=b"
    )

    assert status.startswith("413 ")
    assert envelope["errors"] == ["The request body is too large."]
    assert read == 0
