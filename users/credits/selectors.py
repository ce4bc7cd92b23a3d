"""Reads of the ledger, and the audit that checks every balance against it."""

from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    F,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Lag, Round

from users.credits.models import AMOUNT_DIGITS, CreditTransaction, Direction, format_credits
from users.models import User

_AMOUNT = DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=2)
_ZERO = Value(Decimal("0"), output_field=_AMOUNT)


def _signed_amount(prefix: str = ""):
    """A row's amount with the sign of its direction, as an SQL expression."""
    return Case(
        When(**{f"{prefix}direction": Direction.CREDIT}, then=F(f"{prefix}amount")),
        When(**{f"{prefix}direction": Direction.DEBIT}, then=-F(f"{prefix}amount")),
        output_field=_AMOUNT,
    )


def _cents(expression):
    """An amount as whole cents: SQLite sums decimals as floats (78.01 can come back as
    78.00999...), so amounts are compared as integers on every database."""
    return Cast(Round(expression * 100), BigIntegerField())


def ledger_audit() -> list[str]:
    """Every mismatch between balances and the ledger, as sentences (empty: all is well).

    Two queries: each user's balance equals their credits minus their debits and their row
    count equals `ledger_length`; each row's `balance_after` follows from the row before it
    by `sequence`, which runs 1, 2, 3, ... without gaps.
    """
    problems = []
    users = (
        User.objects.annotate(
            ledger_sum=Coalesce(Sum(_signed_amount("credit_transactions__")), _ZERO),
            rows=Count("credit_transactions"),
        )
        .annotate(balance_cents=_cents(F("credit_balance")), sum_cents=_cents(F("ledger_sum")))
        .filter(~Q(balance_cents=F("sum_cents")) | ~Q(ledger_length=F("rows")))
        .values_list("pk", "credit_balance", "ledger_sum", "ledger_length", "rows")
    )
    for pk, balance, ledger_sum, length, rows in users:
        problems.append(
            f"user {pk}: balance {format_credits(balance)} and {length} rows recorded, "
            f"but the ledger has {rows} rows summing to {format_credits(ledger_sum)}"
        )
    by_user = {"partition_by": [F("user_id")], "order_by": F("sequence").asc()}
    broken = (
        CreditTransaction.objects.annotate(
            previous_balance=Window(Lag("balance_after", default=_ZERO), **by_user),
            previous_sequence=Window(Lag("sequence", default=Value(0)), **by_user),
            signed=_signed_amount(),
        )
        .annotate(
            after_cents=_cents(F("balance_after")),
            expected_cents=_cents(F("previous_balance") + F("signed")),
        )
        .filter(~Q(after_cents=F("expected_cents")) | ~Q(sequence=F("previous_sequence") + 1))
        .values_list("pk", "user_id", "sequence", "balance_after", "previous_balance")
    )
    for pk, user_id, sequence, balance_after, previous in broken:
        problems.append(
            f"user {user_id}: row {pk} (#{sequence}) leaves {format_credits(balance_after)}, "
            f"but the row before left {format_credits(previous)}"
        )
    return problems


def transactions_of(
    *,
    user: User,
    types: list[str],
    statuses: list[str],
    direction: str | None,
    date_from,
    date_to,
    ascending: bool,
):
    """The caller's ledger rows, filtered, by `occurred_at` (served by credit_tx_user_recent)."""
    rows = CreditTransaction.objects.filter(user=user).select_related("live_stream", "package")
    if types:
        rows = rows.filter(type__in=types)
    if statuses:
        rows = rows.filter(status__in=statuses)
    if direction:
        rows = rows.filter(direction=direction)
    if date_from:
        rows = rows.filter(occurred_at__gte=date_from)
    if date_to:
        rows = rows.filter(occurred_at__lte=date_to)
    order = ("occurred_at", "sequence") if ascending else ("-occurred_at", "-sequence")
    return rows.order_by(*order)
