"""POST /api/v1/legal-documents/consent"""

import datetime

import pytest
import time_machine

from config.api.errors import Conflict, InvalidInput
from consents.models import ConsentRecord
from tests.consents.factories import publish
from tests.helpers import OBJECT_ID_RE, assert_error, assert_success
from users.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/legal-documents/consent"
NOW = datetime.datetime(2026, 3, 1, 12, 30, 15, 123000, tzinfo=datetime.UTC)
ACCEPT = {"documentType": "privacy_policy", "documentVersion": "1.0.0", "isAccepted": True}


@pytest.fixture(autouse=True)
def _published(documents):
    return documents


def test_it_records_an_acceptance_and_returns_the_record(client_for, user):
    with time_machine.travel(NOW, tick=False):
        response = client_for(user).post(
            URL,
            ACCEPT,
            format="json",
            HTTP_X_PLATFORM="mobile_ios",
            HTTP_X_LANGUAGE="tr",
            HTTP_USER_AGENT="yayin-ios/2.3",
            REMOTE_ADDR="198.51.100.4",
        )

    data = assert_success(response, 201)
    record = ConsentRecord.objects.get()
    assert data == {
        "_id": record.id,
        "userId": user.id,
        "documentType": "privacy_policy",
        "documentVersion": "1.0.0",
        "isAccepted": True,
        "consentDate": "2026-03-01T12:30:15.123Z",
        "platform": "mobile_ios",
        "language": "tr",
    }
    assert OBJECT_ID_RE.match(record.id)
    assert record.user == user
    assert record.ip_address == "198.51.100.4"
    assert record.user_agent == "yayin-ios/2.3"
    assert record.consent_date == NOW


def test_a_withdrawal_is_a_new_record_and_the_acceptance_stays(user_client, user):
    first = assert_success(user_client.post(URL, ACCEPT, format="json"), 201)

    second = assert_success(
        user_client.post(URL, {**ACCEPT, "isAccepted": False}, format="json"), 201
    )

    assert second["_id"] != first["_id"]
    assert second["isAccepted"] is False
    assert list(
        ConsentRecord.objects.order_by("consent_date", "id").values_list("id", "is_accepted")
    ) == [(first["_id"], True), (second["_id"], False)]


@pytest.mark.parametrize(
    ("header", "platform"),
    [
        ("web", "web"),
        ("mobile_ios", "mobile_ios"),
        ("mobile_android", "mobile_android"),
        ("admin", "admin"),
        ("api", "api"),
        ("unknown", "unknown"),
        (" Mobile_Android ", "mobile_android"),
        ("toaster", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_it_takes_the_platform_from_the_header(user_client, header, platform):
    extra = {} if header is None else {"HTTP_X_PLATFORM": header}

    data = assert_success(user_client.post(URL, ACCEPT, format="json", **extra), 201)

    assert data["platform"] == platform
    assert ConsentRecord.objects.get().platform == platform


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        ({}, "en"),
        ({"HTTP_X_LANGUAGE": "tr"}, "tr"),
        ({"HTTP_ACCEPT_LANGUAGE": "tr-TR,tr;q=0.9"}, "tr"),
        ({"HTTP_X_LANGUAGE": "de"}, "en"),
    ],
)
def test_it_takes_the_language_from_the_request(user_client, headers, language):
    data = assert_success(user_client.post(URL, ACCEPT, format="json", **headers), 201)

    assert data["language"] == language


def test_it_ignores_x_forwarded_for_unless_proxies_are_configured(user_client):
    user_client.post(
        URL, ACCEPT, format="json", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )

    assert ConsentRecord.objects.get().ip_address == "10.0.0.1"


def test_it_trusts_the_configured_number_of_proxies(user_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    user_client.post(
        URL,
        ACCEPT,
        format="json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )

    assert ConsentRecord.objects.get().ip_address == "203.0.113.9"


def test_a_long_user_agent_is_cut_not_refused(user_client):
    assert_success(user_client.post(URL, ACCEPT, format="json", HTTP_USER_AGENT="x" * 900), 201)

    assert ConsentRecord.objects.get().user_agent == "x" * 500


def test_a_version_published_only_in_another_language_counts(user_client):
    publish("terms_of_use", "2.0.0", "tr")

    data = assert_success(
        user_client.post(
            URL,
            {"documentType": "terms_of_use", "documentVersion": "2.0.0", "isAccepted": True},
            format="json",
            HTTP_X_LANGUAGE="en",
        ),
        201,
    )

    assert data["documentVersion"] == "2.0.0"


def test_an_older_published_version_can_still_be_recorded(user_client):
    publish("privacy_policy", "1.1.0", "en")

    data = assert_success(user_client.post(URL, ACCEPT, format="json"), 201)

    assert data["documentVersion"] == "1.0.0"


# --- who may call it ------------------------------------------------------------------------


def test_anonymous_callers_get_401_and_nothing_is_recorded(api_client):
    assert_error(api_client.post(URL, ACCEPT, format="json"), 401, ["Authentication required"])

    assert not ConsentRecord.objects.exists()


def test_an_invalid_token_gets_401_and_nothing_is_recorded(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_error(api_client.post(URL, ACCEPT, format="json"), 401)

    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("caller", ["user", "other_user", "staff_user"])
def test_every_signed_in_caller_records_for_themselves_only(request, client_for, caller, user):
    someone = request.getfixturevalue(caller)

    data = assert_success(
        client_for(someone).post(URL, {**ACCEPT, "userId": user.id}, format="json"), 201
    )

    assert data["userId"] == someone.id
    assert ConsentRecord.objects.get().user == someone


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_records_cannot_be_changed_through_the_api(user_client, method):
    assert_success(user_client.post(URL, ACCEPT, format="json"), 201)
    before = list(ConsentRecord.objects.values())

    response = getattr(user_client, method)(URL, {**ACCEPT, "isAccepted": False}, format="json")

    assert_error(response, 405)
    assert list(ConsentRecord.objects.values()) == before


def test_there_is_no_url_for_one_record(user_client):
    record_id = assert_success(user_client.post(URL, ACCEPT, format="json"), 201)["_id"]

    assert_error(user_client.delete(f"{URL}/{record_id}"), 404, ["Resource not found"])

    assert ConsentRecord.objects.filter(pk=record_id).exists()


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, None),
        (
            {"documentVersion": "1.0.0", "isAccepted": True},
            ["documentType: This field is required."],
        ),
        (
            {"documentType": "privacy_policy", "isAccepted": True},
            ["documentVersion: This field is required."],
        ),
        (
            {"documentType": "privacy_policy", "documentVersion": "1.0.0"},
            ["isAccepted: This field is required."],
        ),
        (
            {**ACCEPT, "documentType": "cookie_policy"},
            ['documentType: "cookie_policy" is not a valid choice.'],
        ),
        ({**ACCEPT, "documentType": None}, ["documentType: This field may not be null."]),
        ({**ACCEPT, "documentType": ["privacy_policy"]}, None),
        ({**ACCEPT, "isAccepted": "yes"}, ["isAccepted: Must be a valid boolean."]),
        ({**ACCEPT, "isAccepted": "true"}, ["isAccepted: Must be a valid boolean."]),
        ({**ACCEPT, "isAccepted": 1}, ["isAccepted: Must be a valid boolean."]),
        ({**ACCEPT, "isAccepted": 0}, ["isAccepted: Must be a valid boolean."]),
        ({**ACCEPT, "isAccepted": None}, ["isAccepted: This field may not be null."]),
        ({**ACCEPT, "isAccepted": [True]}, ["isAccepted: Must be a valid boolean."]),
        ({**ACCEPT, "isAccepted": {"value": True}}, ["isAccepted: Must be a valid boolean."]),
        ({**ACCEPT, "documentVersion": 1.0}, ["documentVersion: Not a valid string."]),
        ({**ACCEPT, "documentVersion": ["1.0.0"]}, ["documentVersion: Not a valid string."]),
        ({**ACCEPT, "documentVersion": None}, ["documentVersion: This field may not be null."]),
        ({**ACCEPT, "documentVersion": ""}, ["documentVersion: This field may not be blank."]),
        (
            {**ACCEPT, "documentVersion": "1" * 21},
            ["documentVersion: Ensure this field has no more than 20 characters."],
        ),
        ([ACCEPT], None),
        ("privacy_policy", None),
    ],
)
def test_bad_input_is_a_400_that_records_nothing(user_client, user, body, errors):
    messages = assert_error(user_client.post(URL, body, format="json"), 400, errors)

    assert messages
    assert not ConsentRecord.objects.exists()
    user.refresh_from_db()
    assert (user.privacy_policy_accepted, user.privacy_policy_version) == (False, None)


def test_missing_fields_are_each_named(user_client):
    assert_error(
        user_client.post(URL, {}, format="json"),
        400,
        [
            "documentType: This field is required.",
            "documentVersion: This field is required.",
            "isAccepted: This field is required.",
        ],
    )


def test_malformed_json_is_a_400(user_client):
    response = user_client.generic(
        "POST", URL, '{"documentType": ', content_type="application/json"
    )

    assert_error(response, 400)
    assert not ConsentRecord.objects.exists()


def test_a_form_encoded_body_is_refused(user_client):
    response = user_client.post(
        URL,
        {"documentType": "privacy_policy", "documentVersion": "1.0.0", "isAccepted": "true"},
        format="multipart",
    )

    assert_error(response, 415)
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    ("document_type", "version"),
    [
        ("privacy_policy", "9.9.9"),
        ("privacy_policy", "1.0"),
        ("payment_terms", "1.0.0"),  # a valid type with nothing published
        ("privacy_policy", "../1.0.0"),
        # Not canonical spellings of the published 1.0.0: not a published version either.
        ("privacy_policy", "01.0.0"),
        ("privacy_policy", "1"),
        ("privacy_policy", "1.0.0.0"),
        ("privacy_policy", "1.00.0"),
        ("privacy_policy", "v1.0.0"),
    ],
)
def test_an_unpublished_version_is_a_404_that_records_nothing(user_client, document_type, version):
    response = user_client.post(
        URL,
        {"documentType": document_type, "documentVersion": version, "isAccepted": True},
        format="json",
    )

    assert_error(
        response, 404, ["documentVersion: This version of the document has not been published."]
    )
    assert not ConsentRecord.objects.exists()


def test_messages_follow_the_request_language(user_client):
    response = user_client.post(
        URL, {**ACCEPT, "documentVersion": "9.9.9"}, format="json", HTTP_X_LANGUAGE="tr"
    )

    assert_error(response, 404, ["documentVersion: Belgenin bu sürümü yayımlanmamış."])


# --- the user's privacy-policy flags ----------------------------------------------------------


def _flags(user: User) -> tuple[bool, str | None]:
    user.refresh_from_db()
    return user.privacy_policy_accepted, user.privacy_policy_version


def test_accepting_the_current_privacy_policy_sets_the_flags(user_client, user):
    user_client.post(URL, ACCEPT, format="json")

    assert _flags(user) == (True, "1.0.0")


def test_withdrawing_the_accepted_version_clears_the_flags(user_client, user):
    user_client.post(URL, ACCEPT, format="json")

    user_client.post(URL, {**ACCEPT, "isAccepted": False}, format="json")

    assert _flags(user) == (False, None)


def test_accepting_a_newer_version_moves_the_flags_to_it(user_client, user):
    user_client.post(URL, ACCEPT, format="json")
    publish("privacy_policy", "1.1.0", "en")

    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    assert _flags(user) == (True, "1.1.0")


def test_accepting_an_older_version_leaves_the_flags(user_client, user):
    publish("privacy_policy", "1.1.0", "en")
    publish("privacy_policy", "1.1.0", "tr")
    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    user_client.post(URL, ACCEPT, format="json")  # 1.0.0 is no longer current anywhere

    assert _flags(user) == (True, "1.1.0")


def test_withdrawing_a_version_the_user_does_not_hold_leaves_the_flags(user_client, user):
    publish("privacy_policy", "1.1.0", "en")
    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    user_client.post(URL, {**ACCEPT, "isAccepted": False}, format="json")  # withdraws 1.0.0

    assert _flags(user) == (True, "1.1.0")


def test_other_documents_leave_the_flags(user_client, user):
    user_client.post(URL, {**ACCEPT, "documentType": "terms_of_use"}, format="json")

    assert _flags(user) == (False, None)


def test_the_flags_of_other_users_do_not_move(user_client, other_user):
    user_client.post(URL, ACCEPT, format="json")

    assert _flags(other_user) == (False, None)


# --- a new privacy-policy version makes the flags stale ---------------------------------------


def _me_flags(client) -> tuple[bool, str | None]:
    me = assert_success(client.get("/api/v1/users/me"))
    return me["privacyPolicyAccepted"], me["privacyPolicyVersion"]


def _privacy_needs_update(client) -> bool:
    overview = assert_success(client.get("/api/v1/legal-documents/overview"))
    return overview["privacyPolicy"]["needsUpdate"]


def test_publishing_a_new_privacy_policy_clears_accepted_until_the_user_accepts_it(
    user_client, user
):
    user_client.post(URL, ACCEPT, format="json")
    assert _me_flags(user_client) == (True, "1.0.0")
    assert _privacy_needs_update(user_client) is False

    publish("privacy_policy", "2.0.0", "en")
    publish("privacy_policy", "2.0.0", "tr")  # 1.0.0 is now current in no language

    # "Accepted" means a current version; the version stays the last one the user accepted.
    assert _me_flags(user_client) == (False, "1.0.0")
    assert _privacy_needs_update(user_client) is True
    assert ConsentRecord.objects.get().is_accepted is True  # the record itself is untouched

    assert_success(
        user_client.post(URL, {**ACCEPT, "documentVersion": "2.0.0"}, format="json"), 201
    )

    assert _me_flags(user_client) == (True, "2.0.0")
    assert _privacy_needs_update(user_client) is False


def test_publishing_a_version_the_user_already_accepted_in_another_language_keeps_it(
    client_for, user, other_user
):
    publish("privacy_policy", "2.0.0", "tr")
    client_for(user).post(URL, {**ACCEPT, "documentVersion": "2.0.0"}, format="json")
    client_for(other_user).post(URL, ACCEPT, format="json")  # 1.0.0 is still current in en

    publish("privacy_policy", "2.0.0", "en")

    assert _me_flags(client_for(user)) == (True, "2.0.0")
    assert _me_flags(client_for(other_user)) == (False, "1.0.0")


def test_publishing_other_documents_leaves_the_privacy_flags(user_client, user, other_user):
    user_client.post(URL, ACCEPT, format="json")

    publish("terms_of_use", "2.0.0", "en")

    assert _me_flags(user_client) == (True, "1.0.0")
    assert _flags(other_user) == (False, None)


def test_a_refused_publish_leaves_the_privacy_flags(user_client, user):
    user_client.post(URL, ACCEPT, format="json")

    with pytest.raises(Conflict):
        publish("privacy_policy", "1.0.0", "en")  # already published
    with pytest.raises(InvalidInput):
        publish("privacy_policy", "2.0.0", "en", body_html="<script>x()</script>")

    assert _me_flags(user_client) == (True, "1.0.0")


def test_a_new_privacy_policy_does_not_touch_users_who_never_accepted(user, other_user):
    publish("privacy_policy", "2.0.0", "en")

    assert _flags(user) == (False, None)
    assert _flags(other_user) == (False, None)


# --- the flags follow "current in any language", like the overview ----------------------------
#
# en and tr both start at 1.0.0 (the `documents` fixture). `privacyPolicyAccepted` is True
# exactly when the overview shows some current privacy-policy version (in some language) as
# consented; `privacyPolicyVersion` is then the highest such version.


def _privacy_status(client, language: str) -> tuple[str, bool, bool]:
    overview = assert_success(
        client.get("/api/v1/legal-documents/overview", {"language": language})
    )
    status = overview["privacyPolicy"]
    return status["version"], status["hasUserConsented"], status["needsUpdate"]


def test_a_new_version_in_one_language_keeps_the_flags_while_the_held_one_is_current(
    user_client, user
):
    user_client.post(URL, ACCEPT, format="json")

    publish("privacy_policy", "1.1.0", "tr")

    assert _privacy_status(user_client, "en") == ("1.0.0", True, False)
    assert _privacy_status(user_client, "tr") == ("1.1.0", False, True)
    assert _me_flags(user_client) == (True, "1.0.0")

    publish("privacy_policy", "1.1.0", "en")  # 1.0.0 is now current nowhere

    assert _privacy_status(user_client, "en") == ("1.1.0", False, True)
    assert _me_flags(user_client) == (False, "1.0.0")


def test_publishing_keeps_the_flags_on_another_accepted_current_version(user_client, user):
    publish("privacy_policy", "1.1.0", "tr")
    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")
    user_client.post(URL, ACCEPT, format="json")  # 1.0.0, still current in en
    assert _me_flags(user_client) == (True, "1.1.0")

    publish("privacy_policy", "1.2.0", "tr")  # 1.1.0 is current nowhere; 1.0.0 still is (en)

    assert _privacy_status(user_client, "en") == ("1.0.0", True, False)
    assert _me_flags(user_client) == (True, "1.0.0")


def test_publishing_a_stale_accepted_version_in_a_new_language_restores_the_flags(
    user_client, user
):
    publish("privacy_policy", "2.0.0", "tr")
    user_client.post(URL, {**ACCEPT, "documentVersion": "2.0.0"}, format="json")
    publish("privacy_policy", "3.0.0", "tr")
    assert _me_flags(user_client) == (False, "2.0.0")

    publish("privacy_policy", "2.0.0", "en")  # current again, in en

    assert _privacy_status(user_client, "en") == ("2.0.0", True, False)
    assert _me_flags(user_client) == (True, "2.0.0")


def test_accepting_an_older_current_version_does_not_move_the_version_backwards(user_client, user):
    publish("privacy_policy", "1.1.0", "tr")
    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    response = user_client.post(URL, ACCEPT, format="json")  # 1.0.0, current in en

    assert_success(response, 201)
    assert _me_flags(user_client) == (True, "1.1.0")
    assert _privacy_status(user_client, "en") == ("1.0.0", True, False)
    assert _privacy_status(user_client, "tr") == ("1.1.0", True, False)


def test_accepting_a_newer_current_version_after_an_older_one_moves_the_version(user_client, user):
    publish("privacy_policy", "1.1.0", "tr")
    user_client.post(URL, ACCEPT, format="json")

    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    assert _me_flags(user_client) == (True, "1.1.0")


def test_withdrawing_a_current_version_the_user_does_not_hold_keeps_the_flags(user_client, user):
    publish("privacy_policy", "1.1.0", "tr")
    user_client.post(URL, ACCEPT, format="json")
    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    user_client.post(URL, {**ACCEPT, "isAccepted": False}, format="json")  # withdraws 1.0.0

    assert _me_flags(user_client) == (True, "1.1.0")
    assert _privacy_status(user_client, "en") == ("1.0.0", False, True)
    assert _privacy_status(user_client, "tr") == ("1.1.0", True, False)


def test_withdrawing_the_held_version_falls_back_to_another_accepted_current_one(user_client, user):
    publish("privacy_policy", "1.1.0", "tr")
    user_client.post(URL, ACCEPT, format="json")
    user_client.post(URL, {**ACCEPT, "documentVersion": "1.1.0"}, format="json")

    user_client.post(
        URL, {**ACCEPT, "documentVersion": "1.1.0", "isAccepted": False}, format="json"
    )

    assert _me_flags(user_client) == (True, "1.0.0")
    assert _privacy_status(user_client, "en") == ("1.0.0", True, False)
    assert _privacy_status(user_client, "tr") == ("1.1.0", False, True)


def test_withdrawing_a_stale_held_version_clears_the_version(user_client, user):
    user_client.post(URL, ACCEPT, format="json")
    publish("privacy_policy", "2.0.0", "en")
    publish("privacy_policy", "2.0.0", "tr")
    assert _me_flags(user_client) == (False, "1.0.0")

    user_client.post(URL, {**ACCEPT, "isAccepted": False}, format="json")

    assert _me_flags(user_client) == (False, None)


def test_a_new_version_in_one_language_leaves_other_users_alone(client_for, user, other_user):
    client_for(user).post(URL, ACCEPT, format="json")

    publish("privacy_policy", "1.1.0", "tr")

    assert _flags(user) == (True, "1.0.0")
    assert _flags(other_user) == (False, None)
