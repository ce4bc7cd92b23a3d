"""Request keys in snake_case (issue 7, "Denial of service"): the same rules as
djangorestframework-camel-case, but each key converted once, and the work linear in the body."""

import io
import json
import random

import pytest
from django.http import QueryDict
from djangorestframework_camel_case.settings import api_settings as camel_settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.api import camel
from config.api.parsers import (
    MAX_JSON_DEPTH,
    FormParser,
    JSONParser,
    MultiPartParser,
    PlainJSONParser,
)
from tests.helpers import assert_error, assert_success
from users.models import OneTimeCode

TRICKY_KEYS = [
    "liveStreamId", "_id", "id", "countryCode", "address2Line", "line2", "HTTPResponse",
    "getHTTPResponseCode", "Response", "already_snake", "ABC", "aB", "x", "", "übergrößeÄrger",
    "minutePriceInLiveStream", "__proto__", "a1B2c3", "keyWith Space",
]  # fmt: skip


def library_underscoreize(data):
    return underscoreize(data, **camel_settings.JSON_UNDERSCOREIZE)


def parse_json(body: str):
    return JSONParser().parse(io.BytesIO(body.encode()))


def test_json_keys_follow_the_librarys_rules_at_every_level():
    document = {
        key: [{inner: {inner: 1} for inner in TRICKY_KEYS}, "liveStreamId", 3]
        for key in TRICKY_KEYS
    }

    assert parse_json(json.dumps(document)) == library_underscoreize(document)
    assert parse_json('{"_id": 1, "liveStreamId": {"guestIds": []}}') == {
        "_id": 1,
        "live_stream_id": {"guest_ids": []},
    }


def test_json_keys_follow_the_librarys_rules_for_any_key():
    # Seeded, so a failure repeats: keys of every kind of character the rules look at (and
    # Unicode letters whose case is not simple).
    rng = random.Random(20260522)
    alphabet = "aAbBzZ09_- ÄäİıßǅſªXy"
    keys = ["".join(rng.choices(alphabet, k=rng.randint(0, 14))) for _ in range(20_000)]
    document = [{key: index} for index, key in enumerate(keys)]

    assert parse_json(json.dumps(document)) == library_underscoreize(document)


def test_form_and_multipart_fields_follow_the_librarys_rules():
    fields = {key: ["one", "two"] for key in TRICKY_KEYS if key}
    body = "&".join(f"{key}={value}" for key, values in fields.items() for value in values)
    expected = dict(library_underscoreize(QueryDict(body)).lists())

    urlencoded = FormParser().parse(io.BytesIO(body.encode()))
    request = APIRequestFactory().post("/", fields, format="multipart")
    multipart = Request(request, parsers=[MultiPartParser()]).data

    assert dict(urlencoded.lists()) == expected
    assert dict(multipart.lists()) == expected


@pytest.mark.django_db
def test_key_conversion_is_linear_on_a_256_kb_body_of_small_objects(api_client):
    """Count the work rather than time it: every key is one cached lookup, and the
    conversion itself (a regular expression) runs once per distinct key."""

    def send(count: int, phone_number: str):
        body = {
            "countryCode": "90",
            "phoneNumber": phone_number,
            "padding": [{"liveStreamId": index} for index in range(count)],
        }
        encoded = json.dumps(body, separators=(",", ":")).encode()
        camel._underscore_key_cached.cache_clear()
        response = api_client.post(
            "/api/v1/auth/send-otp", data=encoded, content_type="application/json"
        )
        assert_success(response, 201)
        return len(encoded), camel._underscore_key_cached.cache_info()

    size, work = send(11_800, "5551234567")
    half_size, half_work = send(5_900, "5551234568")

    assert 250_000 < size <= 256 * 1024
    assert half_size < size / 2
    assert work.hits + work.misses == 3 + 11_800  # one lookup per key in the body
    assert work.misses == 4  # one conversion per distinct key
    assert half_work.hits + half_work.misses == 3 + 5_900
    assert half_work.misses == 4
    assert OneTimeCode.objects.count() == 2


def test_long_keys_are_converted_but_not_remembered():
    camel._underscore_key_cached.cache_clear()
    long_key = "someKey" * 1000

    assert parse_json(json.dumps({long_key: 1, "shortKey": 2})) == {
        "some_key" * 1000: 1,
        "short_key": 2,
    }
    assert camel._underscore_key_cached.cache_info().currsize == 1


def test_output_keys_longer_than_the_cache_limit_are_not_remembered():
    camel._camel_key_cached.cache_clear()

    assert camel.camelize({"some_key" * 100: {"short_key": 1}}) == {
        "someKey" * 100: {"shortKey": 1}
    }
    assert camel._camel_key_cached.cache_info().currsize == 1


def nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


def test_json_nested_to_the_limit_parses():
    data = parse_json(nested(MAX_JSON_DEPTH))

    for _ in range(MAX_JSON_DEPTH - 1):
        data = data["a"]
    assert data == []


@pytest.mark.django_db
def test_json_nested_one_level_past_the_limit_is_a_400(api_client):
    response = api_client.post(
        "/api/v1/auth/send-otp", data=nested(MAX_JSON_DEPTH + 1), content_type="application/json"
    )

    assert_error(response, 400, ["The request body is nested too deeply."])
    assert OneTimeCode.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(api_client, constant):
    response = api_client.post(
        "/api/v1/auth/send-otp",
        data='{"countryCode": "90", "phoneNumber": "5551234567", "x": ' + constant + "}",
        content_type="application/json",
    )

    assert_error(response, 400, ["The request body is not valid JSON."])
    assert OneTimeCode.objects.count() == 0


def test_the_plain_parser_keeps_keys_as_sent_with_the_same_checks():
    parser = PlainJSONParser()
    body = b'{"eventId": {"app_user_id": 1, "$displayName": 2}}'
    as_sent = {"eventId": {"app_user_id": 1, "$displayName": 2}}

    assert parser.parse(io.BytesIO(body)) == as_sent
    assert JSONParser().parse(io.BytesIO(body), parser_context={"keep_keys": True}) == as_sent
    for body, message in [
        (b'{"x": NaN}', "The request body is not valid JSON."),
        (nested(MAX_JSON_DEPTH + 1).encode(), "The request body is nested too deeply."),
    ]:
        with pytest.raises(ParseError) as refused:
            parser.parse(io.BytesIO(body))
        assert str(refused.value.detail) == message
