"""Refusals become the acknowledgements REST's exception handler would make of them (no
server process needed: these run on any database)."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from config.api.errors import Conflict, InvalidInput, TooManyRequests
from livestreams.realtime import actions


def test_a_domain_error_keeps_its_status_and_message():
    assert actions.refusal_of(Conflict("Not now.")) == {
        "ok": False,
        "statusCode": 409,
        "error": "Not now.",
        "errors": ["Not now."],
    }


def test_a_field_error_names_the_camel_case_field():
    ack = actions.refusal_of(InvalidInput("Too long.", field="content"))

    assert ack["error"] == "content: Too long."


def test_too_many_requests_says_when_to_retry():
    ack = actions.refusal_of(TooManyRequests("Slow down.", retry_after=3))

    assert (ack["statusCode"], ack["retryAfter"]) == (429, 3)


def test_drf_errors_are_shaped_as_rest_shapes_them():
    throttled = actions.refusal_of(exceptions.Throttled(wait=0.2))
    invalid = actions.refusal_of(exceptions.ValidationError({"live_stream_id": ["Required."]}))

    assert (throttled["statusCode"], throttled["retryAfter"]) == (429, 1)
    assert invalid["errors"] == ["liveStreamId: Required."]
    assert actions.refusal_of(exceptions.NotAuthenticated())["error"] == "Authentication required"


def test_django_errors_are_shaped_as_rest_shapes_them():
    assert actions.refusal_of(Http404("secret path"))["statusCode"] == 404
    assert actions.refusal_of(Http404("secret path"))["error"] == "Resource not found"
    assert actions.refusal_of(PermissionDenied())["error"] == "Insufficient permissions"
    assert actions.refusal_of(DjangoValidationError("Bad."))["errors"] == ["Bad."]


def test_an_unexpected_error_is_a_bare_500_and_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="livestreams.realtime.actions"):
        ack = actions.refusal_of(RuntimeError("password=hunter2"))

    assert ack == {
        "ok": False,
        "statusCode": 500,
        "error": "Internal server error",
        "errors": ["Internal server error"],
    }
    assert "hunter2" in caplog.text  # for the operators, not the client


def test_the_language_comes_from_the_auth_payload_then_the_headers():
    environ = {"HTTP_X_LANGUAGE": "tr", "HTTP_ACCEPT_LANGUAGE": "en"}

    assert actions.language_of(environ, {"language": "en"}) == "en"
    assert actions.language_of(environ, {"language": "xx"}) == "tr"
    assert actions.language_of(environ, None) == "tr"
    assert actions.language_of({"HTTP_ACCEPT_LANGUAGE": "tr-TR,tr;q=0.9"}, {}) == "tr"
    assert actions.language_of({}, None) == "en"


def test_answers_render_messages_in_the_language():
    outcome = actions.answer("tr", actions.stream_id_of, {"liveStreamId": "nope"})

    assert outcome.refusal["error"] == "Kaynak bulunamadı"
