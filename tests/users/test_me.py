import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories import UserFactory
from tests.helpers import USER_KEYS, assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me"
NOON_MAY_22 = datetime.datetime(2026, 5, 22, 12, tzinfo=datetime.UTC)


def test_it_returns_the_callers_full_record(user_client, user):
    data = assert_success(user_client.get(URL))

    assert set(data) == USER_KEYS
    assert data["_id"] == user.id
    assert data["username"] == user.username
    assert data["email"] == user.email
    assert data["phoneNumber"] == user.phone_number
    assert data["profilePhoto"] is None
    assert data["isFollowing"] is None
    assert data["creditBalance"] == 0
    assert data["createdAt"].endswith("Z")


def test_staff_get_their_own_record(staff_client, staff_user):
    assert assert_success(staff_client.get(URL))["_id"] == staff_user.id


@pytest.mark.parametrize("method", ["get", "patch"])
def test_it_requires_authentication(api_client, method):
    assert_error(getattr(api_client, method)(URL, {}), 401, ["Authentication required"])


def test_an_invalid_token_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_error(api_client.get(URL), 401)


def test_it_updates_the_listed_fields(user_client, user):
    payload = {
        "name": "Ayşe",
        "surname": "Yılmaz",
        "bio": "Müzisyen",
        "birthDate": "1998-04-21",
        "gender": "female",
        "interests": ["music", "art"],
        "expertise": "musician",
        "availabilityStatus": "busy",
        "minutePriceInLiveStream": 2.5,
        "instagram": "ayse",
        "x": "ayse_x",
        "tiktok": "ayse_t",
        "snapchat": "ayse_s",
        "facebook": "ayse_f",
        "email": "Ayse@Example.com",
    }
    data = assert_success(user_client.patch(URL, payload, format="json"))

    assert data["name"] == "Ayşe"
    assert data["birthDate"] == "1998-04-21"
    assert data["minutePriceInLiveStream"] == 2.5
    assert data["email"] == "ayse@example.com"
    user.refresh_from_db()
    assert user.interests == ["music", "art"]
    assert user.minute_price_in_live_stream == Decimal("2.50")
    assert user.availability_status == "busy"
    assert (user.x, user.tiktok, user.snapchat, user.facebook) == (
        "ayse_x",
        "ayse_t",
        "ayse_s",
        "ayse_f",
    )


def test_a_partial_update_leaves_other_fields_alone(user_client, user):
    before = user.surname
    assert_success(user_client.patch(URL, {"bio": ""}, format="json"))
    user.refresh_from_db()
    assert user.bio == ""
    assert user.surname == before


def test_server_owned_fields_are_ignored(user_client, user):
    payload = {
        "creditBalance": 1000,
        "followersCount": 99,
        "followingCount": 99,
        "username": "hacker",
        "registrationCompleted": False,
        "privacyPolicyAccepted": True,
        "privacyPolicyVersion": "9.9.9",
        "countryCode": "1",
        "phoneNumber": "2025550100",
        "isStaff": True,
        "isSuperuser": True,
        "sessionVersion": 7,
        "usernameChangedAt": "2020-01-01T00:00:00Z",
        "_id": "64d15f9e2e6c8f4d5a123456",
        "bio": "kept",
    }
    data = assert_success(user_client.patch(URL, payload, format="json"))

    assert data["bio"] == "kept"
    user.refresh_from_db()
    assert user.credit_balance == 0
    assert user.followers_count == 0
    assert user.username != "hacker"
    assert user.registration_completed is True
    assert user.privacy_policy_accepted is False
    assert user.phone_number != "2025550100"
    assert user.is_staff is False
    assert user.is_superuser is False
    assert user.session_version == 0
    assert user.username_changed_at is None


def test_interests_are_deduplicated_in_order(user_client, user):
    data = assert_success(
        user_client.patch(URL, {"interests": ["art", "music", "art"]}, format="json")
    )
    assert data["interests"] == ["art", "music"]


def test_expertise_can_be_cleared(user_client, user):
    User.objects.filter(pk=user.pk).update(expertise="chef")
    assert (
        assert_success(user_client.patch(URL, {"expertise": None}, format="json"))["expertise"]
        is None
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": 123}, "name: Not a valid string."),
        ({"name": ""}, "name: This field may not be blank."),
        ({"name": None}, "name: This field may not be null."),
        ({"name": "x" * 61}, "name: Ensure this field has no more than 60 characters."),
        ({"bio": ["a"]}, "bio: Not a valid string."),
        ({"gender": "robot"}, 'gender: "robot" is not a valid choice.'),
        ({"availabilityStatus": "away"}, 'availabilityStatus: "away" is not a valid choice.'),
        ({"expertise": "wizard"}, 'expertise: "wizard" is not a valid choice.'),
        ({"interests": "music"}, 'interests: Expected a list of items but got type "str".'),
        ({"interests": ["music", "knitting"]}, 'interests.1: "knitting" is not a valid choice.'),
        (
            {
                "interests": [
                    "music",
                    "sports",
                    "gaming",
                    "education",
                    "technology",
                    "art",
                    "lifestyle",
                    "travel",
                    "food",
                    "fitness",
                    "business",
                ]
            },
            "interests: Choose at most 10 interests.",
        ),
        ({"minutePriceInLiveStream": -1}, None),
        ({"minutePriceInLiveStream": 1.234}, None),
        (
            {"minutePriceInLiveStream": "abc"},
            "minutePriceInLiveStream: A valid number is required.",
        ),
        ({"birthDate": "yesterday"}, None),
        ({"birthDate": "2000-02-30"}, None),
        ({"email": "not-an-email"}, "email: Enter a valid email address."),
        ({"email": None}, "email: This field may not be null."),
        ({"instagram": "i" * 101}, None),
    ],
)
def test_it_refuses_bad_values_and_changes_nothing(user_client, user, payload, message):
    before = User.objects.filter(pk=user.pk).values().get()

    errors = assert_error(user_client.patch(URL, payload, format="json"), 400)

    field = next(iter(payload))
    assert len(errors) == 1
    assert errors[0].startswith(field)
    if message:
        assert errors == [message]
    assert User.objects.filter(pk=user.pk).values().get() == before


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("2026-05-23", "birthDate: The birth date cannot be in the future."),
        ("2013-05-23", "birthDate: You must be at least 13 years old."),
        ("1899-12-31", "birthDate: Enter a birth date after 1900-01-01."),
    ],
)
def test_it_refuses_impossible_birth_dates(client_for, user, birth_date, message):
    with time_machine.travel(NOON_MAY_22, tick=False):
        response = client_for(user).patch(URL, {"birthDate": birth_date}, format="json")
    assert_error(response, 400, [message])
    user.refresh_from_db()
    assert user.birth_date is None


def test_thirteen_today_is_old_enough_and_the_age_shows(client_for, user):
    with time_machine.travel(NOON_MAY_22, tick=False):
        response = client_for(user).patch(URL, {"birthDate": "2013-05-22"}, format="json")
    data = assert_success(response)
    assert data["age"] == 13


def test_a_date_time_birth_date_is_read_as_its_date(user_client):
    data = assert_success(
        user_client.patch(URL, {"birthDate": "1990-06-01T00:00:00.000Z"}, format="json")
    )
    assert data["birthDate"] == "1990-06-01"


def test_an_email_another_account_verified_is_a_409_ignoring_case(user_client, user, other_user):
    User.objects.filter(pk=other_user.pk).update(email_verified=True)
    before = user.email
    assert_error(
        user_client.patch(URL, {"email": other_user.email.upper()}, format="json"),
        409,
        ["email: This email address is already used by another account."],
    )
    user.refresh_from_db()
    assert user.email == before


def test_keeping_your_own_email_is_fine(user_client, user):
    assert_success(user_client.patch(URL, {"email": user.email.upper()}, format="json"))


def test_messages_follow_x_language(user_client, other_user):
    User.objects.filter(pk=other_user.pk).update(email_verified=True)
    errors = assert_error(
        user_client.patch(URL, {"email": other_user.email}, format="json", HTTP_X_LANGUAGE="tr"),
        409,
    )
    assert errors == ["email: Bu e-posta adresi başka bir hesap tarafından kullanılıyor."]


def test_malformed_json_is_a_400(user_client):
    assert_error(user_client.patch(URL, "{not json", content_type="application/json"), 400)


def test_a_json_array_body_is_a_400(user_client, user):
    assert_error(user_client.patch(URL, ["name"], format="json"), 400)


def test_an_inactive_users_token_is_refused(client_for):
    inactive = UserFactory(is_active=False)
    assert_error(client_for(inactive).get(URL), 401)


def test_text_fields_use_the_shared_strict_string_field():
    from config.api.fields import StrictCharField
    from users.api import serializers

    assert serializers.StrictCharField is StrictCharField
    assert issubclass(serializers.UsernameField, StrictCharField)
    fields = serializers.UserUpdateSerializer().fields
    for name in ("name", "surname", "bio", "instagram", "x", "tiktok", "snapchat", "facebook"):
        assert isinstance(fields[name], StrictCharField), name
    assert isinstance(
        serializers.UsernameChangeSerializer().fields["new_username"], StrictCharField
    )


def test_a_new_email_is_unverified(user_client, user):
    data = assert_success(
        user_client.patch(URL, {"email": "New.Address@Example.com"}, format="json")
    )

    assert data["email"] == "new.address@example.com"
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new.address@example.com", False)


def test_a_verified_email_is_changed_only_by_confirming_the_new_one(client_for):
    # Replacing it here would leave an email-only account with no address that signs in.
    user = UserFactory(email="proven@example.com", email_verified=True)

    assert_error(
        client_for(user).patch(URL, {"email": "new@example.com", "bio": "x"}, format="json"),
        409,
        [
            "email: Your email address is verified; to change it, confirm the new address with "
            "an email code while signed in (send-otp-email, then verify-otp-email)."
        ],
    )

    user.refresh_from_db()
    assert (user.email, user.email_verified, user.bio) == ("proven@example.com", True, "")


def test_an_address_another_account_only_typed_in_is_taken_from_it(client_for, other_user):
    squatter = UserFactory(email="wanted@example.com", email_verified=False)

    assert_success(
        client_for(other_user).patch(URL, {"email": "wanted@example.com"}, format="json")
    )

    squatter.refresh_from_db()
    other_user.refresh_from_db()
    assert squatter.email is None
    assert (other_user.email, other_user.email_verified) == ("wanted@example.com", False)


@pytest.mark.parametrize("verified", [True, False])
def test_the_same_email_in_another_case_keeps_its_verification(client_for, verified):
    user = UserFactory(email="same@example.com", email_verified=verified)

    assert_success(client_for(user).patch(URL, {"email": "SAME@example.com"}, format="json"))

    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("same@example.com", verified)


def test_other_fields_leave_the_verification_alone(client_for):
    user = UserFactory(email_verified=True)

    assert_success(client_for(user).patch(URL, {"bio": "new bio"}, format="json"))

    user.refresh_from_db()
    assert user.email_verified is True


def test_a_taken_email_changes_neither_address_nor_verification(client_for, other_user):
    User.objects.filter(pk=other_user.pk).update(email_verified=True)
    user = UserFactory(email="mine@example.com", email_verified=False)

    assert_error(
        client_for(user).patch(URL, {"email": other_user.email, "bio": "x"}, format="json"),
        409,
        ["email: This email address is already used by another account."],
    )

    user.refresh_from_db()
    assert (user.email, user.email_verified, user.bio) == ("mine@example.com", False, "")


@pytest.mark.parametrize("price", [100000.01, "1e6", 99999999.99])
def test_the_minute_price_has_the_stream_price_ceiling(user_client, user, price):
    before = user.minute_price_in_live_stream

    errors = assert_error(
        user_client.patch(URL, {"minutePriceInLiveStream": price}, format="json"), 400
    )

    assert errors[0].startswith("minutePriceInLiveStream: ")
    user.refresh_from_db()
    assert user.minute_price_in_live_stream == before


def test_a_huge_list_of_repeated_interests_is_refused(user_client, user):
    assert_error(
        user_client.patch(URL, {"interests": ["music"] * 51}, format="json"),
        400,
        ["interests: Ensure this field has no more than 50 elements."],
    )
    user.refresh_from_db()
    assert user.interests == []
