"""POST /api/v1/webhooks/revenuecat (contract section 5, "Credits in"), with bodies of the
shape of RevenueCat's published samples (tests/users/revenuecat/*.json)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory
from tests.helpers import assert_error, assert_success, failures_of, run_together
from users.credits import services as credits
from users.credits.models import CreditPackage, CreditTransaction, RevenueCatEvent
from users.credits.selectors import ledger_audit

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/api/v1/webhooks/revenuecat"
SECRET = "Bearer rc-webhook-secret-0123456789"
SAMPLES = Path(__file__).parent / "revenuecat"
SAMPLE_USER_ID = "64d15f9e2e6c8f4d5a123456"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.REVENUECAT_WEBHOOK_AUTH = SECRET
    settings.REVENUECAT_ALLOW_SANDBOX = False


@pytest.fixture
def package(db):
    return CreditPackage.objects.create(
        product_id="yayin.credits.100", name="100 credits", credits=D("100"), price=D("4.99"),
        currency="USD",
    )  # fmt: skip


@pytest.fixture
def buyer(db):
    return UserFactory(id=SAMPLE_USER_ID)


def sample(name: str, **event_changes) -> dict:
    body = json.loads((SAMPLES / f"{name}.json").read_text())
    body["event"].update(event_changes)
    return body


def deliver(body, authorization: str | None = SECRET, client=None):
    client = client or APIClient()
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def balance_of(user) -> Decimal:
    user.refresh_from_db()
    return user.credit_balance


@pytest.mark.parametrize("name", ["initial_purchase", "non_renewing_purchase"])
def test_a_purchase_credits_the_package_and_stores_the_event_raw(buyer, package, name):
    body = sample(name)
    data = assert_success(deliver(body))
    assert data == {"eventId": body["event"]["id"], "outcome": "credited"}
    assert balance_of(buyer) == D("100.00")
    event = RevenueCatEvent.objects.get()
    assert event.payload == body  # raw: no key of it converted
    assert event.user == buyer
    row = event.credit_transaction
    assert (row.type, row.amount, row.external_id, row.package) == (
        "purchase", D("100.00"), body["event"]["transaction_id"], package,
    )  # fmt: skip
    assert ledger_audit() == []


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer wrong", SECRET + " ", SECRET.lower(), "rc-webhook"]
)
def test_a_wrong_or_missing_authorization_is_a_401_that_stores_nothing(
    buyer, package, authorization
):
    assert_error(
        deliver(sample("initial_purchase"), authorization),
        401,
        ["The webhook authorization is missing or wrong."],
    )
    assert not RevenueCatEvent.objects.exists()
    assert balance_of(buyer) == 0


def test_with_no_secret_configured_every_call_is_refused(settings, buyer, package):
    settings.REVENUECAT_WEBHOOK_AUTH = ""
    assert_error(deliver(sample("initial_purchase"), ""), 401)
    assert not RevenueCatEvent.objects.exists()


def test_a_replayed_event_is_answered_200_and_credits_once(buyer, package):
    body = sample("initial_purchase")
    assert_success(deliver(body))
    data = assert_success(deliver(body))
    assert data["outcome"] == "credited"  # the stored outcome of the first delivery
    assert RevenueCatEvent.objects.count() == 1
    assert balance_of(buyer) == D("100.00")


def test_another_event_for_the_same_store_transaction_credits_once(buyer, package):
    assert_success(deliver(sample("initial_purchase")))
    again = sample("initial_purchase", id="another-event-id-for-the-same-purchase")
    assert assert_success(deliver(again))["outcome"] == "duplicate"
    assert RevenueCatEvent.objects.count() == 2
    assert balance_of(buyer) == D("100.00")
    assert CreditTransaction.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"app_user_id": "65aaaaaaaaaaaaaaaaaaaaaa", "aliases": []}, "unknown_user"),
        ({"app_user_id": "$RCAnonymousID:abc", "aliases": [], "original_app_user_id": ""},
         "unknown_user"),
        ({"product_id": "com.other.app.coins"}, "unknown_product"),
        ({"environment": "SANDBOX"}, "sandbox_ignored"),
        ({"type": "RENEWAL"}, "ignored"),
        ({"type": "CANCELLATION", "cancel_reason": "UNSUBSCRIBE"}, "ignored"),
    ],
)  # fmt: skip
def test_events_that_change_nothing_are_stored_flagged_and_answered_200(
    buyer, package, changes, outcome
):
    assert assert_success(deliver(sample("initial_purchase", **changes)))["outcome"] == outcome
    event = RevenueCatEvent.objects.get()
    assert event.outcome == outcome
    assert event.credit_transaction is None
    assert balance_of(buyer) == 0
    assert not CreditTransaction.objects.exists()


def test_the_user_is_found_by_an_alias(package):
    user = UserFactory()
    body = sample("initial_purchase", app_user_id="$RCAnonymousID:abc", aliases=[user.id])
    assert assert_success(deliver(body))["outcome"] == "credited"
    assert balance_of(user) == D("100.00")


def test_sandbox_purchases_credit_when_allowed(settings, buyer, package):
    settings.REVENUECAT_ALLOW_SANDBOX = True
    assert_success(deliver(sample("initial_purchase", environment="SANDBOX")))
    assert balance_of(buyer) == D("100.00")


def test_a_test_event_is_stored_and_changes_nothing(buyer, package):
    assert assert_success(deliver(sample("test_event")))["outcome"] == "test"
    assert RevenueCatEvent.objects.get().event_type == "TEST"
    assert not CreditTransaction.objects.exists()


def test_a_store_refund_takes_the_credits_back(buyer, package):
    assert_success(deliver(sample("initial_purchase")))
    data = assert_success(deliver(sample("cancellation_customer_support")))
    assert data["outcome"] == "refunded"
    assert balance_of(buyer) == 0
    refund = CreditTransaction.objects.get(type="purchase_refund")
    assert (refund.amount, refund.balance_after, refund.reverses.type) == (
        D("100.00"), D("0.00"), "purchase",
    )  # fmt: skip
    # Delivered again, or as another event for the same purchase: taken back once.
    assert_success(deliver(sample("cancellation_customer_support")))
    again = sample("cancellation_customer_support", id="second-refund-event")
    assert assert_success(deliver(again))["outcome"] == "duplicate"
    assert CreditTransaction.objects.filter(type="purchase_refund").count() == 1
    assert ledger_audit() == []


def test_a_refund_of_spent_credits_takes_what_is_left_and_records_the_shortfall(buyer, package):
    assert_success(deliver(sample("initial_purchase")))
    credits.balance_adjust(user=buyer, amount=D("-70.50"), reason="spent", staff=StaffFactory())
    assert_success(deliver(sample("cancellation_customer_support")))
    assert balance_of(buyer) == 0
    event = RevenueCatEvent.objects.get(event_type="CANCELLATION")
    assert event.shortfall == D("70.50")
    assert event.credit_transaction.amount == D("29.50")
    assert ledger_audit() == []


def test_a_refund_of_a_purchase_never_credited_here_is_flagged(buyer, package):
    data = assert_success(deliver(sample("cancellation_customer_support")))
    assert data["outcome"] == "unknown_purchase"
    assert balance_of(buyer) == 0


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"api_version": "1.0"},
        {"event": "INITIAL_PURCHASE"},
        {"event": {"type": "INITIAL_PURCHASE"}},
        {"event": {"id": "", "type": "INITIAL_PURCHASE"}},
        {"event": {"id": 12, "type": "INITIAL_PURCHASE"}},
    ],
)
def test_a_body_that_is_not_a_webhook_is_a_400_that_stores_nothing(buyer, package, body):
    assert_error(
        deliver(body),
        400,
        ["The body must be a RevenueCat webhook: an object with an event and its id."],
    )
    assert not RevenueCatEvent.objects.exists()


def test_malformed_json_is_a_400(buyer):
    response = APIClient().post(
        URL, "{not json", content_type="application/json", HTTP_AUTHORIZATION=SECRET
    )
    assert_error(response, 400, ["The request body is not valid JSON."])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_event_credit_once(package):
    buyer = UserFactory(id=SAMPLE_USER_ID)
    body = sample("initial_purchase")
    results = run_together(*(lambda: deliver(body) for _ in range(10)))
    assert failures_of(results) == []
    assert [response.status_code for response in results] == [200] * 10
    assert RevenueCatEvent.objects.count() == 1
    assert CreditTransaction.objects.count() == 1
    assert balance_of(buyer) == D("100.00")
    assert ledger_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_events_for_one_store_transaction_credit_once(package):
    buyer = UserFactory(id=SAMPLE_USER_ID)
    bodies = [sample("initial_purchase", id=f"event-{n}") for n in range(10)]
    results = run_together(*(lambda body=body: deliver(body) for body in bodies))
    assert [response.status_code for response in results] == [200] * 10
    outcomes = sorted(response.json()["data"]["outcome"] for response in results)
    assert outcomes == ["credited"] + ["duplicate"] * 9
    assert balance_of(buyer) == D("100.00")
    assert ledger_audit() == []


def test_a_refund_that_took_nothing_back_is_still_the_refund(buyer, package):
    """The user spent everything before the first refund event: it takes 0 and writes no row.
    A second refund event for the same purchase, after new credits came in, takes nothing."""
    assert_success(deliver(sample("initial_purchase")))
    credits.balance_adjust(user=buyer, amount=D("-100"), reason="spent", staff=StaffFactory())
    first = assert_success(deliver(sample("cancellation_customer_support")))
    assert first["outcome"] == "refunded"
    assert RevenueCatEvent.objects.get(event_type="CANCELLATION").shortfall == D("100.00")
    assert_success(deliver(sample("non_renewing_purchase")))  # another 100 credits

    again = sample("cancellation_customer_support", id="a-second-refund-event")
    assert assert_success(deliver(again))["outcome"] == "duplicate"
    assert balance_of(buyer) == D("100.00")
    assert not CreditTransaction.objects.filter(type="purchase_refund").exists()
    assert ledger_audit() == []


def test_a_numeric_transaction_id_is_the_same_purchase(buyer, package):
    assert_success(deliver(sample("initial_purchase", transaction_id=2000000812345678)))
    again = sample(
        "initial_purchase", id="same-purchase-as-a-number", transaction_id="2000000812345678"
    )
    assert assert_success(deliver(again))["outcome"] == "duplicate"
    assert balance_of(buyer) == D("100.00")


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "ev\ud800ent"},  # a lone surrogate: valid JSON, not storable as UTF-8
        {"subscriber_attributes": {"$displayName": {"value": "Ay\u0000şe"}}},
        {"subscriber_attributes": {"key\u0000with-nul": {"value": "\udfff"}}},
    ],
)
def test_characters_no_database_stores_are_made_harmless_and_the_event_kept(
    buyer, package, changes
):
    body = sample("initial_purchase", **changes)
    # json.dumps escapes them as \\ud800 and \\u0000, as a client would send them.
    data = assert_success(deliver(body))
    assert data["outcome"] == "credited"
    event = RevenueCatEvent.objects.get()
    assert "\x00" not in json.dumps(event.payload, ensure_ascii=False)
    assert balance_of(buyer) == D("100.00")


def test_an_event_id_over_255_characters_is_a_400(buyer, package):
    assert_error(deliver(sample("initial_purchase", id="x" * 256)), 400)
    assert not RevenueCatEvent.objects.exists()


def test_a_refund_that_arrives_before_its_purchase_applies_when_the_purchase_comes(buyer, package):
    early = assert_success(deliver(sample("cancellation_customer_support")))
    assert early["outcome"] == "unknown_purchase"
    assert assert_success(deliver(sample("initial_purchase")))["outcome"] == "credited"
    assert balance_of(buyer) == 0
    refund = RevenueCatEvent.objects.get(event_type="CANCELLATION")
    assert refund.outcome == "refunded"
    assert refund.credit_transaction.amount == D("100.00")
    assert ledger_audit() == []


def test_a_refund_without_a_transaction_id_never_takes_a_test_purchase_back(
    settings, buyer, package
):
    credits.purchase_credit(user=buyer, package=package)  # a test purchase: no store id
    body = sample("cancellation_customer_support", transaction_id=None)
    assert assert_success(deliver(body))["outcome"] == "unknown_purchase"
    assert balance_of(buyer) == D("100.00")


def test_a_number_too_large_for_a_float_is_a_400_not_a_500(buyer):
    response = APIClient().post(
        URL,
        '{"event": {"id": "x", "type": "TEST", "price": 1e400}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=SECRET,
    )
    assert_error(response, 400, ["The request body is not valid JSON."])
    assert not RevenueCatEvent.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_its_purchase_always_takes_the_credits_back(package):
    buyer = UserFactory(id=SAMPLE_USER_ID)
    for round_ in range(5):
        purchase = sample("initial_purchase", id=f"p-{round_}", transaction_id=f"t-{round_}")
        refund = sample(
            "cancellation_customer_support", id=f"r-{round_}", transaction_id=f"t-{round_}"
        )
        results = run_together(
            lambda body=purchase: deliver(body), lambda body=refund: deliver(body)
        )
        assert [response.status_code for response in results] == [200, 200]
        assert balance_of(buyer) == 0, round_
    assert ledger_audit() == []
