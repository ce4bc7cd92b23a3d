"""Crowdfunding of `duocrowd` streams (contract section 5): the audience pays the guest's fee
together, before the stream goes live. Contributions are held (`funding`, pending) until the
stream settles (money.settle)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, Forbidden, InvalidInput
from livestreams.models import NOT_STARTED_STATUSES, LiveStream
from livestreams.realtime import events
from livestreams.selectors.streams import funding_percentage
from livestreams.services.common import STREAM_IS_OVER, is_guest, lock
from livestreams.services.housekeeping import catch_up
from users.credits import services as credits
from users.credits.models import CENT, TransactionType, format_credits
from users.models import User

CANNOT_FUND_OWN_STREAM = _("The creator and the guest of a live stream cannot fund it.")
TAKES_NO_FUNDING = _("This live stream takes no funding.")
FUNDING_GOAL_REACHED = _("This live stream has already reached its funding goal.")
FUNDING_CLOSED = _("Funding closes when the live stream goes live.")
AMOUNT_NOT_POSITIVE = _("Must be greater than 0.")
AMOUNT_TOO_PRECISE = _("Use at most 2 decimals.")
AMOUNT_OVER_REMAINING = _("At most %(remaining)s credits remain to the funding goal.")


def live_stream_funding_check(
    *, live_stream: LiveStream, user: User, collected: Decimal | None = None
) -> Decimal:
    """What remains to the goal, if `user` may fund `live_stream` now. The refusals before
    the amount, in the contract's order: Forbidden for the creator and the guest; Conflict
    for a stream that takes no funding or has reached its goal (checked first), then for
    one that is no longer `scheduled` or `preparing`.

    Views call it before validating a body (as `require_creator`); the service calls it
    again under the stream's lock.
    """
    if live_stream.creator_id == user.pk or is_guest(live_stream, user):
        raise Forbidden(CANNOT_FUND_OWN_STREAM)
    if not live_stream.takes_funding:
        raise Conflict(TAKES_NO_FUNDING)
    if collected is None:
        collected = credits.held_total(live_stream=live_stream, type_=TransactionType.FUNDING)
    if collected >= live_stream.funding_goal:
        raise Conflict(FUNDING_GOAL_REACHED)
    if live_stream.is_over:
        raise Conflict(STREAM_IS_OVER)
    if live_stream.status not in NOT_STARTED_STATUSES:
        raise Conflict(FUNDING_CLOSED)
    return live_stream.funding_goal - collected


def live_stream_fund(*, live_stream: LiveStream, user: User, amount: Decimal) -> LiveStream:
    """Contribute `amount` credits to a duocrowd stream's funding goal: a held `funding`
    debit, settled with the stream.

    The stream's row is locked for the whole contribution, as a cancel, an end or an expiry
    locks it: a contribution racing one of them either lands before it (and is refunded or
    paid out with the rest) or sees the stream over and is refused, never lost. The lock also
    keeps two contributions from overshooting the goal together.

    Refuses: see `live_stream_funding_check`, then InvalidInput for an amount that is not
    above 0, has more than 2 decimals or is more than remains (the message says how much
    remains), then PaymentRequired (402) for a balance below the amount. A stream that
    housekeeping would expire is expired first (and refused). Nothing is charged when it
    refuses.
    """
    catch_up(live_stream)
    live_stream_funding_check(live_stream=live_stream, user=user)
    with transaction.atomic():
        locked = lock(live_stream)
        remaining = live_stream_funding_check(live_stream=locked, user=user)
        if amount <= 0:
            raise InvalidInput(AMOUNT_NOT_POSITIVE, field="amount")
        if amount != amount.quantize(CENT):
            raise InvalidInput(AMOUNT_TOO_PRECISE, field="amount")
        if amount > remaining:
            raise InvalidInput(
                AMOUNT_OVER_REMAINING % {"remaining": format_credits(remaining)}, field="amount"
            )
        credits.funds_hold(
            user=user, live_stream=locked, amount=amount, type_=TransactionType.FUNDING
        )
        collected = locked.funding_goal - remaining + amount
        events.funding_updated(
            locked.pk,
            collected,
            funding_percentage(collected=collected, goal=locked.funding_goal),
        )
    return locked
