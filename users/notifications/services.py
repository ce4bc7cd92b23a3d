"""Every notification is made here (contract section 10).

Each event creates its notification once per recipient, never for the person who acted,
written in the recipient's language (`User.language`, the last `X-Language` they sent), then
pushed to their devices by a task after the commit:

- `notify` (one recipient) and `notify_many` (bulk, for a fan-out) insert with
  `ignore_conflicts`: the `(user, key)` unique constraint keeps a second insert of one event
  out, so a retried task or a repeated call changes nothing.
- The triggers below are what the rest of the code calls, inside the transaction that made
  the event; they do the little a request may do (one insert, or one task enqueued).
  Audiences of any size (a creator's followers, a stream's reminders, everyone) are written
  by `tasks.fan_out` in batches of `NOTIFICATION_FAN_OUT_BATCH`, so a creator with 100,000
  followers going live costs the request one task message.

`users` never imports `livestreams`: a stream reaches these functions as an object (its id,
title and creator are read from it) and its audiences are read through the users' own
reverse relations (reminders, guest invitations).

Dedupe keys (one notification per recipient and key): `follow:<followerId>` (once per
follower, even after an unfollow and a new follow: a follow toggled ten times is not ten
notifications), `purchase:<transactionId>`, `purchase_refund:<transactionId>`,
`live:<streamId>` (one "went live" per person, whether they are a guest, hold a reminder or
follow the creator: the first that applies wins, in that order), `guest_invited:<streamId>`,
`cancelled:<streamId>`, `income:<streamId>:<yyyymmddhh>` (UTC),
`refund:<streamId>:<type>`, `payout:<transactionId>`, `announcement:<id>`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from config.api.ids import new_object_id
from config.tasks import enqueue
from users.credits.models import CreditTransaction, TransactionType, format_credits
from users.models import Follow, User
from users.notifications import tasks
from users.notifications.models import (
    MESSAGE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    DeviceToken,
    Notification,
    NotificationCategory,
    NotificationType,
)

Category = NotificationCategory


@dataclass(frozen=True)
class Text:
    """A notification's title and message, translated when written (`%(name)s` params)."""

    title: str
    message: str


# Every text a trigger writes, by a name a task can carry.
TEXTS = {
    "followed": Text(_("New follower"), _("%(name)s started following you.")),
    "credits_bought": Text(_("Credits added"), _("%(amount)s credits were added to your balance.")),
    "credits_refunded": Text(
        _("Purchase refunded"),
        _("Your store refund took back %(amount)s credits from your balance."),
    ),
    "guest_invited": Text(
        _("You are invited as a guest"),
        _("%(creator)s invited you as a guest to “%(title)s”."),
    ),
    "guest_stream_cancelled": Text(
        _("A stream was cancelled"),
        _("“%(title)s” by %(creator)s, where you were invited as a guest, was cancelled."),
    ),
    "own_stream_cancelled": Text(_("Your stream was cancelled"), _("“%(title)s” was cancelled.")),
    "guest_stream_live": Text(
        _("Your guest stream is live"),
        _("%(creator)s started “%(title)s”. Join as their guest."),
    ),
    "reminder_stream_live": Text(_("Live now"), _("“%(title)s” by %(creator)s has started.")),
    "following_stream_live": Text(
        _("%(creator)s is live"), _("“%(title)s” has started. Tap to watch.")
    ),
    "income": Text(_("Income from your stream"), _("“%(title)s” earned you %(amount)s credits.")),
    "funding_refunded": Text(
        _("Contribution refunded"),
        _("Your contribution of %(amount)s credits to “%(title)s” was refunded."),
    ),
    "guest_fee_refunded": Text(
        _("Guest fee refunded"),
        _("Your guest fee of %(amount)s credits for “%(title)s” was refunded."),
    ),
    "funding_paid_out": Text(
        _("Crowdfunding paid out"),
        _("You received %(amount)s credits from the crowdfunding of “%(title)s”."),
    ),
    "guest_fee_paid_out": Text(
        _("Guest fee paid out"),
        _("You received %(amount)s credits in guest fees for “%(title)s”."),
    ),
}
_REFUND_TEXT = {
    TransactionType.FUNDING_REFUND: "funding_refunded",
    TransactionType.GUEST_FEE_REFUND: "guest_fee_refunded",
}
_PAYOUT_TEXT = {
    TransactionType.FUNDING_PAYOUT: "funding_paid_out",
    TransactionType.GUEST_FEE_PAYOUT: "guest_fee_paid_out",
}


def display_name(user: User) -> str:
    return f"{user.name} {user.surname}".strip() or user.username


def _credits_number(amount) -> float:
    """An amount for `metadata` (JSON): a number with at most 2 decimals, as on the wire."""
    return float(format_credits(amount))


def _render(template, params: dict | None, language: str, limit: int) -> str:
    """`template` (a lazy translation or plain text) in `language`, with its params; plain
    text without params is taken as it is (a `%` in staff's text stays a `%`)."""
    with translation.override(language):
        text = str(template)
        if params is not None:
            text = text % params
    return text[:limit]


def _rendered(title, message, params, language: str) -> tuple[str, str]:
    return (
        _render(title, params, language, TITLE_MAX_LENGTH),
        _render(message, params, language, MESSAGE_MAX_LENGTH),
    )


def _push_later(*, key: str, user_ids: list[str]) -> None:
    if user_ids:
        enqueue(tasks.push, key=key, user_ids=user_ids)


# --- Writing ---------------------------------------------------------------------------------


def notify(
    *,
    recipient: User,
    category: str,
    title,
    message,
    params: dict | None = None,
    metadata: dict | None = None,
    actor: User | None = None,
    key: str,
) -> None:
    """Tell `recipient` about the event `key`: one insert, and a push after the commit.

    Nothing for the actor themself, and nothing the second time for one key (the row is
    kept out by the unique constraint, and the push task finds nothing new to push).
    `title` and `message` are lazy translations (or plain text) written in the recipient's
    language.
    """
    if actor is not None and actor.pk == recipient.pk:
        return
    notify_many(
        recipients=[(recipient.pk, recipient.language)],
        category=category,
        title=title,
        message=message,
        params=params,
        metadata=metadata,
        key=key,
    )


def notify_many(
    *,
    recipients: Iterable[tuple[str, str]],
    category: str,
    title,
    message,
    params: dict | None = None,
    metadata: dict | None = None,
    key: str,
) -> list[str]:
    """Tell each `(user_id, language)` of `recipients` about the event `key`, in bulk: each
    language rendered once, one insert per database batch (`bulk_create` with
    `ignore_conflicts`: a recipient who has the key already is skipped). Pushed after the
    commit. Returns the recipients' ids. The caller leaves out the actor."""
    recipients = list(recipients)
    if not recipients:
        return []
    texts = {}
    now = timezone.now()
    rows = []
    for user_id, language in recipients:
        if language not in texts:
            texts[language] = _rendered(title, message, params, language)
        rows.append(
            Notification(
                user_id=user_id,
                category=category,
                title=texts[language][0],
                message=texts[language][1],
                metadata=metadata or {},
                key=key,
                created_at=now,
                updated_at=now,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    user_ids = [user_id for user_id, _language in recipients]
    _push_later(key=key, user_ids=user_ids)
    return user_ids


# --- Fan-out (run by tasks.fan_out, batch after batch) -----------------------------------------

FOLLOWERS = "followers"
REMINDERS = "reminders"
GUESTS = "guests"
ONE_USER = "user"
EVERYONE = "everyone"


def _audience(audience: str, of: str | None):
    """The queryset of an audience, its user-id column and its language column."""
    if audience == FOLLOWERS:
        return (
            Follow.objects.filter(followee_id=of, follower__is_active=True),
            "follower_id",
            "follower__language",
        )
    users = User.objects.filter(is_active=True)
    if audience == EVERYONE:
        return users.filter(is_staff=False), "pk", "language"
    if audience == REMINDERS:
        users = users.filter(live_stream_reminders__live_stream_id=of)
    elif audience == GUESTS:
        users = users.filter(live_stream_invitations__live_stream_id=of)
    elif audience == ONE_USER:
        users = users.filter(pk=of)
    else:
        raise ValueError(f"unknown audience {audience!r}")
    return users, "pk", "language"


@dataclass
class FanOutBatch:
    written: int  # recipients in this batch (a recipient who had the key counts too)
    next: tuple[int, str] | None  # (stage, after) of the next batch, None when done


def fan_out_batch(*, spec: dict, stage: int = 0, after: str = "", size: int | None = None):
    """Write one batch of a fan-out: the next `size` recipients of `spec["stages"][stage]`
    whose id is above `after`, in id order. Two queries (recipients, insert; more inserts
    only where the database caps a statement's parameters), whatever the audience's size.

    `spec` (JSON, as a task carries it): `key`, `actor_id` (left out of every audience),
    `params`, `metadata`, and `stages`: `[{"audience", "of", "category", "text"}]` where
    `text` names one of `TEXTS`, or `"title"`/`"message"` give staff's own text. The stages
    run in order and share the key, so someone in two audiences hears it once, from the first.
    """
    size = size or settings.NOTIFICATION_FAN_OUT_BATCH
    step = spec["stages"][stage]
    queryset, id_column, language_column = _audience(step["audience"], step.get("of"))
    if after:
        queryset = queryset.filter(**{f"{id_column}__gt": after})
    if spec.get("actor_id"):
        queryset = queryset.exclude(**{id_column: spec["actor_id"]})
    recipients = list(queryset.order_by(id_column).values_list(id_column, language_column)[:size])
    if "text" in step:
        text = TEXTS[step["text"]]
        title, message, params = text.title, text.message, spec.get("params") or {}
    else:
        title, message, params = step["title"], step["message"], None
    notify_many(
        recipients=recipients,
        category=step["category"],
        title=title,
        message=message,
        params=params,
        metadata=spec.get("metadata"),
        key=spec["key"],
    )
    if len(recipients) == size:
        following = (stage, recipients[-1][0])
    elif stage + 1 < len(spec["stages"]):
        following = (stage + 1, "")
    else:
        following = None
    return FanOutBatch(written=len(recipients), next=following)


def _fan_out_later(spec: dict) -> None:
    enqueue(tasks.fan_out, spec=spec)


def notify_followers(
    *, creator: User, category: str, text: str, key: str, params=None, metadata=None
) -> None:
    """Tell every follower of `creator` (in batches, in tasks, after the commit)."""
    _fan_out_later(
        {
            "key": key,
            "actor_id": creator.pk,
            "params": params,
            "metadata": metadata,
            "stages": [
                {"audience": FOLLOWERS, "of": creator.pk, "category": category, "text": text}
            ],
        }
    )


# --- Triggers: users and money ---------------------------------------------------------------


def follow_created(*, follower: User, followee: User) -> None:
    """`follows`: someone followed you (once per follower, ever: see the module docstring)."""
    text = TEXTS["followed"]
    notify(
        recipient=followee,
        category=Category.FOLLOWS,
        title=text.title,
        message=text.message,
        params={"name": display_name(follower)},
        metadata={"follower_id": follower.pk, "follower_username": follower.username},
        actor=follower,
        key=f"follow:{follower.pk}",
    )


def _money(
    *, recipient: User, text: str, row: CreditTransaction, key: str, live_stream=None
) -> None:
    params = {"amount": format_credits(row.amount)}
    metadata = {"transaction_id": row.pk, "amount": _credits_number(row.amount)}
    if live_stream is not None:
        params["title"] = live_stream.title
        metadata["live_stream_id"] = live_stream.pk
    notify(
        recipient=recipient,
        category=Category.PAYMENTS,
        title=TEXTS[text].title,
        message=TEXTS[text].message,
        params=params,
        metadata=metadata,
        key=key,
    )


def credits_purchased(*, user: User, purchase: CreditTransaction) -> None:
    """`payments`: credits bought (a store or test purchase)."""
    _money(recipient=user, text="credits_bought", row=purchase, key=f"purchase:{purchase.pk}")


def purchase_refunded(*, refund: CreditTransaction) -> None:
    """`payments`: a store refund took credits back."""
    _money(
        recipient=refund.user,
        text="credits_refunded",
        row=refund,
        key=f"purchase_refund:{refund.pk}",
    )


def payment_income(*, live_stream, user: User, amount: Decimal) -> None:
    """`payments`: ticket or replay income of `user` (the earner) from `live_stream`, at most
    one notification per stream and UTC hour: a later income of the same hour adds its
    amount to that notification (unread again, not pushed again).

    Call it in the transaction that credits the income, once per income row; the earner's
    row is locked here, so two incomes of one hour never lose an amount.
    """
    now = timezone.now()
    key = f"income:{live_stream.pk}:{now:%Y%m%d%H}"
    with transaction.atomic():
        language = (
            User.objects.select_for_update().values_list("language", flat=True).get(pk=user.pk)
        )
        existing = Notification.objects.filter(user_id=user.pk, key=key).first()
        if existing is None:
            text = TEXTS["income"]
            notify_many(
                recipients=[(user.pk, language)],
                category=Category.PAYMENTS,
                title=text.title,
                message=text.message,
                params={"title": live_stream.title, "amount": format_credits(amount)},
                metadata={"live_stream_id": live_stream.pk, "amount": _credits_number(amount)},
                key=key,
            )
            return
        total = Decimal(str(existing.metadata.get("amount", 0))) + amount
        message = _render(
            TEXTS["income"].message,
            {"title": live_stream.title, "amount": format_credits(total)},
            language,
            MESSAGE_MAX_LENGTH,
        )
        Notification.objects.filter(pk=existing.pk).update(
            message=message,
            metadata={**existing.metadata, "amount": _credits_number(total)},
            read=False,
            updated_at=now,
        )


def contribution_refunded(*, live_stream, refunds: Iterable[CreditTransaction]) -> None:
    """`payments`: crowdfunding contributions or guest fees given back (the rows
    `credits.held_funds_refund` returns): one notification per person and kind, with the
    sum of their rows. Two queries for any number of people."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in refunds:
        if row.type in _REFUND_TEXT:
            totals[(row.user_id, row.type)] += row.amount
    if not totals:
        return
    languages = dict(
        User.objects.filter(pk__in={user_id for user_id, _type in totals}).values_list(
            "pk", "language"
        )
    )
    now = timezone.now()
    rows = []
    for (user_id, type_), amount in totals.items():
        text = TEXTS[_REFUND_TEXT[type_]]
        title, message = _rendered(
            text.title,
            text.message,
            {"title": live_stream.title, "amount": format_credits(amount)},
            languages.get(user_id, settings.LANGUAGE_CODE),
        )
        rows.append(
            Notification(
                user_id=user_id,
                category=Category.PAYMENTS,
                title=title,
                message=message,
                metadata={"live_stream_id": live_stream.pk, "amount": _credits_number(amount)},
                key=f"refund:{live_stream.pk}:{type_}",
                created_at=now,
                updated_at=now,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    for type_ in {type_ for _user_id, type_ in totals}:
        _push_later(
            key=f"refund:{live_stream.pk}:{type_}",
            user_ids=[user_id for user_id, kind in totals if kind == type_],
        )


def contribution_paid_out(*, live_stream, payout: CreditTransaction | None) -> None:
    """`payments`: held contributions or guest fees paid to their recipient (the row
    `credits.held_funds_pay_out` returns; nothing for None)."""
    if payout is None or payout.type not in _PAYOUT_TEXT:
        return
    _money(
        recipient=payout.user,
        text=_PAYOUT_TEXT[payout.type],
        row=payout,
        key=f"payout:{payout.pk}",
        live_stream=live_stream,
    )


# --- Triggers: live streams (called by livestreams, wired by its services) -------------------


def _stream_spec(live_stream, *, key: str, actor_id: str | None, stages: list) -> dict:
    creator = live_stream.creator
    return {
        "key": key,
        "actor_id": actor_id,
        "params": {"title": live_stream.title, "creator": display_name(creator)},
        "metadata": {"live_stream_id": live_stream.pk, "creator_id": creator.pk},
        "stages": [
            {"audience": audience, "of": of, "category": category, "text": text}
            for audience, of, category, text in stages
        ],
    }


def stream_went_live(live_stream) -> None:
    """`live_stream` to its invited guests and to whoever set a reminder for it, then
    `following_activity` to the creator's followers; each person hears it once. One task
    enqueued: the fan-out runs in batches after the commit."""
    stream_id, creator_id = live_stream.pk, live_stream.creator_id
    _fan_out_later(
        _stream_spec(
            live_stream,
            key=f"live:{stream_id}",
            actor_id=creator_id,
            stages=[
                (GUESTS, stream_id, Category.LIVE_STREAM, "guest_stream_live"),
                (REMINDERS, stream_id, Category.LIVE_STREAM, "reminder_stream_live"),
                (FOLLOWERS, creator_id, Category.FOLLOWING_ACTIVITY, "following_stream_live"),
            ],
        )
    )


def guest_invited(live_stream) -> None:
    """`live_stream`: each invited guest of a new stream (a guest invited later, by a second
    call, hears it too; the others not again)."""
    _fan_out_later(
        _stream_spec(
            live_stream,
            key=f"guest_invited:{live_stream.pk}",
            actor_id=live_stream.creator_id,
            stages=[(GUESTS, live_stream.pk, Category.LIVE_STREAM, "guest_invited")],
        )
    )


def stream_cancelled(live_stream, *, actor: User | None = None) -> None:
    """`live_stream`: the invited guests of a cancelled stream, and its creator when someone
    else cancelled it (a guest, or an operator: `actor=None`); never the one who cancelled
    (the creator by default)."""
    actor_id = actor.pk if actor is not None else None
    stages = [(GUESTS, live_stream.pk, Category.LIVE_STREAM, "guest_stream_cancelled")]
    if actor_id != live_stream.creator_id:
        stages.append(
            (ONE_USER, live_stream.creator_id, Category.LIVE_STREAM, "own_stream_cancelled")
        )
    _fan_out_later(
        _stream_spec(
            live_stream, key=f"cancelled:{live_stream.pk}", actor_id=actor_id, stages=stages
        )
    )


# --- Announcements (staff) -------------------------------------------------------------------


def announcement_create(
    *,
    recipient: User,
    title: str,
    message: str,
    category: str = Category.ANNOUNCEMENT,
    type_: str = NotificationType.SYSTEM,
    metadata: dict | None = None,
) -> Notification:
    """Staff's notification to one user, as written (no translation), pushed after the
    commit (POST /notifications)."""
    notification = Notification.objects.create(
        user=recipient,
        type=type_,
        category=category,
        title=title[:TITLE_MAX_LENGTH],
        message=message[:MESSAGE_MAX_LENGTH],
        metadata=metadata or {},
        key=f"announcement:{new_object_id()}",
    )
    _push_later(key=notification.key, user_ids=[recipient.pk])
    return notification


def announcement_send(*, title: str, message: str, recipient_id: str | None = None) -> str:
    """Staff's announcement (the admin) to one user, or to every active app user (staff
    accounts left out) when `recipient_id` is None, written by the fan-out task after the
    commit. Returns its key."""
    key = f"announcement:{new_object_id()}"
    audience, of = (ONE_USER, recipient_id) if recipient_id else (EVERYONE, None)
    _fan_out_later(
        {
            "key": key,
            "actor_id": None,
            "params": None,
            "metadata": {},
            "stages": [
                {
                    "audience": audience,
                    "of": of,
                    "category": Category.ANNOUNCEMENT,
                    "title": title[:TITLE_MAX_LENGTH],
                    "message": message[:MESSAGE_MAX_LENGTH],
                }
            ],
        }
    )
    return key


# --- Reading state ---------------------------------------------------------------------------


def notification_set_read(*, notification: Notification, read: bool) -> Notification:
    """Mark one notification read or unread (nothing is written when it already is)."""
    if notification.read != read:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk).update(read=read, updated_at=now)
        notification.read, notification.updated_at = read, now
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    return Notification.objects.filter(user=user, read=False).update(
        read=True, updated_at=timezone.now()
    )


# --- Devices ---------------------------------------------------------------------------------


@transaction.atomic
def device_token_register(
    *,
    user: User,
    device_id: str,
    platform: str,
    token: str | None = None,
    timezone_name: str | None = None,
    live_activity_token: str | None = None,
) -> DeviceToken:
    """Create or update the caller's device `device_id` (one row per user and device).

    A null `token` keeps the one stored (it updates the platform, the time zone or the Live
    Activity token only). A token names one app install: registered here, it is taken off
    any other row that had it (the account that used the device before), so pushes never
    reach a device for someone who left it.
    """
    now = timezone.now()
    fields = {"platform": platform, "updated_at": now}
    if token is not None:
        fields["token"] = token
    if timezone_name is not None:
        fields["timezone"] = timezone_name
    if live_activity_token is not None:
        fields["live_activity_push_to_start_token"] = live_activity_token
    device, _created = DeviceToken.objects.update_or_create(
        user=user, device_id=device_id, defaults=fields
    )
    if token is not None:
        DeviceToken.objects.filter(token=token).exclude(pk=device.pk).update(
            token=None, updated_at=now
        )
    return device


def device_token_forget(*, user: User, device_id: str) -> bool:
    """Forget the caller's device `device_id` (sign-out); whether there was one."""
    deleted, _rows = DeviceToken.objects.filter(user=user, device_id=device_id).delete()
    return bool(deleted)
