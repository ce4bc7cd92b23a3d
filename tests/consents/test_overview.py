"""GET /api/v1/legal-documents/overview"""

import datetime

import pytest
import time_machine

from consents.models import ConsentRecord
from tests.consents.factories import ConsentRecordFactory, publish
from tests.helpers import assert_error, assert_success

pytestmark = pytest.mark.django_db

URL = "/api/v1/legal-documents/overview"
CONSENT_URL = "/api/v1/legal-documents/consent"
NOW = datetime.datetime(2026, 4, 2, 8, 0, tzinfo=datetime.UTC)


def status(document_type, version="1.0.0", **overrides) -> dict:
    expected = {
        "type": document_type,
        "title": f"{document_type} {version} en",
        "version": version,
        "hasUserConsented": False,
        "userConsentDate": None,
        "needsUpdate": True,
        "isRequired": True,
    }
    return {**expected, **overrides}


def test_a_new_user_must_consent_to_the_required_documents(user_client, documents):
    data = assert_success(user_client.get(URL))

    assert data == {
        "privacyPolicy": status("privacy_policy"),
        "termsOfUse": status("terms_of_use"),
        "consentForm": status("consent_form", needsUpdate=False, isRequired=False),
        "additionalDocuments": [],
    }


def test_nothing_published_is_null_and_an_empty_list(user_client):
    assert assert_success(user_client.get(URL)) == {
        "privacyPolicy": None,
        "termsOfUse": None,
        "consentForm": None,
        "additionalDocuments": [],
    }


def test_additional_documents_list_the_published_payment_and_purchase_terms(user_client, documents):
    publish("purchase_terms", "3.0.0", "en", is_required=False)
    publish("payment_terms", "1.1.0", "en")

    data = assert_success(user_client.get(URL))

    assert data["additionalDocuments"] == [
        status("payment_terms", "1.1.0"),
        status("purchase_terms", "3.0.0", needsUpdate=False, isRequired=False),
    ]


def test_an_acceptance_is_shown_with_its_date(client_for, user, documents):
    with time_machine.travel(NOW, tick=False):
        client = client_for(user)
        client.post(
            CONSENT_URL,
            {"documentType": "privacy_policy", "documentVersion": "1.0.0", "isAccepted": True},
            format="json",
        )

        data = assert_success(client.get(URL))

    assert data["privacyPolicy"] == status(
        "privacy_policy",
        hasUserConsented=True,
        userConsentDate="2026-04-02T08:00:00.000Z",
        needsUpdate=False,
    )
    assert data["termsOfUse"]["needsUpdate"] is True


def test_a_newer_required_version_needs_an_update_until_it_is_accepted(user_client, documents):
    accept = {"documentType": "privacy_policy", "documentVersion": "1.0.0", "isAccepted": True}
    user_client.post(CONSENT_URL, accept, format="json")
    assert assert_success(user_client.get(URL))["privacyPolicy"]["needsUpdate"] is False

    publish("privacy_policy", "1.1.0", "en")

    after_publish = assert_success(user_client.get(URL))["privacyPolicy"]
    assert after_publish["version"] == "1.1.0"
    assert after_publish["hasUserConsented"] is False
    assert after_publish["needsUpdate"] is True

    user_client.post(CONSENT_URL, {**accept, "documentVersion": "1.1.0"}, format="json")

    after_accept = assert_success(user_client.get(URL))["privacyPolicy"]
    assert after_accept["hasUserConsented"] is True
    assert after_accept["needsUpdate"] is False


def test_publishing_a_new_version_leaves_past_records_alone(user, documents):
    record = ConsentRecordFactory(user=user)
    before = list(ConsentRecord.objects.values())

    publish("privacy_policy", "2.0.0", "en")

    assert list(ConsentRecord.objects.values()) == before
    assert ConsentRecord.objects.get().pk == record.pk


def test_a_withdrawal_after_an_acceptance_means_not_consented(user_client, user, documents):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    ConsentRecordFactory(user=user, consent_date=base)
    ConsentRecordFactory(
        user=user, is_accepted=False, consent_date=base + datetime.timedelta(days=1)
    )

    data = assert_success(user_client.get(URL))

    assert data["privacyPolicy"]["hasUserConsented"] is False
    assert data["privacyPolicy"]["userConsentDate"] is None
    assert data["privacyPolicy"]["needsUpdate"] is True


def test_an_acceptance_after_a_withdrawal_means_consented(user_client, user, documents):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    ConsentRecordFactory(user=user, is_accepted=False, consent_date=base)
    ConsentRecordFactory(user=user, consent_date=base + datetime.timedelta(days=1))

    data = assert_success(user_client.get(URL))

    assert data["privacyPolicy"]["hasUserConsented"] is True
    assert data["privacyPolicy"]["userConsentDate"] == "2026-01-02T00:00:00.000Z"


def test_an_optional_document_never_needs_an_update(user_client, documents):
    data = assert_success(user_client.get(URL))

    assert data["consentForm"]["isRequired"] is False
    assert data["consentForm"]["needsUpdate"] is False


def test_other_users_consents_do_not_count(user_client, other_user, documents):
    ConsentRecordFactory(user=other_user)

    assert assert_success(user_client.get(URL))["privacyPolicy"]["hasUserConsented"] is False


def test_it_shows_the_request_language_and_falls_back_to_english(user_client, documents):
    publish("payment_terms", "1.0.0", "en", title="Payment terms")
    publish("terms_of_use", "1.1.0", "tr", title="Kullanım Koşulları 1.1")

    data = assert_success(user_client.get(URL, HTTP_X_LANGUAGE="tr"))

    assert data["privacyPolicy"]["title"] == "privacy_policy 1.0.0 tr"
    assert data["termsOfUse"]["title"] == "Kullanım Koşulları 1.1"
    assert data["termsOfUse"]["version"] == "1.1.0"
    assert data["additionalDocuments"][0]["title"] == "Payment terms"  # no tr version


def test_a_language_query_parameter_wins(user_client, documents):
    data = assert_success(user_client.get(URL, {"language": "tr"}, HTTP_X_LANGUAGE="en"))

    assert data["privacyPolicy"]["title"] == "privacy_policy 1.0.0 tr"


def test_anonymous_callers_get_401(api_client, documents):
    assert_error(api_client.get(URL), 401, ["Authentication required"])


def test_staff_see_their_own_standing(staff_client, staff_user, user, documents):
    ConsentRecordFactory(user=user)

    data = assert_success(staff_client.get(URL))

    assert data["privacyPolicy"]["hasUserConsented"] is False


@pytest.mark.parametrize("records", [0, 30])
def test_the_query_count_does_not_grow_with_history_or_documents(
    user_client, user, documents, records, django_assert_max_num_queries
):
    for index in range(records):
        ConsentRecordFactory(user=user, is_accepted=index % 2 == 0)
        publish("payment_terms", f"1.{index}.0", "tr")
    user.language = "tr"  # the language is stored: this request does not change it
    user.save(update_fields=["language"])
    # authenticate the user, then one query for documents and latest decisions
    with django_assert_max_num_queries(2):
        data = assert_success(user_client.get(URL, HTTP_X_LANGUAGE="tr"))

    assert data["privacyPolicy"]["version"] == "1.0.0"
