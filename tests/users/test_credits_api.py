"""GET /users/me/transactions, GET /credit-packages and POST /credit-packages/purchase
(contract section 5), through the API, with the ledger and balances afterwards."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories import StaffFactory, UserFactory
from tests.helpers import OBJECT_ID_RE, assert_error, assert_success, run_together
from tests.livestreams.factories import LiveStreamFactory
from users.credits import services as credits
from users.credits.models import CreditPackage, CreditTransaction, IdempotencyRecord
from users.credits.selectors import ledger_audit

pytestmark = pytest.mark.django_db

D = Decimal
TRANSACTIONS = "/api/v1/users/me/transactions"
PACKAGES = "/api/v1/credit-packages"
PURCHASE = "/api/v1/credit-packages/purchase"
TRANSACTION_KEYS = {
    "_id", "type", "direction", "amount", "balanceAfter", "status", "description",
    "liveStream", "occurredAt",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _money_settings(settings):
    settings.CREATOR_SHARE_PERCENT = 80
    settings.CREDIT_TEST_PURCHASES = True


@pytest.fixture
def package(db):
    return CreditPackage.objects.create(
        product_id="yayin.credits.100", name="100 credits", credits=D("100"), price=D("4.99"),
        currency="USD",
    )  # fmt: skip


def _adjust(user, amount, reason="test"):
    return credits.balance_adjust(user=user, amount=D(amount), reason=reason, staff=StaffFactory())


# --- GET /users/me/transactions ---------------------------------------------------------------


def test_anonymous_callers_get_401(api_client):
    assert_error(api_client.get(TRANSACTIONS), 401, ["Authentication required"])


def test_the_list_shows_only_the_callers_rows_newest_first_in_the_contract_shape(
    user_client, user, other_user
):
    with time_machine.travel(datetime(2026, 1, 15, 10, 0, tzinfo=UTC), tick=False):
        _adjust(user, "20.00", reason="welcome")
    stream = LiveStreamFactory(paid=True, title="Yeni ürün tanıtımı")
    with time_machine.travel(datetime(2026, 1, 16, 9, 30, tzinfo=UTC), tick=False):
        credits.ticket_charge(
            viewer=user, creator=stream.creator, live_stream=stream, price=D("9.99")
        )
    _adjust(other_user, "5.00")

    data = assert_success(user_client.get(TRANSACTIONS))
    assert data["pagination"] == {
        "currentPage": 1, "totalPages": 1, "totalItems": 2, "itemsPerPage": 20,
        "hasNextPage": False, "hasPrevPage": False,
    }  # fmt: skip
    ticket, adjustment = data["list"]
    assert set(ticket) == TRANSACTION_KEYS
    assert OBJECT_ID_RE.match(ticket["_id"])
    assert {key: ticket[key] for key in TRANSACTION_KEYS - {"_id", "liveStream"}} == {
        "type": "ticket", "direction": "debit", "amount": 9.99, "balanceAfter": 10.01,
        "status": "completed", "description": "Ticket: Yeni ürün tanıtımı",
        "occurredAt": "2026-01-16T09:30:00.000Z",
    }  # fmt: skip
    assert set(ticket["liveStream"]) == {"id", "title", "thumbnailUrl"}
    assert ticket["liveStream"]["id"] == stream.id
    assert ticket["liveStream"]["thumbnailUrl"].startswith("http://testserver/")
    assert adjustment["description"] == "Adjustment: welcome"
    assert adjustment["liveStream"] is None
    assert adjustment["amount"] == 20


def test_descriptions_follow_the_callers_language(user_client, user):
    _adjust(user, "1.00", reason="hoş geldin")
    data = assert_success(user_client.get(TRANSACTIONS, HTTP_X_LANGUAGE="tr"))
    assert data["list"][0]["description"] == "Düzeltme: hoş geldin"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("types=adjustment", ["adjustment", "adjustment"]),
        ("types[]=ticket", ["ticket"]),
        ("types=ticket,adjustment&sort=asc", ["adjustment", "ticket", "adjustment"]),
        ("types=ticket&types=funding", ["funding", "ticket"]),
        ("statuses=pending", ["funding"]),
        ("statuses[]=pending&statuses[]=completed&direction=credit", ["adjustment"]),
        ("direction=debit", ["funding", "adjustment", "ticket"]),
        ("dateFrom=2026-01-16&dateTo=2026-01-16", ["ticket"]),
        ("dateTo=2026-01-15", ["adjustment"]),
        ("dateFrom=2026-01-17T00:00:00Z", ["funding", "adjustment"]),
        ("sort=asc", ["adjustment", "ticket", "adjustment", "funding"]),
    ],
)
def test_the_filters(user_client, user, query, expected):
    stream = LiveStreamFactory(paid=True)
    crowd = LiveStreamFactory(live_stream_type="duocrowd")
    moments = [datetime(2026, 1, day, 12, tzinfo=UTC) for day in (15, 16, 17, 18)]
    with time_machine.travel(moments[0], tick=False):
        _adjust(user, "30.00")
    with time_machine.travel(moments[1], tick=False):
        credits.ticket_charge(viewer=user, creator=stream.creator, live_stream=stream, price=D(5))
    with time_machine.travel(moments[2], tick=False):
        _adjust(user, "-1.00")
    with time_machine.travel(moments[3], tick=False):
        credits.funds_hold(user=user, live_stream=crowd, amount=D(2), type_="funding")

    data = assert_success(user_client.get(f"{TRANSACTIONS}?{query}"))
    assert [row["type"] for row in data["list"]] == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("types=tip", "types: Unknown value tip; use one of: purchase, purchase_refund,"),
        ("statuses[]=lost", "statuses: Unknown value lost; use one of: completed,"),
        ("direction=up", "direction: Unknown value up; use one of: credit, debit."),
        ("sort=newest", "sort: Unknown value newest; use one of: asc, desc."),
        ("dateFrom=yesterday", "dateFrom: Enter a date (2026-01-15) or a date-time"),
        ("dateTo=2026-02-30", "dateTo: Enter a date (2026-01-15) or a date-time"),
        ("dateFrom=2026-02-02&dateTo=2026-02-01", "dateFrom: dateFrom is after dateTo."),
    ],
)
def test_bad_filters_are_a_400_naming_the_filter(user_client, query, message):
    errors = assert_error(user_client.get(f"{TRANSACTIONS}?{query}"), 400)
    assert len(errors) == 1
    assert errors[0].startswith(message)


def test_page_and_limit_are_normalised(user_client, user):
    for _ in range(3):
        _adjust(user, "1.00")
    data = assert_success(user_client.get(f"{TRANSACTIONS}?page=0&limit=2"))
    assert (data["pagination"]["currentPage"], len(data["list"])) == (1, 2)
    data = assert_success(user_client.get(f"{TRANSACTIONS}?page=x&limit=500"))
    assert data["pagination"]["itemsPerPage"] == 100


@pytest.mark.parametrize("size", [2, 20])
def test_the_list_runs_a_fixed_number_of_queries(
    user_client, user, size, django_assert_max_num_queries
):
    _adjust(user, "500.00")
    for _ in range(size):
        stream = LiveStreamFactory(paid=True)
        credits.ticket_charge(viewer=user, creator=stream.creator, live_stream=stream, price=D(1))
    # auth (user) + count + page
    with django_assert_max_num_queries(3):
        data = assert_success(user_client.get(f"{TRANSACTIONS}?limit={size}"))
    assert len(data["list"]) == size


# --- GET /credit-packages ------------------------------------------------------------------


def test_packages_list_the_active_ones_fewest_credits_first(user_client, package):
    CreditPackage.objects.create(
        product_id="yayin.credits.old", name="Old", credits=D(5), price=D(1), currency="USD",
        is_active=False,
    )  # fmt: skip
    small = CreditPackage.objects.create(
        product_id="yayin.credits.10", name="10 credits", credits=D("10"), price=D("0.99"),
        currency="USD",
    )  # fmt: skip
    response = user_client.get(PACKAGES)
    data = assert_success(response)
    assert response["X-Total-Count"] == "2"
    assert data == [
        {"_id": small.id, "name": "10 credits", "credits": 10, "price": 0.99, "currency": "USD",
         "productId": "yayin.credits.10"},
        {"_id": package.id, "name": "100 credits", "credits": 100, "price": 4.99,
         "currency": "USD", "productId": "yayin.credits.100"},
    ]  # fmt: skip


def test_packages_need_a_signed_in_caller(api_client, package):
    assert_error(api_client.get(PACKAGES), 401)


# --- POST /credit-packages/purchase -----------------------------------------------------------


def test_a_test_purchase_credits_the_package(user_client, user, package):
    data = assert_success(user_client.post(PURCHASE, {"packageId": package.id}), 201)
    assert data["creditBalance"] == 100
    assert data["transaction"]["type"] == "purchase"
    assert data["transaction"]["description"] == "Credit purchase: 100 credits"
    user.refresh_from_db()
    assert user.credit_balance == D("100.00")
    assert ledger_audit() == []


def test_test_purchases_are_a_404_when_off_for_everyone(
    settings, api_client, user_client, user, package
):
    settings.CREDIT_TEST_PURCHASES = False
    assert_error(api_client.post(PURCHASE, {"packageId": package.id}), 404)
    assert_error(user_client.post(PURCHASE, {"packageId": package.id}), 404)
    user.refresh_from_db()
    assert user.credit_balance == 0
    assert not CreditTransaction.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({}, 400, ["packageId: This field is required."]),
        ({"packageId": 12}, 400, ["packageId: Must be a 24-character hexadecimal id."]),
        ({"packageId": "nope"}, 400, ["packageId: Must be a 24-character hexadecimal id."]),
        ({"packageId": "64d15f9e2e6c8f4d5a123456"}, 404, ["Resource not found"]),
    ],
)
def test_bad_purchases_change_nothing(user_client, user, package, body, status, errors):
    assert_error(user_client.post(PURCHASE, body, format="json"), status, errors)
    user.refresh_from_db()
    assert user.credit_balance == 0
    assert not CreditTransaction.objects.exists()


def test_an_inactive_package_cannot_be_bought(user_client, package):
    CreditPackage.objects.filter(pk=package.pk).update(is_active=False)
    assert_error(user_client.post(PURCHASE, {"packageId": package.id}), 404)
    assert not CreditTransaction.objects.exists()


def test_anonymous_purchase_is_a_401(api_client, package):
    assert_error(api_client.post(PURCHASE, {"packageId": package.id}), 401)


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_a_repeat_with_the_same_key_replays_the_first_answer_and_charges_once(
    user_client, user, package
):
    first = user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert assert_success(again, 201) == assert_success(first, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    user.refresh_from_db()
    assert user.credit_balance == D("100.00")
    assert CreditTransaction.objects.count() == 1
    # Another key is another purchase.
    assert_success(
        user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k-2"), 201
    )
    assert CreditTransaction.objects.count() == 2


def test_the_same_key_with_another_body_is_a_422(user_client, package):
    other = CreditPackage.objects.create(
        product_id="p2", name="Other", credits=D(1), price=D(1), currency="USD"
    )
    user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k")
    assert_error(
        user_client.post(PURCHASE, {"packageId": other.id}, HTTP_IDEMPOTENCY_KEY="k"),
        422,
        ["This Idempotency-Key was used with a different request."],
    )
    assert CreditTransaction.objects.count() == 1


def test_keys_are_per_user(user_client, other_client, user, other_user, package):
    user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k")
    response = other_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k")
    assert_success(response, 201)
    assert "Idempotent-Replayed" not in response
    other_user.refresh_from_db()
    assert other_user.credit_balance == D("100.00")


def test_a_key_still_running_is_a_409(user_client, user, package):
    IdempotencyRecord.objects.create(
        user=user, endpoint="credit-packages-purchase", key="k", request_hash="x" * 64
    )
    response = user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k")
    # The stored hash differs, so the body check answers first; with the same hash it is 409.
    assert_error(response, 422)
    record = IdempotencyRecord.objects.get(key="k")
    from users.credits.idempotency import _request_hash  # the hash the view computes

    class _Request:
        path = PURCHASE
        data = {"package_id": package.id}

    record.request_hash = _request_hash(_Request())
    record.save()
    assert_error(
        user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k"),
        409,
        ["A request with this Idempotency-Key is still in progress."],
    )
    assert not CreditTransaction.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey", "ünicode"])
def test_a_malformed_key_is_a_400(user_client, package, key):
    assert_error(
        user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY=key),
        400,
        ["Idempotency-Key: use 1 to 255 printable characters."],
    )
    assert not CreditTransaction.objects.exists()


def test_a_refused_request_frees_its_key(user_client, user, package):
    assert_error(
        user_client.post(PURCHASE, {"packageId": "64d15f9e2e6c8f4d5a123456"},
                         HTTP_IDEMPOTENCY_KEY="k"),
        404,
    )  # fmt: skip
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_key_charge_once(package):
    from tests.conftest import _client_for

    user = UserFactory()
    clients = [_client_for(user) for _ in range(10)]
    results = run_together(
        *(
            lambda client=client: client.post(
                PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="same"
            )
            for client in clients
        )
    )
    statuses = sorted(response.status_code for response in results)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert CreditTransaction.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    assert user.credit_balance == D("100.00")


@pytest.mark.parametrize(
    ("query", "status", "errors"),
    [
        ("dateTo=9999-12-31", 200, None),
        ("dateFrom=9999-12-31", 200, None),
        ("dateTo=9999-12-31T23:59:59-05:00", 400, ["dateTo: This date is out of range."]),
        ("dateFrom=0001-01-01T00:00:00%2B05:00", 400, ["dateFrom: This date is out of range."]),
        ("dateFrom=0001-01-01", 200, None),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_no_500(user_client, user, query, status, errors):
    _adjust(user, "1.00")
    response = user_client.get(f"{TRANSACTIONS}?{query}")
    if status == 200:
        assert_success(response)
    else:
        assert_error(response, status, errors)


def test_a_claim_abandoned_by_a_dead_request_is_let_go_after_its_lease(user_client, user, package):
    """A worker killed mid-request leaves its claim without an answer (and, the answer being
    written in the money's own transaction, without a charge): after the 90-second lease the
    same key runs again, once."""
    from datetime import timedelta

    from django.utils import timezone

    from users.credits.idempotency import _request_hash

    class _Request:
        path = PURCHASE
        data = {"package_id": package.id}

    record = IdempotencyRecord.objects.create(
        user=user,
        endpoint="credit-packages-purchase",
        key="k",
        request_hash=_request_hash(_Request()),
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(seconds=91)
    )
    response = user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k")
    assert_success(response, 201)
    assert "Idempotent-Replayed" not in response
    user.refresh_from_db()
    assert user.credit_balance == D("100.00")
    again = user_client.post(PURCHASE, {"packageId": package.id}, HTTP_IDEMPOTENCY_KEY="k")
    assert again["Idempotent-Replayed"] == "true"
    assert CreditTransaction.objects.count() == 1
