"""Every movement of credits goes through this module (contract section 5).

One rule holds each function together: the balances a movement touches are locked first
(`select_for_update()` on the user rows, in primary-key order so two movements between the
same people cannot deadlock), then each change writes one ledger row and moves the balance
with an `F()` update in the same transaction. The database backs every rule a race could
break: balances and `balance_after` never below 0, one ticket per viewer and stream, one
payout of each kind per stream, one refund per row, one credit per store transaction.

Callers (the stream app, the webhook, the admin) run these inside their own
`transaction.atomic()` when the money change must commit or fail with their own writes.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import InvalidInput, PaymentRequired
from users.credits.models import (
    CENT,
    DIRECTION_OF_TYPE,
    PAYOUT_OF_TYPE,
    REFUND_OF_TYPE,
    CreditPackage,
    CreditTransaction,
    Direction,
    TransactionStatus,
    TransactionType,
    format_credits,
)
from users.models import User
from users.notifications import services as notifications

INSUFFICIENT_CREDITS = _(
    "Insufficient credits: this costs %(amount)s credits and your balance is %(balance)s."
)
ADJUSTMENT_ZERO = _("Enter an amount other than 0.")
ADJUSTMENT_REASON_REQUIRED = _("Give a reason for the adjustment.")
ADJUSTMENT_BELOW_ZERO = _("The balance is %(balance)s; it cannot go below 0.")


class AlreadyProcessed(Exception):
    """A store purchase whose transaction id was credited before (a replayed webhook)."""


def share_of(gross: Decimal) -> tuple[Decimal, Decimal]:
    """The earner's `CREATOR_SHARE_PERCENT` of `gross`, rounded down to the cent, and the
    platform's part (the rest)."""
    share = (gross * Decimal(settings.CREATOR_SHARE_PERCENT) / 100).quantize(
        CENT, rounding=ROUND_DOWN
    )
    return share, gross - share


@dataclass
class _Account:
    balance: Decimal
    length: int


class _Ledger:
    """The accounts one movement has locked, and the rows it writes to them."""

    def __init__(self, *user_ids: str):
        ids = sorted({user_id for user_id in user_ids if user_id})
        rows = (
            User.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "credit_balance", "ledger_length")
        )
        self.accounts = {pk: _Account(balance, length) for pk, balance, length in rows}

    def balance(self, user_id: str) -> Decimal:
        return self.accounts[user_id].balance

    def require(self, user_id: str, amount: Decimal) -> None:
        """Refuse with PaymentRequired (402) a balance below `amount`."""
        balance = self.balance(user_id)
        if balance < amount:
            raise PaymentRequired(
                INSUFFICIENT_CREDITS
                % {"amount": format_credits(amount), "balance": format_credits(balance)}
            )

    def post(
        self,
        user_id: str,
        type_: str,
        amount: Decimal,
        *,
        direction: str | None = None,
        status: str = TransactionStatus.COMPLETED,
        **fields,
    ) -> CreditTransaction:
        direction = direction or DIRECTION_OF_TYPE[type_]
        amount = amount.quantize(CENT)
        account = self.accounts[user_id]
        signed = amount if direction == Direction.CREDIT else -amount
        if direction == Direction.DEBIT:
            self.require(user_id, amount)
        User.objects.filter(pk=user_id).update(
            credit_balance=F("credit_balance") + signed, ledger_length=F("ledger_length") + 1
        )
        account.balance += signed
        account.length += 1
        return CreditTransaction.objects.create(
            user_id=user_id,
            sequence=account.length,
            type=type_,
            direction=direction,
            amount=amount,
            balance_after=account.balance,
            status=status,
            **fields,
        )

    def post_earning(self, user_id: str, type_: str, gross: Decimal, **fields):
        """Credit the earner's share of `gross`; nothing when the share rounds to 0."""
        share, platform = share_of(gross)
        if share <= 0:
            return None
        return self.post(
            user_id, type_, share, gross_amount=gross, platform_amount=platform, **fields
        )


def balances_lock(*user_ids: str) -> dict[str, Decimal]:
    """Lock these users' balances for the rest of the caller's transaction, all at once in
    primary-key order; returns each balance.

    For a caller that must check something of its own between the lock and a movement (an
    unexpired replay rental), or that makes several movements in one transaction (a stream's
    settlement refunds contributions and a guest fee): taking every lock up front keeps the
    one lock order, so it cannot deadlock with another movement. The movements lock again,
    which costs nothing once the rows are held.
    """
    ledger = _Ledger(*user_ids)
    return {user_id: account.balance for user_id, account in ledger.accounts.items()}


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValueError(f"credit amounts are positive with at most 2 decimals, not {amount}")
    return amount


# --- Credits in ----------------------------------------------------------------------------


@transaction.atomic
def purchase_credit(
    *, user: User, package: CreditPackage, external_id: str | None = None
) -> CreditTransaction:
    """Credit `package.credits` to `user` (a store purchase, or a test purchase).

    Raises AlreadyProcessed when a purchase with this store `external_id` was credited before.
    """
    try:
        with transaction.atomic():
            ledger = _Ledger(user.pk)
            row = ledger.post(
                user.pk,
                TransactionType.PURCHASE,
                _positive(package.credits),
                package=package,
                external_id=external_id,
            )
            notifications.credits_purchased(user=user, purchase=row)
            return row
    except IntegrityError as error:
        if (
            external_id
            and CreditTransaction.objects.filter(
                type=TransactionType.PURCHASE, external_id=external_id
            ).exists()
        ):
            raise AlreadyProcessed(external_id) from error
        raise


@transaction.atomic
def purchase_refund(*, purchase: CreditTransaction) -> tuple[CreditTransaction | None, Decimal]:
    """Take back a store purchase (a store refund), as far as the balance allows.

    Returns the refund row (None when nothing could be taken back, or the purchase was
    refunded before) and the shortfall the user had already spent.
    """
    ledger = _Ledger(purchase.user_id)
    if CreditTransaction.objects.filter(reverses=purchase).exists():
        return None, Decimal("0")
    taken = min(purchase.amount, ledger.balance(purchase.user_id))
    shortfall = purchase.amount - taken
    if taken <= 0:
        return None, shortfall
    row = ledger.post(
        purchase.user_id,
        TransactionType.PURCHASE_REFUND,
        taken,
        reverses=purchase,
        package_id=purchase.package_id,
        external_id=purchase.external_id,
    )
    notifications.purchase_refunded(refund=row)
    return row, shortfall


# --- Spending on streams ---------------------------------------------------------------------


@transaction.atomic
def ticket_charge(*, viewer: User, creator: User, live_stream, price: Decimal) -> Decimal:
    """Charge `viewer` the ticket of a paid stream once; the creator earns their share.

    Returns what was charged: `price`, or 0 when the viewer already holds a ticket. Refuses
    with PaymentRequired (402) a balance below the price, charging nothing.
    """
    ledger = _Ledger(viewer.pk, creator.pk)
    if CreditTransaction.objects.filter(
        user=viewer, live_stream=live_stream, type=TransactionType.TICKET
    ).exists():
        return Decimal("0")
    ledger.post(viewer.pk, TransactionType.TICKET, _positive(price), live_stream=live_stream)
    ledger.post_earning(creator.pk, TransactionType.TICKET_INCOME, price, live_stream=live_stream)
    return price


def has_ticket(*, viewer: User, live_stream) -> bool:
    return CreditTransaction.objects.filter(
        user=viewer, live_stream=live_stream, type=TransactionType.TICKET
    ).exists()


@transaction.atomic
def replay_rental_charge(
    *, viewer: User, creator: User, live_stream, price: Decimal
) -> CreditTransaction:
    """Charge a replay rental; the creator earns their share. Refuses with PaymentRequired
    (402) a balance below the price."""
    ledger = _Ledger(viewer.pk, creator.pk)
    row = ledger.post(
        viewer.pk, TransactionType.REPLAY_RENTAL, _positive(price), live_stream=live_stream
    )
    ledger.post_earning(creator.pk, TransactionType.REPLAY_INCOME, price, live_stream=live_stream)
    return row


@transaction.atomic
def funds_hold(*, user: User, live_stream, amount: Decimal, type_: str) -> CreditTransaction:
    """Hold `amount` of `user`'s credits for a stream until it settles (a crowdfunding
    contribution or a duoself guest fee): a `pending` debit. Refuses with PaymentRequired
    (402) a balance below `amount`."""
    if type_ not in PAYOUT_OF_TYPE:
        raise ValueError(f"{type_} is not held money")
    ledger = _Ledger(user.pk)
    return ledger.post(
        user.pk,
        type_,
        _positive(amount),
        status=TransactionStatus.PENDING,
        live_stream=live_stream,
    )


def held_total(*, live_stream, type_: str) -> Decimal:
    """What the stream holds or has paid out of `type_` (pending and completed rows)."""
    total = CreditTransaction.objects.filter(
        live_stream=live_stream,
        type=type_,
        status__in=(TransactionStatus.PENDING, TransactionStatus.COMPLETED),
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def _lock_pending(*, live_stream, type_: str) -> list[CreditTransaction]:
    return list(
        CreditTransaction.objects.select_for_update()
        .filter(live_stream=live_stream, type=type_, status=TransactionStatus.PENDING)
        .order_by("occurred_at", "id")
    )


@transaction.atomic
def held_funds_pay_out(*, live_stream, recipient: User, type_: str) -> CreditTransaction | None:
    """Pay the stream's held `type_` money to `recipient` (the guest who broadcast): the held
    rows become `completed` and one payout row credits the recipient's share of their sum.
    Does nothing when nothing is held (or it settled before)."""
    held = _lock_pending(live_stream=live_stream, type_=type_)
    if not held:
        return None
    now = timezone.now()
    CreditTransaction.objects.filter(
        pk__in=[row.pk for row in held], status=TransactionStatus.PENDING
    ).update(status=TransactionStatus.COMPLETED, status_changed_at=now)
    ledger = _Ledger(recipient.pk)
    gross = sum((row.amount for row in held), Decimal("0"))
    return ledger.post_earning(recipient.pk, PAYOUT_OF_TYPE[type_], gross, live_stream=live_stream)


@transaction.atomic
def held_funds_refund(*, live_stream, type_: str) -> list[CreditTransaction]:
    """Give every held `type_` row of the stream back to whoever paid it, once each: the held
    row becomes `refunded` and a refund row names it (a second refund of one row fails on
    the database's unique constraint). Returns the refund rows."""
    held = _lock_pending(live_stream=live_stream, type_=type_)
    if not held:
        return []
    ledger = _Ledger(*(row.user_id for row in held))
    now = timezone.now()
    CreditTransaction.objects.filter(
        pk__in=[row.pk for row in held], status=TransactionStatus.PENDING
    ).update(status=TransactionStatus.REFUNDED, status_changed_at=now)
    return [
        ledger.post(
            row.user_id, REFUND_OF_TYPE[type_], row.amount, reverses=row, live_stream=live_stream
        )
        for row in held
    ]


# --- Staff and account closure -----------------------------------------------------------------


@transaction.atomic
def balance_adjust(*, user: User, amount: Decimal, reason: str, staff: User) -> CreditTransaction:
    """A staff adjustment: `amount` > 0 adds credits, < 0 takes them away, with a reason.

    Refuses with InvalidInput (400) a zero amount, a blank reason, more than 2 decimals, and
    taking away more than the balance.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(ADJUSTMENT_REASON_REQUIRED, field="reason")
    if amount == 0:
        raise InvalidInput(ADJUSTMENT_ZERO, field="amount")
    if amount != amount.quantize(CENT):
        raise InvalidInput(_("Use at most 2 decimals."), field="amount")
    ledger = _Ledger(user.pk)
    if amount < 0 and ledger.balance(user.pk) < -amount:
        raise InvalidInput(
            ADJUSTMENT_BELOW_ZERO % {"balance": format_credits(ledger.balance(user.pk))},
            field="amount",
        )
    return ledger.post(
        user.pk,
        TransactionType.ADJUSTMENT,
        abs(amount),
        direction=Direction.CREDIT if amount > 0 else Direction.DEBIT,
        reason=reason[:500],
        created_by=staff,
    )


@transaction.atomic
def balance_forfeit(*, user: User) -> CreditTransaction | None:
    """Close an account's balance (account deletion): the whole balance is forfeited."""
    ledger = _Ledger(user.pk)
    balance = ledger.balance(user.pk)
    if balance <= 0:
        return None
    return ledger.post(user.pk, TransactionType.ACCOUNT_CLOSURE, balance)
