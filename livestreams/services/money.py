"""The stream side of money (contract section 5): tickets, guest fees, and the settlement of
what a stream holds. Every movement goes through `users.credits.services`; this module only
decides who pays whom and when, inside the transaction of the stream change it belongs to.

Settlement (`settle`) runs in the transaction that moves a locked stream to a final status or
deletes it, so a stream's money settles exactly when, and only if, its status change commits:

- `ended` with the guest having broadcast (they joined with publishing rights: a `guest`
  participant exists) → the contributions and the guest fee are paid out to the guest;
- anything else that ends a stream (`ended` without the guest, `expired`, cancelled by host
  or guest, and soft-deleting a stream that never went live, which can never run now) → every
  held row is refunded to whoever paid it.

Each held row is settled once: the held rows are locked and only `pending` ones move, and the
ledger's constraints allow one payout of each kind per stream and one refund per row.

Whoever receives money hears of it (users.notifications, after the commit): the earner of a
ticket or a replay rental (grouped per stream and hour), the guest paid out, each payer
refunded (one notification per person and kind) except the one whose action refunded them.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from livestreams.models import (
    LiveStream,
    LiveStreamStatus,
    LiveStreamType,
    Participant,
    ParticipantRole,
)
from users.credits import services as credits
from users.credits.models import (
    CENT,
    HELD_TYPES,
    CreditTransaction,
    TransactionStatus,
    TransactionType,
)
from users.models import User
from users.notifications import services as notifications

ZERO = Decimal("0")


# --- What a duo stream costs -----------------------------------------------------------------


def guest_fee_of(*, guest: User | None, duration_goal: int) -> Decimal | None:
    """The guest's minute price times the planned minutes; None when the guest has no
    minute price (such a stream takes no funding and charges no guest fee)."""
    minute_price = guest.minute_price_in_live_stream if guest is not None else ZERO
    if not minute_price or minute_price <= 0:
        return None
    return (minute_price * duration_goal).quantize(CENT)


def guest_fee_hold(*, live_stream: LiveStream, creator: User, fee: Decimal | None) -> None:
    """Charge a duoself creator the guest's fee, held until the stream settles. Refuses with
    PaymentRequired (402) a balance below it. Nothing for another type, or without a fee."""
    if live_stream.live_stream_type != LiveStreamType.DUOSELF or fee is None:
        return
    credits.funds_hold(
        user=creator, live_stream=live_stream, amount=fee, type_=TransactionType.GUEST_FEE
    )


def guest_fee_rehold(*, live_stream: LiveStream) -> None:
    """A restored duoself stream that has not started holds its guest fee again: deleting it
    refunded the fee, and without it the guest would broadcast unpaid. The fee is the one
    charged at creation. Refuses with PaymentRequired (402) a creator balance below it."""
    if live_stream.live_stream_type != LiveStreamType.DUOSELF:
        return
    held = CreditTransaction.objects.filter(live_stream=live_stream, type=TransactionType.GUEST_FEE)
    if held.filter(status=TransactionStatus.PENDING).exists():
        return
    refunded = held.filter(status=TransactionStatus.REFUNDED).order_by("-occurred_at").first()
    if refunded is not None:
        credits.funds_hold(
            user=live_stream.creator,
            live_stream=live_stream,
            amount=refunded.amount,
            type_=TransactionType.GUEST_FEE,
        )


# --- Tickets ---------------------------------------------------------------------------------


def ticket_for(*, live_stream: LiveStream, user: User) -> Decimal:
    """What joining `live_stream` as audience charges `user` now: the price of a paid
    stream once, 0 for a ticket holder or a free stream. Inside the join's transaction, so
    a refused join (or a 402) charges nothing. Refuses with PaymentRequired (402) a balance
    below the price."""
    if not live_stream.is_paid:
        return ZERO
    # The cheap answer for a ticket holder's later joins; `ticket_charge` asks again under
    # the lock on both balances, and the one-ticket constraint has the last word.
    if credits.has_ticket(viewer=user, live_stream=live_stream):
        return ZERO
    charged = credits.ticket_charge(
        viewer=user, creator=live_stream.creator, live_stream=live_stream, price=live_stream.price
    )
    if charged:
        income_notify(live_stream=live_stream, gross=charged)
    return charged


def income_notify(*, live_stream: LiveStream, gross: Decimal) -> None:
    """Tell the creator of their share of `gross` (a ticket or a replay rental just charged,
    in the same transaction): the share `credits` credited them, nothing when it is 0."""
    share, _platform = credits.share_of(gross)
    if share > 0:
        notifications.payment_income(
            live_stream=live_stream, user=live_stream.creator, amount=share
        )


# --- Settlement ------------------------------------------------------------------------------


def _guests_who_broadcast(stream_ids: Iterable[str]) -> dict[str, User]:
    participants = Participant.objects.filter(
        live_stream_id__in=list(stream_ids), role=ParticipantRole.GUEST
    ).select_related("user")
    return {participant.live_stream_id: participant.user for participant in participants}


def _held(stream_ids) -> set[tuple[str, str, str]]:
    """(stream, type, payer) of every held row of these streams not yet settled."""
    return set(
        CreditTransaction.objects.filter(
            live_stream_id__in=list(stream_ids),
            status=TransactionStatus.PENDING,
            type__in=HELD_TYPES,
        ).values_list("live_stream_id", "type", "user_id")
    )


def settle(live_streams: Iterable[LiveStream], *, actor: User | None = None) -> None:
    """Pay out or refund what each stream holds, by its (new) status; see the module text.

    Inside the transaction that changed the streams, with their rows locked. Costs one query
    when nothing is held. Every balance it will touch is locked first, all at once, so
    settling many streams in one transaction keeps the one lock order. `actor` (whoever
    ended, cancelled or deleted the streams) is not told of their own refund.
    """
    streams = {live_stream.pk: live_stream for live_stream in live_streams}
    if streams:
        _settle(streams, _held(streams), actor=actor)


def settle_by_id(stream_ids: Iterable[str]) -> None:
    """`settle` for streams known by id (housekeeping's bulk changes): loads only the
    streams that hold something."""
    held = _held(stream_ids)
    if held:
        ids = {stream_id for stream_id, _type, _user in held}
        _settle({stream.pk: stream for stream in LiveStream.objects.filter(pk__in=ids)}, held)


def _settle(
    streams: dict[str, LiveStream], held: set[tuple[str, str, str]], *, actor: User | None = None
) -> None:
    if not held:
        return
    ended = [
        pk
        for pk in {stream_id for stream_id, _type, _user in held}
        if streams[pk].status == LiveStreamStatus.ENDED
    ]
    recipients = _guests_who_broadcast(ended) if ended else {}
    credits.balances_lock(
        *{user_id for _stream, _type, user_id in held},
        *(recipient.pk for recipient in recipients.values()),
    )
    refunds: dict[str, list[CreditTransaction]] = defaultdict(list)
    for stream_id, type_ in sorted({(stream_id, type_) for stream_id, type_, _user in held}):
        live_stream = streams[stream_id]
        recipient = recipients.get(stream_id)
        if recipient is not None:
            payout = credits.held_funds_pay_out(
                live_stream=live_stream, recipient=recipient, type_=type_
            )
            notifications.contribution_paid_out(live_stream=live_stream, payout=payout)
        else:
            refunds[stream_id] += credits.held_funds_refund(live_stream=live_stream, type_=type_)
    actor_id = actor.pk if actor is not None else None
    for stream_id, rows in refunds.items():
        notifications.contribution_refunded(
            live_stream=streams[stream_id], refunds=[row for row in rows if row.user_id != actor_id]
        )
