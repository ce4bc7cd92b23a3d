"""GET /api/v1/legal-documents/consent-history"""

import datetime

import pytest

from tests.consents.factories import ConsentRecordFactory
from tests.helpers import assert_error, assert_success

pytestmark = pytest.mark.django_db

URL = "/api/v1/legal-documents/consent-history"
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def test_it_lists_every_record_of_the_caller_newest_first_withdrawals_included(
    user_client, user, other_user
):
    accepted = ConsentRecordFactory(user=user, consent_date=at(0))
    terms = ConsentRecordFactory(
        user=user, document_type="terms_of_use", document_version="2.0", consent_date=at(5)
    )
    withdrawn = ConsentRecordFactory(user=user, is_accepted=False, consent_date=at(10))
    ConsentRecordFactory(user=other_user, consent_date=at(20))

    response = user_client.get(URL)

    data = assert_success(response)
    assert [item["_id"] for item in data] == [withdrawn.id, terms.id, accepted.id]
    assert data[0] == {
        "_id": withdrawn.id,
        "userId": user.id,
        "documentType": "privacy_policy",
        "documentVersion": "1.0.0",
        "isAccepted": False,
        "consentDate": "2026-01-10T09:10:00.000Z",
        "platform": "mobile_ios",
        "language": "en",
    }
    assert response["X-Total-Count"] == "3"
    assert "Link" not in response


def test_it_never_shows_the_ip_address_or_user_agent(user_client, user):
    ConsentRecordFactory(user=user)

    (item,) = assert_success(user_client.get(URL))

    assert "ipAddress" not in item
    assert "userAgent" not in item


def test_records_with_the_same_time_keep_their_order(user_client, user):
    first = ConsentRecordFactory(user=user, consent_date=T0)
    second = ConsentRecordFactory(user=user, consent_date=T0, is_accepted=False)

    data = assert_success(user_client.get(URL))

    assert [item["_id"] for item in data] == [second.id, first.id]


def test_it_filters_by_document_type(user_client, user):
    ConsentRecordFactory(user=user, document_type="privacy_policy")
    terms = ConsentRecordFactory(user=user, document_type="terms_of_use")

    response = user_client.get(URL, {"documentType": "terms_of_use"})

    assert [item["_id"] for item in assert_success(response)] == [terms.id]
    assert response["X-Total-Count"] == "1"


def test_an_empty_filter_means_every_type(user_client, user):
    ConsentRecordFactory(user=user, document_type="privacy_policy")
    ConsentRecordFactory(user=user, document_type="terms_of_use")

    assert len(assert_success(user_client.get(URL, {"documentType": ""}))) == 2


@pytest.mark.parametrize("value", ["cookies", "PRIVACY_POLICY", "privacy_policy "])
def test_an_unknown_document_type_filter_is_a_400(user_client, user, value):
    ConsentRecordFactory(user=user)

    assert_error(
        user_client.get(URL, {"documentType": value}),
        400,
        [f'documentType: "{value}" is not a valid choice.'],
    )


def test_it_pages_with_headers(user_client, user):
    records = [ConsentRecordFactory(user=user, consent_date=at(minute)) for minute in range(5)]

    response = user_client.get(URL, {"page": 2, "limit": 2})

    data = assert_success(response)
    assert [item["_id"] for item in data] == [records[2].id, records[1].id]
    assert response["X-Total-Count"] == "5"
    assert 'rel="next"' in response["Link"]
    assert "page=3" in response["Link"]
    assert 'rel="prev"' in response["Link"]
    assert "page=1" in response["Link"]


def test_an_empty_history_is_an_empty_array(user_client):
    response = user_client.get(URL)

    assert assert_success(response) == []
    assert response["X-Total-Count"] == "0"


@pytest.mark.parametrize("params", [{"page": "x", "limit": "y"}, {"page": -1, "limit": 0}])
def test_odd_paging_values_fall_back_to_the_defaults(user_client, user, params):
    ConsentRecordFactory(user=user)

    assert len(assert_success(user_client.get(URL, params))) == 1


# --- who may call it ------------------------------------------------------------------------


def test_anonymous_callers_get_401(api_client):
    assert_error(api_client.get(URL), 401, ["Authentication required"])


def test_an_invalid_token_gets_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.forged")

    assert_error(api_client.get(URL), 401)


@pytest.mark.parametrize("caller", ["user", "other_user", "staff_user"])
def test_each_caller_sees_only_their_own_records(request, client_for, caller, user, other_user):
    mine = {
        name: ConsentRecordFactory(user=request.getfixturevalue(name)).id
        for name in ("user", "other_user", "staff_user")
    }

    data = assert_success(client_for(request.getfixturevalue(caller)).get(URL))

    assert [item["_id"] for item in data] == [mine[caller]]


# --- cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 40])
def test_the_query_count_does_not_grow_with_the_page(
    user_client, user, count, django_assert_max_num_queries
):
    for minute in range(count):
        ConsentRecordFactory(user=user, consent_date=at(minute))

    # authenticate the user, count, page
    with django_assert_max_num_queries(3):
        data = assert_success(user_client.get(URL, {"limit": 100}))

    assert len(data) == count
