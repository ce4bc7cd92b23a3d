"""Sign-in with one-time codes by SMS and email (contract section 2)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.helpers import OBJECT_ID_RE, USER_KEYS, assert_error, assert_success
from users import senders
from users.models import OneTimeCode, User

pytestmark = pytest.mark.django_db

PHONE = {"countryCode": "90", "phoneNumber": "5551234567"}


@pytest.fixture(autouse=True)
def _empty_outboxes():
    senders.sms_outbox.clear()
    yield
    senders.sms_outbox.clear()


def send_code(api_client, payload=PHONE) -> str:
    return assert_success(api_client.post("/api/v1/auth/send-otp", payload), 201)["code"]


def test_send_otp_answers_201_and_sends_one_sms(api_client):
    data = assert_success(api_client.post("/api/v1/auth/send-otp", PHONE), 201)

    assert set(data) == {"countryCode", "phoneNumber", "expiresIn", "code"}
    assert data["countryCode"] == "90"
    assert data["phoneNumber"] == "5551234567"
    assert data["expiresIn"] == 300
    assert len(data["code"]) == 4
    assert data["code"].isdigit()
    assert senders.sms_outbox == [
        {
            "to": "+905551234567",
            "body": f"Your yayin code is {data['code']}. It is valid for 5 minutes.",
        }
    ]


def test_the_code_is_stored_hashed(api_client):
    code = send_code(api_client)

    stored = OneTimeCode.objects.get()
    assert stored.destination == "+905551234567"
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_codes_are_not_echoed_when_echo_is_off(api_client, settings):
    settings.OTP_ECHO = False

    data = assert_success(api_client.post("/api/v1/auth/send-otp", PHONE), 201)

    assert "code" not in data
    assert len(senders.sms_outbox) == 1


def test_phone_numbers_are_normalised(api_client):
    data = assert_success(
        api_client.post(
            "/api/v1/auth/send-otp", {"countryCode": "+90", "phoneNumber": "0555 123 45 67"}
        ),
        201,
    )

    assert (data["countryCode"], data["phoneNumber"]) == ("90", "5551234567")
    assert OneTimeCode.objects.get().destination == "+905551234567"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, ["countryCode: This field is required.", "phoneNumber: This field is required."]),
        ({"countryCode": "90"}, ["phoneNumber: This field is required."]),
        ({"countryCode": "90", "phoneNumber": "12"}, ["phoneNumber: Enter a valid phone number for this country code."]),
        ({"countryCode": "90", "phoneNumber": "hello"}, ["phoneNumber: Enter a valid phone number for this country code."]),
        ({"countryCode": "abc", "phoneNumber": "5551234567"}, ["countryCode: Enter a country calling code of 1 to 3 digits, such as 90."]),
        ({"countryCode": ["90"], "phoneNumber": "5551234567"}, ["countryCode: Not a valid string."]),
        ({"countryCode": "1", "phoneNumber": "+905551234567"}, ["phoneNumber: Enter a valid phone number for this country code."]),
        ({"countryCode": 90, "phoneNumber": 5551234567}, ["countryCode: Not a valid string.", "phoneNumber: Not a valid string."]),
    ],
)  # fmt: skip
def test_send_otp_refuses_bad_input(api_client, payload, errors):
    assert_error(api_client.post("/api/v1/auth/send-otp", payload, format="json"), 400, errors)
    assert OneTimeCode.objects.count() == 0
    assert senders.sms_outbox == []


def test_a_new_code_within_60_seconds_is_a_429_with_retry_after(api_client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send_code(api_client)
    first = OneTimeCode.objects.get()

    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        response = api_client.post("/api/v1/auth/send-otp", PHONE)

    assert_error(response, 429, ["A code was sent recently; wait 40 seconds before asking again."])
    assert response.headers["Retry-After"] == "40"
    assert list(OneTimeCode.objects.all()) == [first]
    assert len(senders.sms_outbox) == 1


def test_a_new_code_after_60_seconds_replaces_the_old_one(api_client):
    old_code = send_code(api_client)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        new_code = send_code(api_client)
        assert OneTimeCode.objects.count() == 1
        if old_code != new_code:
            assert_error(
                api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": old_code}),
                400,
                ["code: The code is incorrect or has expired."],
            )
        assert_success(api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": new_code}))


def test_first_verify_creates_the_user_and_returns_tokens(api_client):
    code = send_code(api_client)

    data = assert_success(
        api_client.post(
            "/api/v1/auth/verify-otp",
            {**PHONE, "code": code, "signupSource": "instagram", "signupCampaign": "spring"},
        )
    )

    assert set(data) == {
        "accessToken",
        "refreshToken",
        "expiresIn",
        "refreshExpiresIn",
        "isNewUser",
        "user",
    }
    assert data["expiresIn"] == 3600
    assert data["refreshExpiresIn"] == 2592000
    assert data["isNewUser"] is True
    assert set(data["user"]) == USER_KEYS
    assert OBJECT_ID_RE.match(data["user"]["_id"])
    user = User.objects.get()
    assert data["user"]["_id"] == user.id
    assert (user.country_code, user.phone_number) == ("90", "5551234567")
    assert (user.signup_source, user.signup_campaign) == ("instagram", "spring")
    assert not user.has_usable_password()
    assert OneTimeCode.objects.get().code_hash == ""  # used: emptied, kept for the resend gap


def test_a_second_sign_in_finds_the_same_user(api_client):
    existing = UserFactory(country_code="90", phone_number="5551234567")
    code = send_code(api_client)

    data = assert_success(api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}))

    assert data["isNewUser"] is False
    assert data["user"]["_id"] == existing.id
    assert User.objects.count() == 1


def test_a_code_works_only_once(api_client):
    code = send_code(api_client)
    assert_success(api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}))

    assert_error(
        api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}),
        400,
        ["code: The code is incorrect or has expired."],
    )


def test_an_expired_code_is_refused(api_client):
    code = send_code(api_client)

    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        response = api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code})

    assert_error(response, 400, ["code: The code is incorrect or has expired."])
    assert User.objects.count() == 0


def test_five_wrong_codes_void_the_code(api_client):
    code = send_code(api_client)
    wrong = f"{(int(code) + 1) % 10000:04d}"

    for _ in range(4):
        assert_error(
            api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": wrong}),
            400,
            ["code: The code is incorrect or has expired."],
        )
    assert OneTimeCode.objects.get().attempts == 4
    assert_error(
        api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": wrong}),
        400,
        ["code: The code is incorrect or has expired."],
    )

    assert OneTimeCode.objects.get().code_hash == ""  # void
    assert_error(
        api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}),
        400,
        ["code: The code is incorrect or has expired."],
    )
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({**PHONE}, ["code: This field is required."]),
        ({**PHONE, "code": "12a4"}, ["code: Enter the 4-digit code."]),
        ({**PHONE, "code": "12345"}, ["code: Enter the 4-digit code."]),
        ({**PHONE, "code": 1234}, ["code: Enter the 4-digit code."]),
        ({"code": "1234"}, ["countryCode: This field is required.", "phoneNumber: This field is required."]),
    ],
)  # fmt: skip
def test_verify_otp_refuses_bad_input(api_client, payload, errors):
    send_code(api_client)

    assert_error(api_client.post("/api/v1/auth/verify-otp", payload, format="json"), 400, errors)
    assert User.objects.count() == 0
    assert OneTimeCode.objects.get().attempts == 0


def test_verify_without_a_code_sent_is_refused(api_client):
    assert_error(
        api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": "1234"}),
        400,
        ["code: The code is incorrect or has expired."],
    )


def test_a_disabled_account_cannot_sign_in(api_client):
    UserFactory(country_code="90", phone_number="5551234567", is_active=False)
    code = send_code(api_client)

    assert_error(
        api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}),
        403,
        ["This account is disabled."],
    )


def test_email_sign_in_end_to_end(api_client):
    data = assert_success(
        api_client.post("/api/v1/auth/send-otp-email", {"email": " Ada@Example.COM "}), 201
    )
    assert set(data) == {"email", "expiresIn", "code"}
    assert data["email"] == "ada@example.com"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    assert data["code"] in mail.outbox[0].body

    signed_in = assert_success(
        api_client.post(
            "/api/v1/auth/verify-otp-email", {"email": "ada@example.com", "code": data["code"]}
        )
    )

    assert signed_in["isNewUser"] is True
    assert signed_in["user"]["email"] == "ada@example.com"
    assert User.objects.get().email == "ada@example.com"


def test_email_sign_in_matches_an_existing_verified_address_ignoring_case(api_client):
    existing = UserFactory(email="Ada@Example.com", email_verified=True)
    code = assert_success(
        api_client.post("/api/v1/auth/send-otp-email", {"email": "ada@example.com"}), 201
    )["code"]

    data = assert_success(
        api_client.post("/api/v1/auth/verify-otp-email", {"email": "ADA@example.com", "code": code})
    )

    assert data["isNewUser"] is False
    assert data["user"]["_id"] == existing.id


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", None, 5])
def test_send_otp_email_refuses_bad_addresses(api_client, email):
    errors = assert_error(
        api_client.post("/api/v1/auth/send-otp-email", {"email": email}, format="json"), 400
    )
    assert all(message.startswith("email: ") for message in errors)
    assert OneTimeCode.objects.count() == 0
    assert mail.outbox == []


def test_messages_follow_the_language_header(api_client):
    response = api_client.post("/api/v1/auth/send-otp", {}, HTTP_X_LANGUAGE="tr")

    assert_error(response, 400, ["countryCode: Bu alan zorunlu.", "phoneNumber: Bu alan zorunlu."])
    assert response.headers["Content-Language"] == "tr"


def email_code(client, email: str) -> str:
    return assert_success(client.post("/api/v1/auth/send-otp-email", {"email": email}), 201)["code"]


def test_an_address_only_typed_into_a_profile_does_not_capture_email_sign_in(api_client):
    squatter = UserFactory(email="victim@example.com", email_verified=False)
    code = email_code(api_client, "victim@example.com")

    data = assert_success(
        api_client.post(
            "/api/v1/auth/verify-otp-email", {"email": "victim@example.com", "code": code}
        )
    )

    assert data["isNewUser"] is True
    assert data["user"]["_id"] != squatter.id
    victim = User.objects.get(pk=data["user"]["_id"])
    assert (victim.email, victim.email_verified) == ("victim@example.com", True)
    squatter.refresh_from_db()
    assert squatter.email is None


def test_a_signed_in_user_confirms_an_email_on_their_own_account(client_for):
    user = UserFactory(email=None, email_verified=False)
    client = client_for(user)
    code = email_code(client, "Me@Example.com")

    data = assert_success(
        client.post("/api/v1/auth/verify-otp-email", {"email": "me@example.com", "code": code})
    )

    assert data["isNewUser"] is False
    assert data["user"]["_id"] == user.id
    assert data["user"]["email"] == "me@example.com"
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("me@example.com", True)
    assert User.objects.count() == 1
    # From now on the address signs in to this very account.
    anonymous = APIClient()
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        code = email_code(anonymous, "me@example.com")
        again = assert_success(
            anonymous.post(
                "/api/v1/auth/verify-otp-email", {"email": "me@example.com", "code": code}
            )
        )
    assert again["user"]["_id"] == user.id


def test_confirming_an_address_another_account_verified_is_a_409(client_for):
    owner = UserFactory(email="taken@example.com", email_verified=True)
    user = UserFactory(email=None)
    client = client_for(user)
    code = email_code(client, "taken@example.com")

    assert_error(
        client.post("/api/v1/auth/verify-otp-email", {"email": "taken@example.com", "code": code}),
        409,
        ["email: This email address belongs to another account."],
    )
    owner.refresh_from_db()
    user.refresh_from_db()
    assert (owner.email, owner.email_verified) == ("taken@example.com", True)
    assert user.email is None


def test_verify_email_with_a_bad_token_is_a_401(api_client):
    code = email_code(api_client, "a@example.com")

    assert_error(
        api_client.post(
            "/api/v1/auth/verify-otp-email",
            {"email": "a@example.com", "code": code},
            HTTP_AUTHORIZATION="Bearer garbage",
        ),
        401,
        ["Token is invalid"],
    )
    assert User.objects.count() == 0


@pytest.mark.parametrize("country_code", ["90", "+90", "090", " 90 "])
def test_every_spelling_of_a_country_code_reaches_one_account(api_client, country_code):
    existing = UserFactory(country_code="90", phone_number="5551234567")
    payload = {"countryCode": country_code, "phoneNumber": "5551234567"}
    code = assert_success(api_client.post("/api/v1/auth/send-otp", payload), 201)["code"]

    data = assert_success(api_client.post("/api/v1/auth/verify-otp", {**payload, "code": code}))

    assert data["user"]["_id"] == existing.id
    assert User.objects.count() == 1


@pytest.mark.parametrize("country_code", ["٩٠", "9O", "+", "1234", "+-90"])
def test_country_codes_in_other_scripts_or_shapes_are_refused(api_client, country_code):
    assert_error(
        api_client.post(
            "/api/v1/auth/send-otp", {"countryCode": country_code, "phoneNumber": "5551234567"}
        ),
        400,
        ["countryCode: Enter a country calling code of 1 to 3 digits, such as 90."],
    )
    assert OneTimeCode.objects.count() == 0


class FailingSmsBackend:
    def send(self, *, to, body):
        raise ConnectionError("gateway down")


def test_a_code_that_could_not_be_sent_is_a_503_and_can_be_asked_again_at_once(
    api_client, settings
):
    settings.SMS_BACKEND = f"{__name__}.FailingSmsBackend"

    assert_error(
        api_client.post("/api/v1/auth/send-otp", PHONE),
        503,
        ["The code could not be sent; try again in a moment."],
    )
    assert OneTimeCode.objects.count() == 0

    settings.SMS_BACKEND = "users.senders.LocMemSmsBackend"
    assert_success(api_client.post("/api/v1/auth/send-otp", PHONE), 201)
    assert len(senders.sms_outbox) == 1


@pytest.mark.parametrize("outcome", ["used", "void"])
def test_the_resend_gap_holds_after_a_code_is_used_or_void(api_client, outcome):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        code = send_code(api_client)
        if outcome == "used":
            assert_success(api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": code}))
        else:
            wrong = f"{(int(code) + 1) % 10000:04d}"
            for _ in range(5):
                api_client.post("/api/v1/auth/verify-otp", {**PHONE, "code": wrong})

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        response = api_client.post("/api/v1/auth/send-otp", PHONE)
    assert_error(response, 429, ["A code was sent recently; wait 30 seconds before asking again."])

    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert_success(api_client.post("/api/v1/auth/send-otp", PHONE), 201)
    assert len(senders.sms_outbox) == 2
