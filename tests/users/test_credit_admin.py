"""Money in the admin (contract section 5, "Operators"): credit packages are edited; the
ledger and the RevenueCat events are read-only whoever asks; staff change a balance only
through "Adjust credit balance", which calls the money service and needs its permission."""

import html
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from tests.factories import StaffFactory, UserFactory
from tests.helpers import failures_of, run_together
from tests.livestreams.factories import LiveStreamFactory
from users.credits import revenuecat
from users.credits import services as credits
from users.credits.models import (
    CreditPackage,
    CreditTransaction,
    RevenueCatEvent,
    TransactionStatus,
    TransactionType,
)
from users.credits.selectors import ledger_audit
from users.models import User

pytestmark = pytest.mark.django_db

D = Decimal
SAMPLES = Path(__file__).parent / "revenuecat"
BUYER_ID = "64d15f9e2e6c8f4d5a123456"  # the app_user_id of the sample bodies
LEDGER = "/admin/users/credittransaction/"
EVENTS = "/admin/users/revenuecatevent/"
PACKAGES = "/admin/users/creditpackage/"
USERS = "/admin/users/user/"


def adjust_url(user) -> str:
    return f"/admin/users/user/{user.pk}/adjust-credit-balance/"


def change_url(user) -> str:
    return f"/admin/users/user/{user.pk}/change/"


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def results(response) -> set[str]:
    return {row.pk for row in response.context["cl"].result_list}


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_with(*codenames: str) -> User:
    """A staff member (not a superuser) holding only the permissions named."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return staff


def money_snapshot() -> tuple[list, ...]:
    return (
        list(User.objects.order_by("id").values("id", "credit_balance", "ledger_length")),
        list(CreditTransaction.objects.order_by("id").values()),
        list(RevenueCatEvent.objects.order_by("id").values()),
        list(CreditPackage.objects.order_by("id").values()),
    )


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


@pytest.fixture
def superuser(db):
    return StaffFactory(username="ops")


@pytest.fixture
def admin_client(superuser):
    return client_of(superuser)


@pytest.fixture
def package(db):
    return CreditPackage.objects.create(
        product_id="yayin.credits.100", name="100 credits", credits=D("100"), price=D("4.99"),
        currency="USD",
    )  # fmt: skip


@pytest.fixture
def buyer(db):
    return UserFactory(id=BUYER_ID, username="ayse")


@pytest.fixture
def ledger(superuser, package, buyer):
    """Rows of most kinds, made by the services: a store purchase (through the webhook), a
    ticket and its income, a contribution refunded, a guest fee held, an adjustment."""
    event = revenuecat.revenuecat_event_receive(body=sample("initial_purchase"))
    creator = UserFactory(username="creator")
    concert = LiveStreamFactory(title="Paid concert", creator=creator, paid=True)
    credits.ticket_charge(viewer=buyer, creator=creator, live_stream=concert, price=D("9.99"))
    crowd = LiveStreamFactory(title="Crowd night")
    contribution = credits.funds_hold(
        user=buyer, live_stream=crowd, amount=D("5.00"), type_=TransactionType.FUNDING
    )
    (refund,) = credits.held_funds_refund(live_stream=crowd, type_=TransactionType.FUNDING)
    duo = LiveStreamFactory(title="Duo fee", creator=buyer)
    fee = credits.funds_hold(
        user=buyer, live_stream=duo, amount=D("3.00"), type_=TransactionType.GUEST_FEE
    )
    adjustment = credits.balance_adjust(
        user=buyer, amount=D("1.50"), reason="Goodwill", staff=superuser
    )
    rows = {row.type: row for row in CreditTransaction.objects.all()}
    return {
        **rows,
        "event": event,
        "contribution": contribution,
        "refund": refund,
        "fee": fee,
        "adjustment": adjustment,
        "concert": concert,
    }


# --- Every page opens ------------------------------------------------------------------------


def test_every_money_page_opens_for_a_superuser(admin_client, ledger, buyer, package):
    pages = [
        "/admin/users/",
        PACKAGES,
        f"{PACKAGES}?q=yayin.credits",
        f"{PACKAGES}?is_active__exact=1",
        f"{PACKAGES}add/",
        f"{PACKAGES}{package.pk}/change/",
        LEDGER,
        f"{LEDGER}?type__exact=ticket",
        f"{LEDGER}?direction__exact=debit",
        f"{LEDGER}?status__exact=pending",
        f"{LEDGER}?kind=contributions",
        f"{LEDGER}?q=ayse",
        f"{LEDGER}?user__id__exact={buyer.pk}",
        f"{LEDGER}?live_stream__id__exact={ledger['concert'].pk}",
        f"{LEDGER}?occurred_at__year=2026",
        EVENTS,
        f"{EVENTS}?outcome__exact=credited",
        f"{EVENTS}?event_type__exact=INITIAL_PURCHASE",
        f"{EVENTS}?environment__exact=PRODUCTION",
        f"{EVENTS}?q={ledger['event'].event_id}",
        f"{EVENTS}{ledger['event'].pk}/change/",
        change_url(buyer),
        adjust_url(buyer),
    ]
    pages += [f"{LEDGER}{row.pk}/change/" for row in CreditTransaction.objects.all()]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_the_admin_index_lists_the_money_models(admin_client):
    content = admin_client.get("/admin/").content.decode()

    for url in (PACKAGES, LEDGER, EVENTS):
        assert f'href="{url}"' in content, url


@pytest.mark.parametrize("extra", [3, 30])
def test_the_ledger_changelist_runs_a_fixed_number_of_queries(
    admin_client, superuser, extra, django_assert_num_queries
):
    for _ in range(extra):
        credits.balance_adjust(user=UserFactory(), amount=D("2"), reason="x", staff=superuser)

    # Session, staff user, the count, the page of rows joined to users and streams, and the
    # date hierarchy's two: users and streams come by join, not one query a row.
    with django_assert_num_queries(6):
        response = admin_client.get(LEDGER)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == extra


@pytest.mark.parametrize("extra", [3, 30])
def test_the_event_changelist_runs_a_fixed_number_of_queries(
    admin_client, extra, django_assert_num_queries
):
    for index in range(extra):
        body = sample("test_event")
        body["event"]["id"] = f"test-event-{index}"
        revenuecat.revenuecat_event_receive(body=body)

    # Session, staff user, the count, the page of events joined to users, the event types
    # and the environments for their filters, and the date hierarchy's two.
    with django_assert_num_queries(8):
        response = admin_client.get(EVENTS)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == extra


# --- The ledger -------------------------------------------------------------------------------


def test_the_ledger_lists_every_row_with_its_columns(admin_client, ledger):
    response = admin_client.get(LEDGER)

    assert results(response) == set(CreditTransaction.objects.values_list("pk", flat=True))
    assert list(response.context["cl"].list_display) == [
        "occurred",
        "user",
        "type",
        "direction",
        "amount",
        "balance_after",
        "status",
        "live_stream",
    ]
    content = response.content.decode()
    assert '<td class="field-live_stream nowrap">Paid concert</td>' in content
    assert content.count('<th class="field-occurred"><a href=') == 7
    assert '<td class="field-type">Ticket income</td>' in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "contributions"}, {"contribution", "fee"}),
        ({"kind": "contributions", "status__exact": "pending"}, {"fee"}),
        ({"kind": "contributions", "status__exact": "refunded"}, {"contribution"}),
        ({"type__exact": "funding_refund"}, {"refund"}),
        ({"direction__exact": "credit", "q": "creator"}, {"ticket_income"}),
        ({"q": "Paid concert"}, {"ticket", "ticket_income"}),
        ({"q": "creator"}, {"ticket_income"}),
        ({"q": "2000000812345678"}, {"purchase"}),
    ],
)
def test_the_ledger_filters_and_search_narrow_the_list(admin_client, ledger, query, expected):
    response = admin_client.get(LEDGER, query)

    assert response.status_code == 200
    assert results(response) == {ledger[name].pk for name in expected}


def test_the_ledger_search_finds_exact_ids(admin_client, ledger, buyer):
    by_row = admin_client.get(LEDGER, {"q": ledger["adjustment"].pk})
    by_user = admin_client.get(LEDGER, {"q": buyer.pk})
    by_stream = admin_client.get(LEDGER, {"q": ledger["concert"].pk})

    assert results(by_row) == {ledger["adjustment"].pk}
    assert results(by_user) == set(
        CreditTransaction.objects.filter(user=buyer).values_list("pk", flat=True)
    )
    assert results(by_stream) == {ledger["ticket"].pk, ledger["ticket_income"].pk}


def test_a_row_page_shows_every_field_read_only_with_the_platform_share(admin_client, ledger):
    income = ledger["ticket_income"]

    response = admin_client.get(f"{LEDGER}{income.pk}/change/")

    content = response.content.decode()
    assert response.context["adminform"].form.fields == {}
    assert 'name="_save"' not in content
    assert "deletelink" not in content
    # 80 % of 9.99, rounded down, and the platform's 2.00.
    assert (income.amount, income.gross_amount, income.platform_amount) == (
        D("7.99"),
        D("9.99"),
        D("2.00"),
    )
    assert '<div class="readonly">9.99</div>' in content
    assert '<div class="readonly">2.00</div>' in content
    assert "Platform share (staff only)" in content


def test_a_refunded_contribution_links_to_its_refund(admin_client, ledger):
    contribution, refund = ledger["contribution"], ledger["refund"]

    response = admin_client.get(f"{LEDGER}{contribution.pk}/change/")

    assert f'href="{LEDGER}{refund.pk}/change/"' in response.content.decode()


def test_an_adjustment_page_shows_its_reason_and_who_made_it(admin_client, ledger):
    response = admin_client.get(f"{LEDGER}{ledger['adjustment'].pk}/change/")

    content = response.content.decode()
    assert '<div class="readonly">Goodwill</div>' in content
    assert ">ops</a></div>" in content


# --- Read-only, whoever asks --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ledger", "event"])
def test_ledger_rows_and_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(
    admin_client, ledger, kind
):
    base, row = (LEDGER, ledger["purchase"]) if kind == "ledger" else (EVENTS, ledger["event"])
    before = money_snapshot()

    pages = {
        "add": admin_client.get(f"{base}add/"),
        "forged add": admin_client.post(f"{base}add/", {"amount": "1000", "user": row.pk}),
        "forged change": admin_client.post(
            f"{base}{row.pk}/change/", {"amount": "1000", "outcome": "credited"}
        ),
        "delete": admin_client.get(f"{base}{row.pk}/delete/"),
        "forged delete": admin_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}),
    }
    changelist = admin_client.get(base)
    bulk = admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 403)
    assert changelist.context["action_form"] is None
    assert f'href="{base}add/"' not in changelist.content.decode()
    # No action is offered, so the forged one runs nothing and the list comes back.
    assert bulk.status_code == 200
    assert bulk.context["action_form"] is None
    assert money_snapshot() == before


def test_a_view_only_operator_reads_the_ledger_and_events_and_is_offered_no_action(ledger):
    client = client_of(staff_with("view_credittransaction", "view_revenuecatevent"))

    for base in (LEDGER, EVENTS):
        page = client.get(base)
        assert page.status_code == 200
        assert page.context["action_form"] is None
        assert 'name="action"' not in page.content.decode()
    assert client.get(f"{LEDGER}{ledger['ticket'].pk}/change/").status_code == 200
    assert client.get(PACKAGES).status_code == 403


# --- RevenueCat events -------------------------------------------------------------------------


def test_an_event_page_shows_the_raw_payload_pretty_printed(admin_client, ledger, buyer):
    event = ledger["event"]

    response = admin_client.get(f"{EVENTS}{event.pk}/change/")

    content = response.content.decode()
    pretty = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
    assert f'<pre class="raw-payload">{html.escape(pretty)}</pre>' in content
    assert "&quot;app_user_id&quot;: &quot;64d15f9e2e6c8f4d5a123456&quot;" in content
    assert "Ayşe" in content
    assert f'href="/admin/users/credittransaction/{ledger["purchase"].pk}/change/"' in content


def test_the_event_list_shows_what_processing_made_of_each_event(admin_client, ledger):
    unknown = sample("initial_purchase")
    unknown["event"].update(id="unknown-user-event", app_user_id="someone", aliases=[])
    revenuecat.revenuecat_event_receive(body=unknown)

    flagged = admin_client.get(EVENTS, {"outcome__exact": "unknown_user"})
    by_transaction = admin_client.get(EVENTS, {"q": "2000000812345678"})

    assert [event.event_id for event in flagged.context["cl"].result_list] == ["unknown-user-event"]
    assert len(by_transaction.context["cl"].result_list) == 2
    content = admin_client.get(EVENTS).content.decode()
    assert '<td class="field-outcome">Unknown user</td>' in content
    assert '<td class="field-outcome">Credited</td>' in content


# --- Credit packages ----------------------------------------------------------------------------


def package_form(**changes) -> dict:
    data = {
        "product_id": "yayin.credits.500",
        "name": "500 credits",
        "credits": "500",
        "price": "19.99",
        "currency": "usd",
        "is_active": "on",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_staff_add_a_credit_package(admin_client):
    response = admin_client.post(f"{PACKAGES}add/", package_form())

    assert response.status_code == 302
    assert list(
        CreditPackage.objects.values_list("product_id", "name", "credits", "price", "currency")
    ) == [("yayin.credits.500", "500 credits", D("500.00"), D("19.99"), "USD")]


def test_staff_edit_and_turn_off_a_credit_package(admin_client, package):
    response = admin_client.post(
        f"{PACKAGES}{package.pk}/change/",
        package_form(product_id=package.product_id, credits="120", is_active=None),
    )

    assert response.status_code == 302
    package.refresh_from_db()
    assert (package.credits, package.price, package.is_active) == (D("120"), D("19.99"), False)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"credits": "0"}, "credits", "Enter a number of credits above 0 and at most 1,000,000."),
        (
            {"credits": "1000000.01"},
            "credits",
            "Enter a number of credits above 0 and at most 1,000,000.",
        ),
        ({"credits": "1.234"}, "credits", "Ensure that there are no more than 2 decimal places."),
        ({"price": "-1"}, "price", "Enter a price of 0 or more."),
        ({"currency": "US"}, "currency", "Enter a three-letter currency code, such as USD."),
        ({"currency": "U5D"}, "currency", "Enter a three-letter currency code, such as USD."),
        (
            {"product_id": "yayin.credits.100"},
            "product_id",
            "Credit package with this Product id already exists.",
        ),
    ],
)
def test_a_bad_package_is_refused_by_the_form(admin_client, package, changes, field, message):
    before = money_snapshot()

    response = admin_client.post(f"{PACKAGES}add/", package_form(**changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    assert money_snapshot() == before


def test_a_package_that_was_bought_cannot_be_deleted(admin_client, ledger, package):
    response = admin_client.post(f"{PACKAGES}{package.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    purchase = ledger["purchase"]
    assert response.context["protected"] == [
        f'Credit transaction: <a href="{LEDGER}{purchase.pk}/change/">{purchase}</a>'
    ]
    assert CreditPackage.objects.filter(pk=package.pk).exists()


# --- Adjusting a balance ------------------------------------------------------------------------


def adjust(client, user, amount="25.50", reason="Goodwill for a failed stream", **extra):
    """Open the page as an operator would, then submit it (with what the page carried)."""
    page = client.get(adjust_url(user))
    data = {"amount": amount, "reason": reason, **extra}
    if page.status_code == 200:
        data.setdefault("ledger_length", page.context["form"]["ledger_length"].value())
    return client.post(adjust_url(user), data, follow=True)


def balance_of(user) -> Decimal:
    return User.objects.get(pk=user.pk).credit_balance


def test_the_action_takes_one_selected_user_to_the_adjustment_page(admin_client, user):
    page = admin_client.get(USERS)
    response = admin_client.post(
        USERS, {"action": "adjust_credit_balance", "_selected_action": [user.pk]}
    )

    choices = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert choices == ["", "delete_selected", "adjust_credit_balance"]
    assert response.status_code == 302
    assert response["Location"] == adjust_url(user)


def test_the_action_refuses_several_users_at_once(admin_client, user, other_user):
    before = money_snapshot()

    response = admin_client.post(
        USERS,
        {"action": "adjust_credit_balance", "_selected_action": [user.pk, other_user.pk]},
        follow=True,
    )

    assert response.redirect_chain == [(USERS, 302)]
    assert notices(response) == ["Select exactly one user to adjust a credit balance."]
    assert money_snapshot() == before


def test_the_adjustment_page_asks_an_amount_and_a_reason(admin_client, user, superuser):
    credits.balance_adjust(user=user, amount=D("10"), reason="start", staff=superuser)

    response = admin_client.get(adjust_url(user))

    content = response.content.decode()
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"amount", "reason", "ledger_length"}
    assert 'name="csrfmiddlewaretoken"' in content
    assert '<input type="hidden" name="ledger_length" value="1"' in content
    assert "Current balance: 10.00 credits." in content
    assert f"Adjust the credit balance of {user.username}" in content


def test_the_user_page_links_to_the_adjustment_and_the_ledger(admin_client, user):
    content = admin_client.get(change_url(user)).content.decode()

    assert f'href="{adjust_url(user)}"' in content
    assert f'href="{LEDGER}?user__id__exact={user.pk}"' in content


def test_an_adjustment_adds_credits_through_the_service(admin_client, superuser, user):
    response = adjust(admin_client, user, amount="25.50")

    assert response.redirect_chain == [(change_url(user), 302)]
    assert notices(response) == [
        f"Added 25.50 credits to {user.username}; the balance is now 25.50."
    ]
    assert balance_of(user) == D("25.50")
    row = CreditTransaction.objects.get()
    assert (row.user, row.type, row.direction, row.amount, row.balance_after, row.status) == (
        user,
        TransactionType.ADJUSTMENT,
        "credit",
        D("25.50"),
        D("25.50"),
        TransactionStatus.COMPLETED,
    )
    assert (row.reason, row.created_by) == ("Goodwill for a failed stream", superuser)
    assert ledger_audit() == []


def test_a_negative_adjustment_takes_credits_away(admin_client, superuser, user):
    credits.balance_adjust(user=user, amount=D("30"), reason="start", staff=superuser)

    response = adjust(admin_client, user, amount="-12.25", reason="Chargeback")

    assert notices(response) == [
        f"Took 12.25 credits from {user.username}; the balance is now 17.75."
    ]
    assert balance_of(user) == D("17.75")
    row = CreditTransaction.objects.get(sequence=2, user=user)
    assert (row.direction, row.amount, row.balance_after) == ("debit", D("12.25"), D("17.75"))
    assert ledger_audit() == []


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("0", "Nothing", "Enter an amount other than 0."),
        ("0.00", "Nothing", "Enter an amount other than 0."),
        ("5", "", "Give a reason for the adjustment."),
        ("5", "   ", "Give a reason for the adjustment."),
        ("-10.01", "Too much", "The balance is 10.00; it cannot go below 0."),
    ],
)
def test_the_services_refusal_is_shown_and_nothing_changes(
    admin_client, superuser, user, amount, reason, message
):
    credits.balance_adjust(user=user, amount=D("10"), reason="start", staff=superuser)
    before = money_snapshot()

    response = adjust(admin_client, user, amount=amount, reason=reason)

    assert response.status_code == 200
    assert response.redirect_chain == []
    assert notices(response) == [message]
    assert response.context["form"]["amount"].value() == amount
    assert money_snapshot() == before
    assert ledger_audit() == []


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("", "This field is required."),
        ("ten", "Enter a number."),
        ("1.234", "Ensure that there are no more than 2 decimal places."),
        ("1000000.01", "Ensure this value is less than or equal to 1000000."),
        ("-1000000.01", "Ensure this value is greater than or equal to -1000000."),
        ("NaN", "Enter a number."),
    ],
)
def test_an_amount_that_is_not_one_is_refused_by_the_form(admin_client, user, amount, error):
    before = money_snapshot()

    response = adjust(admin_client, user, amount=amount)

    assert response.status_code == 200
    assert response.context["form"].errors == {"amount": [error]}
    assert notices(response) == []
    assert money_snapshot() == before


def test_submitting_the_same_page_twice_adjusts_once(admin_client, user):
    page = admin_client.get(adjust_url(user))
    data = {"amount": "5", "reason": "Once", "ledger_length": "0"}
    assert page.context["form"]["ledger_length"].value() == 0

    first = admin_client.post(adjust_url(user), data, follow=True)
    second = admin_client.post(adjust_url(user), data, follow=True)

    assert first.redirect_chain == [(change_url(user), 302)]
    assert second.status_code == 200
    assert notices(second) == [
        f"The balance of {user.username} changed while this page was open; it is now 5.00 "
        "credits. Check it and submit again."
    ]
    assert balance_of(user) == D("5.00")
    assert CreditTransaction.objects.count() == 1
    # The page shown again carries the new length: submitting it is a deliberate second one.
    assert second.context["form"]["ledger_length"].value() == "1"


def test_a_post_without_the_ledger_length_changes_nothing(admin_client, user):
    response = admin_client.post(adjust_url(user), {"amount": "5", "reason": "x"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"ledger_length": ["This field is required."]}
    assert CreditTransaction.objects.count() == 0


def test_an_adjustment_without_the_csrf_token_is_refused(superuser, user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)

    response = client.post(adjust_url(user), {"amount": "5", "reason": "x", "ledger_length": "0"})

    assert response.status_code == 403
    assert CreditTransaction.objects.count() == 0
    assert balance_of(user) == 0


def test_an_unknown_user_goes_back_to_the_admin_index(admin_client):
    response = admin_client.get("/admin/users/user/64d15f9e2e6c8f4d5a000000/adjust-credit-balance/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_balance_stays_read_only_on_the_user_form(admin_client, user):
    form = admin_client.get(change_url(user)).context["adminform"].form
    assert "credit_balance" not in form.fields
    assert "ledger_length" not in form.fields


def test_a_user_with_ledger_rows_is_not_deleted_in_the_admin(admin_client, superuser, user):
    credits.balance_adjust(user=user, amount=D("5"), reason="start", staff=superuser)
    before = money_snapshot()

    page = admin_client.post(f"/admin/users/user/{user.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        USERS, {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"}
    )

    # The ledger is append-only: Django's own page names the rows that keep the account.
    assert (page.status_code, bulk.status_code) == (200, 200)
    assert page.context["protected"]
    assert bulk.context["protected"]
    assert money_snapshot() == before


# --- Who may adjust --------------------------------------------------------------------------------


def test_a_view_only_operator_is_offered_no_adjustment_and_cannot_forge_one(user):
    client = client_of(staff_with("view_user"))
    before = money_snapshot()

    changelist = client.get(USERS)
    user_page = client.get(change_url(user))
    forged_action = client.post(
        USERS, {"action": "adjust_credit_balance", "_selected_action": [user.pk]}
    )
    page = client.get(adjust_url(user))
    forged = client.post(adjust_url(user), {"amount": "50", "reason": "x", "ledger_length": "0"})

    assert changelist.context["action_form"] is None
    assert "adjust-credit-balance" not in user_page.content.decode()
    assert forged_action.status_code == 200
    assert (page.status_code, forged.status_code) == (403, 403)
    assert money_snapshot() == before


def test_an_operator_with_only_the_adjust_permission_cannot_open_users(user):
    client = client_of(staff_with("adjust_credit_balance"))

    response = client.post(adjust_url(user), {"amount": "50", "reason": "x", "ledger_length": "0"})

    assert response.status_code == 403
    assert CreditTransaction.objects.count() == 0


def test_an_operator_with_the_adjust_permission_adjusts(user):
    operator = staff_with("view_user", "adjust_credit_balance")
    client = client_of(operator)

    page = client.get(USERS)
    response = adjust(client, user, amount="3", reason="Support ticket 42")

    choices = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert choices == ["", "adjust_credit_balance"]
    assert response.redirect_chain == [(change_url(user), 302)]
    row = CreditTransaction.objects.get()
    assert (row.amount, row.created_by, row.reason) == (D("3.00"), operator, "Support ticket 42")
    assert balance_of(user) == D("3.00")
    assert ledger_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_page_submitted_at_once_from_many_tabs_adjusts_once(superuser, user):
    data = {"amount": "7", "reason": "Once only", "ledger_length": "0"}
    clients = [client_of(superuser) for _ in range(10)]

    answers = run_together(
        *[lambda client=client: client.post(adjust_url(user), data) for client in clients]
    )

    assert failures_of(answers) == []
    assert sorted(answer.status_code for answer in answers) == [200] * 9 + [302]
    assert balance_of(user) == D("7.00")
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert ledger_audit() == []
