"""The OpenAPI document says what the live-stream endpoints really answer (contract section 0:
"the 4xx bodies each endpoint can return")."""

import io

import pytest

from livestreams.api.views import DEMO_GUEST_ID, DEMO_GUEST_USERNAME
from livestreams.models import LiveStream, LiveStreamStatus
from tests.helpers import assert_success
from tests.livestreams.factories import LiveStreamFactory
from users import demo
from users.models import User

pytestmark = pytest.mark.django_db

BASE = "/api/v1/live-stream"
ERROR_ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}

# Every status each endpoint can answer, read off the views and services: 400 bad body or
# query, 401 no or bad token, 402 paid stream, 403 not allowed, 404 unknown or deleted stream
# (in the URL or in `liveStreamId`), 409 wrong state, 413 body too large, 415 not JSON or
# multipart, 422 an Idempotency-Key reused with another body, 429 throttled, 503 Agora not
# configured.
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
    ("post", f"{BASE}/join"): {200, 400, 401, 402, 404, 409, 413, 415, 422, 429, 503},
    ("post", f"{BASE}/{{id}}/fund"): {200, 400, 401, 402, 403, 404, 409, 413, 415, 422, 429},
    ("get", f"{BASE}/funded"): {200, 400, 401, 429},
    ("post", f"{BASE}/{{id}}/replay-rentals"): {201, 400, 401, 402, 404, 409, 422, 429},
    ("get", f"{BASE}/{{id}}/replay-status"): {200, 401, 404, 429},
    # Discovery, history, reminders (contract section 8). A query parameter documents a 400
    # (the window and guest-streams' sort refuse bad values; paging is normalised).
    ("get", f"{BASE}/featured"): {200, 401, 429},
    ("get", f"{BASE}/catch-streamers"): {200, 400, 401, 429},
    ("get", f"{BASE}/most-watched-creators"): {200, 400, 401, 429},
    ("get", f"{BASE}/whats-live-now"): {200, 400, 401, 429},
    ("get", f"{BASE}/for-you/live"): {200, 400, 401, 429},
    ("get", f"{BASE}/for-you/scheduled"): {200, 400, 401, 429},
    ("get", f"{BASE}/for-you/crowdfunding"): {200, 400, 401, 429},
    ("get", f"{BASE}/guest-streams"): {200, 400, 401, 429},
    ("get", f"{BASE}/my-past-streams"): {200, 400, 401, 429},
    ("get", f"{BASE}/user/{{userId}}/past-streams"): {200, 400, 401, 404, 429},
    ("get", f"{BASE}/my-upcoming-streams"): {200, 400, 401, 429},
    ("get", f"{BASE}/user/{{userId}}/upcoming-live-streams"): {200, 400, 401, 404, 429},
    ("get", f"{BASE}/my-broadcasted-streams"): {200, 400, 401, 429},
    ("get", f"{BASE}/my-watched-streams"): {200, 400, 401, 429},
    ("get", f"{BASE}/my-active-stream"): {200, 401, 429},
    ("get", f"{BASE}/user/{{userId}}/active-stream"): {200, 401, 404, 429},
    ("post", f"{BASE}/{{id}}/reminder"): {200, 400, 401, 404, 409, 429},
    ("delete", f"{BASE}/{{id}}/reminder"): {200, 401, 404, 429},
    # Chat and bans (contract section 9).
    ("get", f"{BASE}/{{streamId}}/chat/messages"): {200, 400, 401, 403, 404, 429},
    ("post", f"{BASE}/{{streamId}}/chat/messages"): {201, 400, 401, 403, 404, 409, 413, 415, 429},
    ("delete", f"{BASE}/{{streamId}}/chat/messages/{{messageId}}"): {200, 401, 403, 404, 429},
    ("post", f"{BASE}/{{id}}/ban"): {200, 400, 401, 403, 404, 413, 415, 429},
    ("delete", f"{BASE}/{{id}}/ban/{{userId}}"): {200, 401, 403, 404, 429},
}
V2_BASE = "/api/v2/live-stream"
V2_EXPECTED = {
    ("get", f"{V2_BASE}/user/{{userId}}/upcoming-live-streams"): {200, 400, 401, 404, 429},
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


def test_every_v2_live_stream_operation_is_documented(schema):
    documented = {
        (method, path)
        for path, item in schema["paths"].items()
        if path.startswith(V2_BASE)
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert documented == set(V2_EXPECTED)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED | V2_EXPECTED))
def test_each_operation_documents_exactly_the_statuses_it_can_answer(schema, method, path):
    responses = operation(schema, method, path)["responses"]

    assert {int(code) for code in responses} == (EXPECTED | V2_EXPECTED)[(method, path)]
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
    # Any text is taken and normalised (contract section 0): no integer type, no bounds.
    assert parameters["page"]["schema"] == {"type": "string", "default": "1"}
    assert parameters["limit"]["schema"] == {"type": "string", "default": "20"}
    assert "at most 100" in parameters["limit"]["description"]
    assert parameters["search"]["schema"] == {"type": "string"}
    assert not any(parameter.get("required") for parameter in parameters.values())


def test_the_list_documents_its_paging_and_status_filter(schema):
    parameters = {
        parameter["name"]
        for parameter in operation(schema, "get", BASE)["parameters"]
        if parameter["in"] == "query"
    }

    assert parameters == {"page", "limit", "status"}


def test_the_status_filter_is_a_comma_separated_list_of_statuses(schema):
    (status,) = [
        parameter
        for parameter in operation(schema, "get", BASE)["parameters"]
        if parameter["name"] == "status"
    ]

    assert status["in"] == "query"
    assert status["schema"]["type"] == "array"
    assert set(status["schema"]["items"]["enum"]) == set(LiveStreamStatus.values)
    assert (status["style"], status["explode"]) == ("form", False)


@pytest.mark.parametrize(
    "query", ["status=active,scheduled", "status=active&status=scheduled", "status=active,&status="]
)
def test_the_status_filter_takes_a_list_either_way(user_client, query):
    active = LiveStreamFactory(status=LiveStreamStatus.ACTIVE)
    scheduled = LiveStreamFactory(status=LiveStreamStatus.SCHEDULED)
    LiveStreamFactory(status=LiveStreamStatus.ENDED)

    data = assert_success(user_client.get(f"{BASE}?{query}"))

    expected = {active.pk, scheduled.pk} if "scheduled" in query else {active.pk}
    assert {stream["id"] for stream in data} == expected


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=-1&limit=0", "limit=abc"])
def test_the_list_takes_the_page_values_the_schema_allows(user_client, query):
    LiveStreamFactory()

    response = user_client.get(f"{BASE}?{query}")

    assert len(assert_success(response)) == 1
    assert response["X-Total-Count"] == "1"


def test_the_list_documents_page_as_text_without_bounds(schema):
    parameters = {
        parameter["name"]: parameter for parameter in operation(schema, "get", BASE)["parameters"]
    }

    assert parameters["page"]["schema"] == {"type": "string", "default": "1"}
    assert parameters["limit"]["schema"] == {"type": "string", "default": "20"}


# --- The create example ------------------------------------------------------------------------


def create_example(schema) -> dict:
    content = operation(schema, "post", f"{BASE}/create")["requestBody"]["content"]
    (example,) = content["application/json"]["examples"].values()
    return example


def test_the_create_example_names_the_demo_guest_and_no_fixed_date(schema):
    example = create_example(schema)

    assert example["value"]["guests"] == [DEMO_GUEST_ID]
    assert DEMO_GUEST_USERNAME in example["summary"]
    assert "plannedStartDate" not in example["value"]  # a fixed date would one day be past


def test_the_create_example_works_against_the_demo_data(schema, client_for):
    """What "Try it out" sends, as a demo user, against `make run`'s data."""
    demo.seed(io.StringIO())
    creator = User.objects.get(username="demo_mehmet")

    data = assert_success(
        client_for(creator).post(f"{BASE}/create", create_example(schema)["value"], format="json"),
        201,
    )

    assert [guest["username"] for guest in data["guests"]] == [DEMO_GUEST_USERNAME]
    assert data["status"] == LiveStreamStatus.PREPARING
    assert LiveStream.objects.get(pk=data["id"]).guests.get().pk == DEMO_GUEST_ID


# --- Money (contract section 5) ------------------------------------------------------------------

MONEY_OPERATIONS = [
    f"{BASE}/join",
    f"{BASE}/{{id}}/fund",
    f"{BASE}/{{id}}/replay-rentals",
]


@pytest.mark.parametrize("path", MONEY_OPERATIONS)
def test_money_operations_take_an_idempotency_key_and_document_402_409_422(schema, path):
    item = operation(schema, "post", path)
    headers = {
        parameter["name"]: parameter
        for parameter in item["parameters"]
        if parameter["in"] == "header"
    }

    assert not headers["Idempotency-Key"].get("required", False)
    assert "422" in headers["Idempotency-Key"]["description"]
    assert {"402", "409", "422"} <= set(item["responses"])
    assert item["description"].startswith("**Production uyarisi:**")


def test_the_fund_body_is_an_amount(schema):
    body = operation(schema, "post", f"{BASE}/{{id}}/fund")["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][ref]

    assert component["required"] == ["amount"]
    assert component["properties"]["amount"]["type"] == "number"


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("post", f"{BASE}/{{id}}/replay-rentals", "201"),
        ("get", f"{BASE}/{{id}}/replay-status", "200"),
    ],
)
def test_replay_endpoints_answer_a_replay_access(schema, method, path, code):
    content = operation(schema, method, path)["responses"][code]["content"]["application/json"]

    assert content["schema"]["properties"]["data"] == {"$ref": "#/components/schemas/ReplayAccess"}


def test_join_answers_document_charged(schema):
    component = schema["components"]["schemas"]["LiveStreamJoinResponse"]

    assert "charged" in component["required"]
    assert component["properties"]["charged"]["type"] == "number"


# --- Discovery (contract section 8) --------------------------------------------------------------


def query_parameters(schema, method: str, path: str) -> dict:
    return {
        parameter["name"]: parameter
        for parameter in operation(schema, method, path)["parameters"]
        if parameter["in"] == "query"
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{BASE}/featured", set()),
        (f"{BASE}/catch-streamers", {"limit"}),
        (f"{BASE}/most-watched-creators", {"limit"}),
        (f"{BASE}/whats-live-now", {"page", "limit"}),
        (f"{BASE}/for-you/live", {"page", "limit"}),
        (f"{BASE}/for-you/scheduled", {"page", "limit"}),
        (f"{BASE}/for-you/crowdfunding", {"page", "limit"}),
        (f"{BASE}/guest-streams", {"page", "limit", "status", "sortBy", "sortOrder"}),
        (f"{BASE}/my-past-streams", {"page", "limit"}),
        (f"{BASE}/user/{{userId}}/past-streams", {"page", "limit"}),
        (f"{BASE}/my-upcoming-streams", {"page", "limit", "hoursBefore", "hoursAfter"}),
        (
            f"{BASE}/user/{{userId}}/upcoming-live-streams",
            {"page", "limit", "hoursBefore", "hoursAfter"},
        ),
        (
            f"{V2_BASE}/user/{{userId}}/upcoming-live-streams",
            {"page", "limit", "minutesBefore", "minutesAfter"},
        ),
        (f"{BASE}/my-broadcasted-streams", {"page", "limit"}),
        (f"{BASE}/my-watched-streams", {"page", "limit"}),
        (f"{BASE}/my-active-stream", set()),
        (f"{BASE}/user/{{userId}}/active-stream", set()),
    ],
)
def test_each_feed_documents_its_query_parameters(schema, path, expected):
    assert set(query_parameters(schema, "get", path)) == expected


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (f"{BASE}/whats-live-now", "10"),
        (f"{BASE}/for-you/live", "10"),
        (f"{BASE}/my-broadcasted-streams", "10"),
        (f"{BASE}/my-watched-streams", "10"),
        (f"{BASE}/my-upcoming-streams", "10"),
        (f"{BASE}/my-past-streams", "20"),
        (f"{BASE}/guest-streams", "20"),
        (f"{BASE}/catch-streamers", "10"),
        (f"{BASE}/most-watched-creators", "10"),
    ],
)
def test_each_feed_documents_its_default_limit(schema, path, limit):
    assert query_parameters(schema, "get", path)["limit"]["schema"]["default"] == limit


@pytest.mark.parametrize(
    ("path", "names", "default", "maximum"),
    [
        (f"{BASE}/my-upcoming-streams", ("hoursBefore", "hoursAfter"), 24, 8760),
        (
            f"{V2_BASE}/user/{{userId}}/upcoming-live-streams",
            ("minutesBefore", "minutesAfter"),
            1440,
            525600,
        ),
    ],
)
def test_the_upcoming_windows_are_whole_numbers_from_zero(schema, path, names, default, maximum):
    parameters = query_parameters(schema, "get", path)

    for name in names:
        assert parameters[name]["schema"] == {
            "type": "integer",
            "minimum": 0,
            "maximum": maximum,
            "default": default,
        }
        assert "400" in parameters[name]["description"]


def test_guest_streams_document_their_sorts(schema):
    parameters = query_parameters(schema, "get", f"{BASE}/guest-streams")

    assert set(parameters["sortBy"]["schema"]["enum"]) == {
        "createdAt",
        "updatedAt",
        "startedAt",
        "plannedStartDate",
        "endedAt",
        "durationGoal",
        "fundingGoal",
    }
    assert parameters["sortOrder"]["schema"] == {
        "type": "string",
        "enum": ["asc", "desc"],
        "default": "desc",
    }
    assert parameters["status"]["schema"]["type"] == "array"


def test_v2_is_grouped_with_its_v1_sibling(schema):
    v1 = operation(schema, "get", f"{BASE}/user/{{userId}}/upcoming-live-streams")
    v2 = operation(schema, "get", f"{V2_BASE}/user/{{userId}}/upcoming-live-streams")

    assert v1["tags"] == v2["tags"] == ["live-streams"]
    assert v1["security"] == v2["security"] == [{"JWT-auth": []}, {}]


@pytest.mark.parametrize(
    "path", [f"{BASE}/my-active-stream", f"{BASE}/user/{{userId}}/active-stream"]
)
def test_the_active_stream_may_be_null(schema, path):
    content = operation(schema, "get", path)["responses"]["200"]["content"]["application/json"]

    assert content["schema"]["properties"]["data"] == {
        "allOf": [{"$ref": "#/components/schemas/LiveStream"}],
        "nullable": True,
    }


def test_every_live_stream_documents_is_reminder_active_as_nullable(schema):
    field = schema["components"]["schemas"]["LiveStream"]["properties"]["isReminderActive"]

    assert (field["type"], field["nullable"]) == ("boolean", True)


@pytest.mark.parametrize(("method", "code"), [("post", "200"), ("delete", "200")])
def test_reminders_answer_their_state(schema, method, code):
    content = operation(schema, method, f"{BASE}/{{id}}/reminder")["responses"][code]["content"]
    ref = content["application/json"]["schema"]["properties"]["data"]["$ref"].rsplit("/", 1)[-1]

    assert schema["components"]["schemas"][ref]["properties"] == {
        "isReminderActive": {"type": "boolean"}
    }
