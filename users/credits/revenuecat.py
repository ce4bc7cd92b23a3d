"""Store purchases through RevenueCat's webhook (contract section 5, "Credits in").

Each accepted body is stored raw with what it did, in the same transaction as any credit it
gives. An event is processed once by its `event.id` (a unique row: a concurrent delivery of
the same event waits on the index and then finds it), and a purchase once by its store
`transaction_id` (the ledger's unique constraint), however often RevenueCat retries.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from config.api.errors import AuthenticationRequired, InvalidInput
from config.api.ids import is_object_id
from users.credits import services as credits
from users.credits.models import CreditPackage, CreditTransaction, RevenueCatEvent
from users.models import User

logger = logging.getLogger(__name__)

PURCHASE_TYPES = frozenset({"INITIAL_PURCHASE", "NON_RENEWING_PURCHASE"})
WEBHOOK_UNAUTHORIZED = _("The webhook authorization is missing or wrong.")
EVENT_MALFORMED = _("The body must be a RevenueCat webhook: an object with an event and its id.")

Outcome = RevenueCatEvent.Outcome


def webhook_authorize(*, header: str | None) -> None:
    """Refuse with AuthenticationRequired (401) an `Authorization` header that is not exactly
    `REVENUECAT_WEBHOOK_AUTH` (compared in constant time; unset refuses every call)."""
    expected = settings.REVENUECAT_WEBHOOK_AUTH
    if not expected or not constant_time_compare(header or "", expected):
        raise AuthenticationRequired(WEBHOOK_UNAUTHORIZED)


MAX_ID_LENGTH = 255


def _text(event: dict, key: str) -> str:
    value = event.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a store transaction id sent as a number is the same id
    return value[:MAX_ID_LENGTH] if isinstance(value, str) else ""


def _storable(value):
    """The body with what no database can store made harmless: NUL characters dropped and
    lone surrogates (invalid UTF-16 halves, which JSON allows) replaced, in keys and values.
    The parser has already bounded the nesting depth."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def revenuecat_event_receive(*, body) -> RevenueCatEvent:
    """Store and process one webhook body; a repeat of a stored event changes nothing.

    Refuses with InvalidInput (400) a body that is not an object holding an `event` object
    with a string `id` and `type` (nothing is stored: it cannot be told apart from a retry).
    """
    body = _storable(body)
    event = body.get("event") if isinstance(body, dict) else None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and event["id"].strip()
        and len(event["id"]) <= MAX_ID_LENGTH
        and isinstance(event.get("type"), str)
    ):
        raise InvalidInput(EVENT_MALFORMED)
    try:
        with transaction.atomic():
            stored = RevenueCatEvent.objects.create(
                event_id=event["id"][:255],
                event_type=_text(event, "type"),
                app_user_id=_text(event, "app_user_id"),
                product_id=_text(event, "product_id"),
                transaction_id=_text(event, "transaction_id"),
                environment=_text(event, "environment"),
                payload=body,
                outcome=Outcome.IGNORED,
            )
            _process(stored, event)
            stored.save(
                update_fields=[
                    "outcome",
                    "shortfall",
                    "user",
                    "credit_transaction",
                    "refunded_purchase",
                ]
            )
    except IntegrityError:
        # The same event id, delivered again (or at the same moment): it was handled once.
        existing = RevenueCatEvent.objects.filter(event_id=event["id"][:255]).first()
        if existing is None:
            raise
        return existing
    logger.info("RevenueCat %s %s: %s", stored.event_type, stored.event_id, stored.outcome)
    return stored


def _user_of(event: dict) -> User | None:
    """The apps log in to RevenueCat with the user's `_id`; aliases carry it after a merge of
    an anonymous RevenueCat customer into the signed-in one."""
    candidates = [event.get("app_user_id"), event.get("original_app_user_id")]
    aliases = event.get("aliases")
    if isinstance(aliases, list):
        candidates += aliases
    ids = [value for value in candidates if is_object_id(value)]
    if not ids:
        return None
    users = {user.pk: user for user in User.objects.filter(pk__in=ids)}
    return next((users[value] for value in ids if value in users), None)


def _process(stored: RevenueCatEvent, event: dict) -> None:
    event_type = stored.event_type
    if event_type == "TEST":
        stored.outcome = Outcome.TEST
        return
    is_purchase = event_type in PURCHASE_TYPES
    is_refund = event_type == "CANCELLATION" and event.get("cancel_reason") == "CUSTOMER_SUPPORT"
    if not (is_purchase or is_refund):
        return  # stored for staff; nothing to do (subscriptions are not sold here)
    if stored.environment.upper() == "SANDBOX" and not settings.REVENUECAT_ALLOW_SANDBOX:
        stored.outcome = Outcome.SANDBOX_IGNORED
        return
    user = _user_of(event)
    if user is None:
        stored.outcome = Outcome.UNKNOWN_USER
        return
    stored.user = user
    if is_purchase:
        _purchase(stored, user)
    else:
        _refund(stored, user)


def _lock_account(user: User) -> None:
    """Purchases and refunds of one user take turns on the user row, so a refund that
    arrives with (or before) its purchase sees it, or is seen by it (RevenueCat does not
    promise the order of its deliveries)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _purchase(stored: RevenueCatEvent, user: User) -> None:
    package = CreditPackage.objects.filter(product_id=stored.product_id).first()
    if package is None or not stored.product_id:
        stored.outcome = Outcome.UNKNOWN_PRODUCT
        return
    _lock_account(user)
    try:
        stored.credit_transaction = credits.purchase_credit(
            user=user, package=package, external_id=stored.transaction_id or stored.event_id
        )
        stored.outcome = Outcome.CREDITED
    except credits.AlreadyProcessed:
        stored.outcome = Outcome.DUPLICATE
        return
    # A store refund of this purchase that came first waited, flagged; it applies now.
    early = (
        RevenueCatEvent.objects.select_for_update()
        .filter(
            user=user,
            transaction_id=stored.transaction_id,
            outcome=Outcome.UNKNOWN_PURCHASE,
        )
        .exclude(transaction_id="")
        .order_by("received_at")
        .first()
    )
    if early is not None:
        _apply_refund(early, stored.credit_transaction)
        early.save(
            update_fields=["outcome", "shortfall", "credit_transaction", "refunded_purchase"]
        )


def _refund(stored: RevenueCatEvent, user: User) -> None:
    if not stored.transaction_id:
        # Only a store purchase (named by its transaction id) can be given back; never a
        # test purchase, whose id is empty.
        stored.outcome = Outcome.UNKNOWN_PURCHASE
        return
    _lock_account(user)
    purchase = CreditTransaction.objects.filter(
        type="purchase", external_id=stored.transaction_id, user=user
    ).first()
    if purchase is None:
        stored.outcome = Outcome.UNKNOWN_PURCHASE  # applied if the purchase arrives later
        return
    if RevenueCatEvent.objects.filter(refunded_purchase=purchase).exists():
        stored.outcome = Outcome.DUPLICATE
        return
    _apply_refund(stored, purchase)


def _apply_refund(stored: RevenueCatEvent, purchase: CreditTransaction) -> None:
    row, shortfall = credits.purchase_refund(purchase=purchase)
    stored.credit_transaction = row
    stored.refunded_purchase = purchase
    stored.shortfall = shortfall
    stored.outcome = Outcome.REFUNDED
    if shortfall > Decimal("0"):
        logger.warning(
            "RevenueCat refund %s: %s credits were already spent by %s",
            stored.event_id,
            shortfall,
            purchase.user_id,
        )
