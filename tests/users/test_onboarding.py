import datetime

import pytest
import time_machine

from tests.factories import UserFactory
from tests.helpers import assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

STEP_1 = "/api/v1/onboarding/step-1"
STEP_2 = "/api/v1/onboarding/step-2"
STEP_3 = "/api/v1/onboarding/step-3"
STEP_1_BODY = {"name": "Ayse", "surname": "Kaya", "username": "ayse.k", "birthDate": "1998-04-21"}


@pytest.fixture
def newcomer(db):
    """A user who has just signed in: generated username, nothing filled in."""
    return User.objects.create(country_code="90", phone_number="5559990000")


@pytest.fixture
def newcomer_client(client_for, newcomer):
    return client_for(newcomer)


@pytest.mark.parametrize(
    ("url", "body"),
    [(STEP_1, STEP_1_BODY), (STEP_2, {"gender": "female"}), (STEP_3, {"interests": ["music"]})],
)
def test_every_step_requires_authentication(api_client, url, body):
    assert_error(api_client.post(url, body, format="json"), 401, ["Authentication required"])


def test_the_three_steps_complete_the_registration(newcomer_client, newcomer):
    data = assert_success(newcomer_client.post(STEP_1, STEP_1_BODY, format="json"))
    assert data["username"] == "ayse.k"
    assert data["name"] == "Ayse"
    assert data["birthDate"] == "1998-04-21"
    assert data["registrationCompleted"] is False
    assert data["usernameChangedAt"] is None

    data = assert_success(newcomer_client.post(STEP_2, {"gender": "female"}, format="json"))
    assert data["gender"] == "female"
    assert data["registrationCompleted"] is False

    body = {"interests": ["music", "travel"], "expertise": "musician"}
    data = assert_success(newcomer_client.post(STEP_3, body, format="json"))
    assert data["interests"] == ["music", "travel"]
    assert data["expertise"] == "musician"
    assert data["registrationCompleted"] is True

    newcomer.refresh_from_db()
    assert newcomer.registration_completed is True
    assert newcomer.username_changed_at is None


def test_the_steps_may_come_in_any_order_and_be_redone(newcomer_client, newcomer):
    assert_success(newcomer_client.post(STEP_3, {"interests": []}, format="json"))
    assert_success(newcomer_client.post(STEP_2, {"gender": "other"}, format="json"))
    assert_success(newcomer_client.post(STEP_1, STEP_1_BODY, format="json"))
    data = assert_success(
        newcomer_client.post(STEP_1, {**STEP_1_BODY, "username": "ayse.kaya"}, format="json")
    )
    assert data["username"] == "ayse.kaya"
    assert data["registrationCompleted"] is True
    data = assert_success(newcomer_client.post(STEP_2, {"gender": "female"}, format="json"))
    assert data["gender"] == "female"
    assert data["registrationCompleted"] is True


def test_step_3_expertise_is_optional(newcomer_client):
    data = assert_success(newcomer_client.post(STEP_3, {"interests": ["art"]}, format="json"))
    assert data["expertise"] is None


def test_step_1_lowercases_the_username(newcomer_client):
    data = assert_success(
        newcomer_client.post(STEP_1, {**STEP_1_BODY, "username": "Ayse.K"}, format="json")
    )
    assert data["username"] == "ayse.k"


def test_step_1_refuses_a_taken_username_ignoring_case(newcomer_client, newcomer):
    UserFactory(username="ayse.k")
    before = User.objects.filter(pk=newcomer.pk).values().get()

    assert_error(
        newcomer_client.post(STEP_1, {**STEP_1_BODY, "username": "AYSE.K"}, format="json"),
        409,
        ["username: This username is already taken."],
    )
    assert User.objects.filter(pk=newcomer.pk).values().get() == before


def test_step_1_keeps_your_own_username(user_client, user):
    data = assert_success(user_client.post(STEP_1, {**STEP_1_BODY, "username": user.username}))
    assert data["username"] == user.username


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            [
                "name: This field is required.",
                "surname: This field is required.",
                "username: This field is required.",
                "birthDate: This field is required.",
            ],
        ),
        ({**STEP_1_BODY, "username": "ab"}, None),
        ({**STEP_1_BODY, "username": "a" * 31}, None),
        ({**STEP_1_BODY, "username": "ayse-k"}, None),
        ({**STEP_1_BODY, "username": "ayşe"}, None),
        ({**STEP_1_BODY, "username": "ayse k"}, None),
        ({**STEP_1_BODY, "username": 12345}, ["username: Not a valid string."]),
        ({**STEP_1_BODY, "name": ""}, ["name: This field may not be blank."]),
        ({**STEP_1_BODY, "birthDate": "2030-01-01"}, None),
        ({**STEP_1_BODY, "birthDate": 19980421}, None),
    ],
)
def test_step_1_refuses_bad_input_and_changes_nothing(newcomer_client, newcomer, body, errors):
    before = User.objects.filter(pk=newcomer.pk).values().get()

    messages = assert_error(newcomer_client.post(STEP_1, body, format="json"), 400, errors)

    assert messages
    assert User.objects.filter(pk=newcomer.pk).values().get() == before


@pytest.mark.parametrize(
    ("url", "body", "errors"),
    [
        (STEP_2, {}, ["gender: This field is required."]),
        (STEP_2, {"gender": "robot"}, ['gender: "robot" is not a valid choice.']),
        (STEP_2, {"gender": None}, ["gender: This field may not be null."]),
        (STEP_3, {}, ["interests: This field is required."]),
        (
            STEP_3,
            {"interests": "music"},
            ['interests: Expected a list of items but got type "str".'],
        ),
        (STEP_3, {"interests": ["cooking"]}, ['interests.0: "cooking" is not a valid choice.']),
        (
            STEP_3,
            {"interests": ["music"], "expertise": "wizard"},
            ['expertise: "wizard" is not a valid choice.'],
        ),
    ],
)
def test_steps_2_and_3_refuse_bad_input(newcomer_client, newcomer, url, body, errors):
    before = User.objects.filter(pk=newcomer.pk).values().get()
    assert_error(newcomer_client.post(url, body, format="json"), 400, errors)
    assert User.objects.filter(pk=newcomer.pk).values().get() == before


def test_setting_the_username_at_onboarding_does_not_block_a_change(newcomer_client, newcomer):
    assert_success(newcomer_client.post(STEP_1, STEP_1_BODY, format="json"))
    data = assert_success(
        newcomer_client.patch("/api/v1/users/username", {"newUsername": "ayse.new"}, format="json")
    )
    assert data["username"] == "ayse.new"


def test_staff_can_onboard_themselves(staff_client, staff_user):
    assert_success(staff_client.post(STEP_2, {"gender": "male"}, format="json"))
    staff_user.refresh_from_db()
    assert staff_user.gender == "male"


def test_a_form_encoded_body_works_too(newcomer_client):
    data = assert_success(newcomer_client.post(STEP_2, {"gender": "male"}, format="multipart"))
    assert data["gender"] == "male"


@pytest.mark.parametrize("today", [datetime.datetime(2026, 5, 22, 12, tzinfo=datetime.UTC)])
def test_step_1_refuses_under_thirteens(client_for, newcomer, today):
    with time_machine.travel(today, tick=False):
        response = client_for(newcomer).post(
            STEP_1, {**STEP_1_BODY, "birthDate": "2013-05-23"}, format="json"
        )
    assert_error(response, 400, ["birthDate: You must be at least 13 years old."])


# --- Step 1 after step 1: a username change under the 30-day rule -----------------------------

START = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC)
TOO_SOON = (
    "username: The username can be changed once every 30 days; the next change is allowed "
    "from 2026-05-31 09:30 UTC."
)


def test_step_1_cannot_change_a_username_changed_within_30_days(client_for, newcomer):
    with time_machine.travel(START - datetime.timedelta(days=1), tick=False):
        assert_success(client_for(newcomer).post(STEP_1, STEP_1_BODY, format="json"))
    with time_machine.travel(START, tick=False):
        assert_success(
            client_for(newcomer).patch(
                "/api/v1/users/username", {"newUsername": "ayse.live"}, format="json"
            )
        )
    before = User.objects.filter(pk=newcomer.pk).values().get()

    with time_machine.travel(START + datetime.timedelta(days=29, hours=23), tick=False):
        response = client_for(newcomer).post(
            STEP_1, {**STEP_1_BODY, "name": "Other", "username": "ayse.other"}, format="json"
        )

    assert_error(response, 409, [TOO_SOON])
    assert User.objects.filter(pk=newcomer.pk).values().get() == before
    newcomer.refresh_from_db()
    assert newcomer.username == "ayse.live"
    assert newcomer.username_changed_at == START


def test_a_second_step_1_with_another_username_is_a_change_and_starts_the_clock(
    client_for, newcomer
):
    with time_machine.travel(START - datetime.timedelta(days=3), tick=False):
        data = assert_success(client_for(newcomer).post(STEP_1, STEP_1_BODY, format="json"))
    assert data["usernameChangedAt"] is None

    with time_machine.travel(START, tick=False):
        data = assert_success(
            client_for(newcomer).post(
                STEP_1, {**STEP_1_BODY, "username": "ayse.kaya"}, format="json"
            )
        )
    assert data["username"] == "ayse.kaya"
    assert data["usernameChangedAt"] == "2026-05-01T09:30:00.000Z"
    newcomer.refresh_from_db()
    assert newcomer.username == "ayse.kaya"
    assert newcomer.username_changed_at == START
    before = User.objects.filter(pk=newcomer.pk).values().get()

    # The clock now holds for both ways of changing it.
    with time_machine.travel(START + datetime.timedelta(days=1), tick=False):
        client = client_for(newcomer)
        assert_error(
            client.post(STEP_1, {**STEP_1_BODY, "username": "ayse.third"}, format="json"),
            409,
            [TOO_SOON],
        )
        assert_error(
            client.patch("/api/v1/users/username", {"newUsername": "ayse.third"}, format="json"),
            409,
            [TOO_SOON.replace("username:", "newUsername:", 1)],
        )
    assert User.objects.filter(pk=newcomer.pk).values().get() == before

    with time_machine.travel(START + datetime.timedelta(days=30), tick=False):
        data = assert_success(
            client_for(newcomer).post(
                STEP_1, {**STEP_1_BODY, "username": "ayse.third"}, format="json"
            )
        )
    assert data["username"] == "ayse.third"
    assert data["usernameChangedAt"] == "2026-05-31T09:30:00.000Z"


def test_step_1_again_with_the_same_username_in_any_case_is_no_change(client_for, newcomer):
    with time_machine.travel(START, tick=False):
        assert_success(client_for(newcomer).post(STEP_1, STEP_1_BODY, format="json"))
        assert_success(
            client_for(newcomer).patch(
                "/api/v1/users/username", {"newUsername": "ayse.live"}, format="json"
            )
        )
    with time_machine.travel(START + datetime.timedelta(days=1), tick=False):
        data = assert_success(
            client_for(newcomer).post(
                STEP_1, {**STEP_1_BODY, "name": "Ayşe", "username": "AYSE.Live"}, format="json"
            )
        )
    assert data["username"] == "ayse.live"
    assert data["name"] == "Ayşe"
    assert data["usernameChangedAt"] == "2026-05-01T09:30:00.000Z"
    newcomer.refresh_from_db()
    assert newcomer.username == "ayse.live"
    assert newcomer.name == "Ayşe"
    assert newcomer.username_changed_at == START


def test_step_1_on_a_registered_account_is_under_the_rule_too(client_for, user):
    User.objects.filter(pk=user.pk).update(username_changed_at=START)
    before = User.objects.filter(pk=user.pk).values().get()
    with time_machine.travel(START + datetime.timedelta(days=2), tick=False):
        response = client_for(user).post(
            STEP_1, {**STEP_1_BODY, "username": "someone.new"}, format="json"
        )
    assert_error(response, 409, [TOO_SOON])
    assert User.objects.filter(pk=user.pk).values().get() == before


def test_the_30_day_message_of_step_1_in_turkish(client_for, user):
    User.objects.filter(pk=user.pk).update(username_changed_at=START)
    with time_machine.travel(START, tick=False):
        messages = assert_error(
            client_for(user).post(
                STEP_1, {**STEP_1_BODY, "username": "someone.new"}, HTTP_X_LANGUAGE="tr"
            ),
            409,
        )
    assert messages == [
        "username: Kullanıcı adı 30 günde bir değiştirilebilir; bir sonraki değişiklik "
        "2026-05-31 09:30 UTC itibarıyla yapılabilir."
    ]


# --- Birth dates are calendar dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2000-01-01", datetime.date(2000, 1, 1)),
        ("2000-01-01T00:00:00.000+03:00", datetime.date(2000, 1, 1)),
        ("2000-01-01T00:00:00+14:00", datetime.date(2000, 1, 1)),
        ("2000-01-01T23:30:00-05:00", datetime.date(2000, 1, 1)),
        ("2000-01-01T00:00:00.000Z", datetime.date(2000, 1, 1)),
        ("2000-01-01T00:00:00", datetime.date(2000, 1, 1)),
        ("2000-01-01 12:00:00+03:00", datetime.date(2000, 1, 1)),
    ],
)
@pytest.mark.parametrize(
    "send",
    [
        lambda client, value: client.post(
            STEP_1, {**STEP_1_BODY, "birthDate": value}, format="json"
        ),
        lambda client, value: client.patch("/api/v1/users/me", {"birthDate": value}, format="json"),
    ],
    ids=["step-1", "patch-me"],
)
def test_a_birth_date_is_taken_as_written_whatever_the_offset(
    newcomer_client, newcomer, send, sent, stored
):
    data = assert_success(send(newcomer_client, sent))
    assert data["birthDate"] == stored.isoformat()
    newcomer.refresh_from_db()
    assert newcomer.birth_date == stored


@pytest.mark.parametrize(
    "sent", ["2000-01-01T", "2000-01-01T25:00:00+03:00", "2000-13-01T00:00:00Z", "2000-01-01Tx"]
)
def test_a_malformed_birth_date_time_is_a_400(newcomer_client, newcomer, sent):
    before = User.objects.filter(pk=newcomer.pk).values().get()
    messages = assert_error(
        newcomer_client.post(STEP_1, {**STEP_1_BODY, "birthDate": sent}, format="json"), 400
    )
    assert len(messages) == 1
    assert messages[0].startswith("birthDate: ")
    assert User.objects.filter(pk=newcomer.pk).values().get() == before
