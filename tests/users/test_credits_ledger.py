"""The money service (users.credits.services): every movement is one ledger row beside the
balance, the database refuses what a race could break, and the audit sees any mismatch."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from config.api.errors import InvalidInput, PaymentRequired
from tests.factories import StaffFactory, UserFactory
from tests.helpers import failures_of, run_together
from tests.livestreams.factories import LiveStreamFactory
from users.credits import services as credits
from users.credits.models import CreditPackage, CreditTransaction, TransactionType
from users.credits.selectors import ledger_audit
from users.models import User

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _share(settings):
    settings.CREATOR_SHARE_PERCENT = 80


@pytest.fixture
def package(db):
    return CreditPackage.objects.create(
        product_id="yayin.credits.100", name="100 credits", credits=D("100"), price=D("4.99"),
        currency="USD",
    )  # fmt: skip


def funded_user(amount: str = "100.00") -> User:
    user = UserFactory()
    staff = StaffFactory()
    credits.balance_adjust(user=user, amount=D(amount), reason="test credit", staff=staff)
    user.refresh_from_db()
    return user


def rows_of(user) -> list[tuple]:
    return list(
        CreditTransaction.objects.filter(user=user)
        .order_by("sequence")
        .values_list("sequence", "type", "direction", "amount", "balance_after", "status")
    )


def test_a_purchase_credits_the_package_and_writes_one_row(package):
    user = UserFactory()
    row = credits.purchase_credit(user=user, package=package, external_id="GPA.1")
    user.refresh_from_db()
    assert user.credit_balance == D("100.00")
    assert user.ledger_length == 1
    assert rows_of(user) == [(1, "purchase", "credit", D("100.00"), D("100.00"), "completed")]
    assert row.package == package
    assert row.external_id == "GPA.1"
    assert ledger_audit() == []


def test_the_same_store_transaction_is_credited_once(package):
    user = UserFactory()
    credits.purchase_credit(user=user, package=package, external_id="GPA.1")
    with pytest.raises(credits.AlreadyProcessed):
        credits.purchase_credit(user=user, package=package, external_id="GPA.1")
    user.refresh_from_db()
    assert user.credit_balance == D("100.00")
    assert CreditTransaction.objects.count() == 1


def test_a_ticket_charges_once_and_the_creator_earns_the_share_rounded_down():
    viewer, creator = funded_user("20.00"), UserFactory()
    stream = LiveStreamFactory(creator=creator, paid=True)
    assert credits.ticket_charge(
        viewer=viewer, creator=creator, live_stream=stream, price=D("9.99")
    ) == D("9.99")
    assert credits.ticket_charge(
        viewer=viewer, creator=creator, live_stream=stream, price=D("9.99")
    ) == D("0")
    viewer.refresh_from_db()
    creator.refresh_from_db()
    assert viewer.credit_balance == D("10.01")
    # 80 % of 9.99 is 7.992: the creator gets 7.99, the platform the 2.00 left.
    assert creator.credit_balance == D("7.99")
    income = CreditTransaction.objects.get(user=creator)
    assert (income.type, income.gross_amount, income.platform_amount) == (
        "ticket_income", D("9.99"), D("2.00"),
    )  # fmt: skip
    assert ledger_audit() == []


def test_a_short_balance_is_a_402_that_says_price_and_balance_and_changes_nothing():
    viewer, creator = funded_user("5.00"), UserFactory()
    stream = LiveStreamFactory(creator=creator, paid=True)
    with pytest.raises(PaymentRequired) as refused:
        credits.ticket_charge(viewer=viewer, creator=creator, live_stream=stream, price=D("9.99"))
    assert str(refused.value) == (
        "Insufficient credits: this costs 9.99 credits and your balance is 5.00."
    )
    viewer.refresh_from_db()
    creator.refresh_from_db()
    assert (viewer.credit_balance, creator.credit_balance) == (D("5.00"), D("0"))
    assert rows_of(viewer) == [(1, "adjustment", "credit", D("5.00"), D("5.00"), "completed")]
    assert not CreditTransaction.objects.filter(user=creator).exists()


def test_held_money_is_refunded_once_each_and_never_paid_out_after():
    first, second, guest = funded_user("50.00"), funded_user("50.00"), UserFactory()
    stream = LiveStreamFactory(live_stream_type="duocrowd")
    for user, amount in ((first, "10.00"), (second, "15.50"), (first, "4.50")):
        credits.funds_hold(user=user, live_stream=stream, amount=D(amount), type_="funding")
    assert credits.held_total(live_stream=stream, type_="funding") == D("30.00")

    refunds = credits.held_funds_refund(live_stream=stream, type_="funding")
    assert len(refunds) == 3
    assert credits.held_funds_refund(live_stream=stream, type_="funding") == []
    assert credits.held_funds_pay_out(live_stream=stream, recipient=guest, type_="funding") is None
    first.refresh_from_db()
    second.refresh_from_db()
    guest.refresh_from_db()
    assert (first.credit_balance, second.credit_balance, guest.credit_balance) == (
        D("50.00"), D("50.00"), D("0"),
    )  # fmt: skip
    assert set(
        CreditTransaction.objects.filter(type="funding").values_list("status", flat=True)
    ) == {"refunded"}
    assert credits.held_total(live_stream=stream, type_="funding") == D("0")
    assert ledger_audit() == []


def test_the_database_refuses_a_second_refund_of_one_row():
    user = funded_user("20.00")
    stream = LiveStreamFactory(live_stream_type="duocrowd")
    held = credits.funds_hold(user=user, live_stream=stream, amount=D("5"), type_="funding")
    credits.held_funds_refund(live_stream=stream, type_="funding")
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(
            user=user, sequence=99, type="funding_refund", direction="credit", amount=D("5"),
            balance_after=D("25"), reverses=held, live_stream=stream,
        )  # fmt: skip


def test_held_money_is_paid_out_once_to_the_guest_as_one_row():
    first, second, guest = funded_user("50.00"), funded_user("50.00"), UserFactory()
    stream = LiveStreamFactory(live_stream_type="duocrowd")
    credits.funds_hold(user=first, live_stream=stream, amount=D("10.00"), type_="funding")
    credits.funds_hold(user=second, live_stream=stream, amount=D("2.49"), type_="funding")

    payout = credits.held_funds_pay_out(live_stream=stream, recipient=guest, type_="funding")
    assert credits.held_funds_pay_out(live_stream=stream, recipient=guest, type_="funding") is None
    assert credits.held_funds_refund(live_stream=stream, type_="funding") == []
    guest.refresh_from_db()
    # 80 % of 12.49 is 9.992.
    assert guest.credit_balance == D("9.99")
    assert (payout.type, payout.gross_amount, payout.platform_amount) == (
        "funding_payout", D("12.49"), D("2.50"),
    )  # fmt: skip
    assert set(
        CreditTransaction.objects.filter(type="funding").values_list("status", flat=True)
    ) == {"completed"}
    assert ledger_audit() == []


def test_a_staff_adjustment_needs_a_reason_and_never_takes_the_balance_below_zero():
    user, staff = UserFactory(), StaffFactory()
    with pytest.raises(InvalidInput):
        credits.balance_adjust(user=user, amount=D("5"), reason="  ", staff=staff)
    with pytest.raises(InvalidInput):
        credits.balance_adjust(user=user, amount=D("0"), reason="why", staff=staff)
    with pytest.raises(InvalidInput):
        credits.balance_adjust(user=user, amount=D("-0.01"), reason="why", staff=staff)
    assert not CreditTransaction.objects.exists()
    credits.balance_adjust(user=user, amount=D("5"), reason="goodwill", staff=staff)
    row = credits.balance_adjust(user=user, amount=D("-2.50"), reason="correction", staff=staff)
    assert (row.direction, row.amount, row.balance_after, row.created_by) == (
        "debit", D("2.50"), D("2.50"), staff,
    )  # fmt: skip


def test_the_audit_names_a_balance_or_a_row_that_does_not_follow():
    user = funded_user("10.00")
    credits.balance_adjust(user=user, amount=D("5"), reason="more", staff=StaffFactory())
    assert ledger_audit() == []
    User.objects.filter(pk=user.pk).update(credit_balance=D("99"))
    CreditTransaction.objects.filter(user=user, sequence=2).update(balance_after=D("16.00"))
    problems = ledger_audit()
    assert len(problems) == 2
    assert problems[0].startswith(f"user {user.pk}: balance 99.00")
    assert "(#2) leaves 16.00, but the row before left 10.00" in problems[1]
    with pytest.raises(SystemExit) as exited:
        call_command("credits_audit")
    assert exited.value.code == 1


def test_the_audit_command_passes_on_a_clean_ledger(capsys):
    funded_user("10.00")
    call_command("credits_audit")
    assert "every balance matches the ledger" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("spend", ["ticket", "rental", "funding"])
def test_fifty_concurrent_spends_of_a_balance_that_covers_one_charge_once(spend):
    assert connection.vendor == "postgresql"
    viewer, creator = funded_user("10.00"), UserFactory()
    streams = [LiveStreamFactory(creator=creator, paid=True) for _ in range(50)]

    def spend_on(stream):
        if spend == "ticket":
            return credits.ticket_charge(
                viewer=viewer, creator=creator, live_stream=stream, price=D("10")
            )
        if spend == "rental":
            return credits.replay_rental_charge(
                viewer=viewer, creator=creator, live_stream=stream, price=D("10")
            )
        return credits.funds_hold(user=viewer, live_stream=stream, amount=D("10"), type_="funding")

    results = run_together(*(lambda stream=stream: spend_on(stream) for stream in streams))
    failures = failures_of(results)
    assert len(failures) == 49
    assert all(isinstance(failure, PaymentRequired) for failure in failures)
    viewer.refresh_from_db()
    assert viewer.credit_balance == D("0")
    spent = {"ticket": "ticket", "rental": "replay_rental", "funding": "funding"}[spend]
    assert CreditTransaction.objects.filter(user=viewer, type=spent).count() == 1
    assert ledger_audit() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tickets_of_one_stream_charge_once():
    viewer, creator = funded_user("100.00"), UserFactory()
    stream = LiveStreamFactory(creator=creator, paid=True)
    results = run_together(
        *(
            lambda: credits.ticket_charge(
                viewer=viewer, creator=creator, live_stream=stream, price=D("9.99")
            )
            for _ in range(10)
        )
    )
    assert failures_of(results) == []
    assert sorted(results) == [D("0")] * 9 + [D("9.99")]
    assert CreditTransaction.objects.filter(type=TransactionType.TICKET).count() == 1
    assert ledger_audit() == []


def test_the_audit_compares_cents_not_floats():
    # 40 + 40 - 1.99: SQLite sums these as floats (78.00999...); the audit must not see a
    # mismatch where there is none.
    viewer, creator = funded_user("40.00"), UserFactory()
    credits.balance_adjust(user=viewer, amount=D("40.00"), reason="more", staff=StaffFactory())
    stream = LiveStreamFactory(creator=creator, paid=True)
    credits.ticket_charge(viewer=viewer, creator=creator, live_stream=stream, price=D("1.99"))
    viewer.refresh_from_db()
    assert viewer.credit_balance == D("78.01")
    assert ledger_audit() == []
