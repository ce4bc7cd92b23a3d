"""Passwordless sign-in with one-time codes (contract section 2).

Codes are 4 digits from a CSPRNG, stored as an HMAC (never in clear), valid
`OTP_TTL_SECONDS`, one per destination, void after `OTP_MAX_ATTEMPTS` wrong tries, and a new
one is refused for `OTP_RESEND_SECONDS` after the last.

Limits (scopes of `API_THROTTLE_RATES`, counted in the cache by `config.api.throttles`):
- `otp_ip`: requests for a code per client address (a DRF throttle on the send views);
- `otp_destination`: codes actually sent per destination; a request refused for the resend
  gap sends nothing and is not counted, so nobody can use up a number's budget cheaply;
- `otp_verify_pair`, `otp_verify_ip`: wrong codes per (destination, address) and per address;
  they only ever hold back the guesser, never someone signing in to the number elsewhere;
- `otp_verify_destination`: wrong codes per destination from all addresses (a UTC day), the
  cap that keeps a distributed guesser from working through the 10,000 codes. Only a guess
  against a pending code counts here: a guess with nothing pending cannot succeed, and if it
  counted anyone could use up a number's cap without a code ever being sent (the lockout this
  replaces). Such guesses do count against the guesser's own pair and address limits, so the
  429 comes after the same number of wrong tries whether or not a code is pending, and tells
  nothing about it.
A refused guess is not checked at all, so while a limit holds even the right code fails.
"""

import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, Forbidden, InvalidInput, ServiceUnavailable, TooManyRequests
from config.api.throttles import RateLimit, hit_all
from users import senders
from users.models import OneTimeCode, User
from users.sessions import tokens_for_user

logger = logging.getLogger(__name__)

COUNTRY_CODE_RE = re.compile(r"^\+?[0-9]{1,3}$")  # ASCII digits only: "٩٠" is not "90"
INVALID_PHONE = _("Enter a valid phone number for this country code.")
INVALID_COUNTRY_CODE = _("Enter a country calling code of 1 to 3 digits, such as 90.")
RESEND_TOO_SOON = _("A code was sent recently; wait %(seconds)s seconds before asking again.")
# One message for every code that does not sign in (wrong, expired, used, void, or none sent):
# telling them apart would tell anyone whether a sign-in to the number is in progress.
CODE_INVALID = _("The code is incorrect or has expired.")
GUESSES_THROTTLED = _("Too many wrong codes; wait %(seconds)s seconds before trying again.")
SENDS_THROTTLED = _(
    "Too many codes were sent to this phone number or email address; wait %(seconds)s "
    "seconds before asking again."
)
ACCOUNT_DISABLED = _("This account is disabled.")
CODE_NOT_SENT = _("The code could not be sent; try again in a moment.")
EMAIL_BELONGS_TO_ANOTHER_ACCOUNT = _("This email address belongs to another account.")


@dataclass(frozen=True)
class Destination:
    channel: str
    key: str  # what the code is stored under: "+905551234567" or "name@example.com"
    country_code: str | None = None
    phone_number: str | None = None
    email: str | None = None


def phone_destination(*, country_code: str, phone_number: str) -> Destination:
    """Validate and normalise with `phonenumbers`: `("+90", "0555 123 45 67")` and
    `("90", "5551234567")` are the same destination."""
    if not COUNTRY_CODE_RE.match(country_code.strip()):
        raise InvalidInput(INVALID_COUNTRY_CODE, field="countryCode")
    country_digits = int(country_code.strip().lstrip("+"))  # "090" and "90" are one code
    region = phonenumbers.region_code_for_country_code(country_digits)
    try:
        parsed = phonenumbers.parse(phone_number, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidInput(INVALID_PHONE, field="phoneNumber") from error
    if parsed.country_code != country_digits or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(INVALID_PHONE, field="phoneNumber")
    national = str(parsed.national_number)
    return Destination(
        channel=OneTimeCode.Channel.SMS,
        key=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        country_code=str(parsed.country_code),
        phone_number=national,
    )


def email_destination(*, email: str) -> Destination:
    normalized = email.strip().lower()
    try:
        validate_email(normalized)
    except Exception as error:
        raise InvalidInput(_("Enter a valid email address."), field="email") from error
    return Destination(channel=OneTimeCode.Channel.EMAIL, key=normalized, email=normalized)


def _code_hash(destination_key: str, code: str) -> str:
    return salted_hmac("yayin.otp", f"{destination_key}:{code}", algorithm="sha256").hexdigest()


def otp_send(*, destination: Destination) -> dict:
    """Issue a new code for `destination`, replacing any earlier one, and send it.

    Refuses with TooManyRequests (429, Retry-After) within `OTP_RESEND_SECONDS` of the last,
    and once `otp_destination` codes were sent to it in the current window.
    """
    now = timezone.now()
    code = f"{secrets.randbelow(10_000):04d}"
    sends = RateLimit("otp_destination", destination.key)
    try:
        with transaction.atomic():
            # The row lock serialises two sends to one destination: the second sees the first.
            previous = (
                OneTimeCode.objects.select_for_update().filter(destination=destination.key).first()
            )
            if previous is not None:
                wait = settings.OTP_RESEND_SECONDS - (now - previous.created_at).total_seconds()
                if wait > 0:
                    seconds = math.ceil(wait)
                    raise TooManyRequests(
                        RESEND_TOO_SOON % {"seconds": seconds}, retry_after=seconds
                    )
            # Counted only once the resend gap allows a send: refused requests send nothing.
            if not sends.hit():
                raise TooManyRequests(
                    SENDS_THROTTLED % {"seconds": sends.retry_after}, retry_after=sends.retry_after
                )
            if previous is not None:
                previous.delete()
            OneTimeCode.objects.create(
                channel=destination.channel,
                destination=destination.key,
                code_hash=_code_hash(destination.key, code),
                created_at=now,
                expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
            )
    except IntegrityError as error:
        # A concurrent send created the row between our read and our insert: it is the one sent.
        sends.undo()
        raise TooManyRequests(
            RESEND_TOO_SOON % {"seconds": settings.OTP_RESEND_SECONDS},
            retry_after=settings.OTP_RESEND_SECONDS,
        ) from error
    # Sent once the code is committed, outside the row lock (a slow SMS gateway holds no lock).
    try:
        _deliver(destination, code)
    except Exception as error:  # any provider failure: SMTP, HTTP, timeouts
        # Nobody received this code: drop it, so the retry is not refused as "too soon", and
        # give its place in the destination's budget back.
        logger.exception("one-time code delivery failed for a %s destination", destination.channel)
        OneTimeCode.objects.filter(destination=destination.key).delete()
        sends.undo()
        raise ServiceUnavailable(CODE_NOT_SENT) from error
    result = {"expires_in": settings.OTP_TTL_SECONDS}
    if destination.channel == OneTimeCode.Channel.SMS:
        result |= {
            "country_code": destination.country_code,
            "phone_number": destination.phone_number,
        }
    else:
        result |= {"email": destination.email}
    if settings.OTP_ECHO:
        result["code"] = code
    return result


def _deliver(destination: Destination, code: str) -> None:
    if destination.channel == OneTimeCode.Channel.SMS:
        senders.send_code_by_sms(phone=destination.key, code=code)
    else:
        senders.send_code_by_email(email=destination.email, code=code)


def _check_code(*, destination: Destination, code: str, address: str | None) -> None:
    """Consume the code, or count a wrong guess against the limits in the module docstring.

    Refuses with TooManyRequests (429) a guess over a limit, without checking it, and with
    InvalidInput (400, one message for every case) a code that does not sign in.
    """
    address = address or "unknown"
    per_pair = RateLimit("otp_verify_pair", f"{destination.key} {address}")
    per_address = RateLimit("otp_verify_ip", address)
    per_destination = RateLimit("otp_verify_destination", destination.key)
    # Counted before the code is looked at (and given back below when it was no wrong guess),
    # so concurrent guesses cannot all slip under a limit before any of them is counted.
    refused = hit_all([per_pair, per_address, per_destination])
    if refused is not None:
        seconds = refused.retry_after
        raise TooManyRequests(GUESSES_THROTTLED % {"seconds": seconds}, retry_after=seconds)
    outcome = _consume_code(destination=destination, code=code)
    if outcome == "matched":
        for limit in (per_pair, per_address, per_destination):
            limit.undo()
        return
    if outcome == "none_pending":
        per_destination.undo()
    raise InvalidInput(CODE_INVALID, field="code")


def _consume_code(*, destination: Destination, code: str) -> str:
    """Check the code: "matched" (it is used up), "wrong" (a try counted; the last one voids
    the code) or "none_pending". Runs in its own transaction so that a wrong try is recorded
    even though the request then fails."""
    expected = _code_hash(destination.key, code)  # on every path, pending code or not
    with transaction.atomic():
        stored = OneTimeCode.objects.select_for_update().filter(destination=destination.key).first()
        if stored is None or not stored.code_hash or stored.expires_at <= timezone.now():
            return "none_pending"
        # A used or void code is emptied, not deleted: the row keeps `created_at`, which the
        # resend gap is measured from (a new code no sooner than 60 s after the last one).
        if constant_time_compare(stored.code_hash, expected):
            OneTimeCode.objects.filter(pk=stored.pk).update(code_hash="")
            return "matched"
        if stored.attempts + 1 >= settings.OTP_MAX_ATTEMPTS:
            OneTimeCode.objects.filter(pk=stored.pk).update(
                code_hash="", attempts=F("attempts") + 1
            )
        else:
            OneTimeCode.objects.filter(pk=stored.pk).update(attempts=F("attempts") + 1)
        return "wrong"


def _phone_user(*, destination: Destination, signup_source: str, signup_campaign: str):
    lookup = {"country_code": destination.country_code, "phone_number": destination.phone_number}
    user = User.objects.filter(**lookup).first()
    if user is not None:
        return user, False
    return _create_user(
        lookup=lookup,
        fields={**lookup, "signup_source": signup_source, "signup_campaign": signup_campaign},
    )


def _email_user(*, destination: Destination, signup_source: str, signup_campaign: str):
    """Only a verified address is a sign-in identity. An address someone merely typed into a
    profile (unverified) is released to whoever proves it with a code, so nobody can capture
    another person's email sign-in by claiming their address first."""
    lookup = {"email__iexact": destination.email, "email_verified": True}
    user = User.objects.filter(**lookup).first()
    if user is not None:
        return user, False
    User.objects.filter(email__iexact=destination.email, email_verified=False).update(email=None)
    return _create_user(
        lookup=lookup,
        fields={
            "email": destination.email,
            "email_verified": True,
            "signup_source": signup_source,
            "signup_campaign": signup_campaign,
        },
    )


def _create_user(*, lookup: dict, fields: dict) -> tuple[User, bool]:
    try:
        with transaction.atomic():
            user = User(**fields)
            user.set_unusable_password()
            user.save()
            return user, True
    except IntegrityError:
        # Two first sign-ins raced (two devices, one destination): the other created the user.
        return User.objects.get(**lookup), False


@transaction.atomic
def _confirm_email_for(*, user: User, destination: Destination) -> User:
    """A signed-in caller proved this address with a code: it becomes their verified email.

    Refuses with Conflict (409) an address verified by another account.
    """
    holder = (
        User.objects.select_for_update()
        .filter(email__iexact=destination.email)
        .exclude(pk=user.pk)
        .first()
    )
    if holder is not None and holder.email_verified:
        raise Conflict(EMAIL_BELONGS_TO_ANOTHER_ACCOUNT, field="email")
    if holder is not None:
        User.objects.filter(pk=holder.pk).update(email=None)
    User.objects.filter(pk=user.pk).update(email=destination.email, email_verified=True)
    user.refresh_from_db()
    return user


def otp_verify(
    *,
    destination: Destination,
    code: str,
    signup_source: str = "",
    signup_campaign: str = "",
    signed_in_user: User | None = None,
    address: str | None = None,
) -> dict:
    """Sign in with a code; the first successful verify creates the user.

    With an email code sent by a caller who is already signed in, the address is confirmed on
    that caller's account instead (how an email added to a profile becomes a sign-in identity).

    `address` is the caller's (`client_ip`), for the limits on wrong codes.

    Refuses with TooManyRequests (429) a guess over a limit on wrong codes, with InvalidInput
    (400) a wrong, expired, used or void code, with Forbidden (403) a disabled account, and
    with Conflict (409) confirming an address another account verified.
    """
    _check_code(destination=destination, code=code, address=address)
    signup = {"signup_source": signup_source, "signup_campaign": signup_campaign}
    if destination.channel == OneTimeCode.Channel.SMS:
        user, created = _phone_user(destination=destination, **signup)
    elif signed_in_user is not None:
        user, created = _confirm_email_for(user=signed_in_user, destination=destination), False
    else:
        user, created = _email_user(destination=destination, **signup)
    if not user.is_active:
        raise Forbidden(ACCOUNT_DISABLED)
    return {**tokens_for_user(user=user), "is_new_user": created, "user": user}
