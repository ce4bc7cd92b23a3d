"""Throttles of the one-time-code endpoints: per client address and per destination."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle

from config.api.throttles import IPRateThrottle


class OtpIpThrottle(IPRateThrottle):
    scope = "otp_ip"


class OtpDestinationThrottle(SimpleRateThrottle):
    """Counts requests per phone number or email address, from any address, so one
    destination cannot be flooded with codes or guessed at from many clients."""

    scope = "otp_destination"

    def get_cache_key(self, request, view):
        destination = _destination_key(request.data if hasattr(request.data, "get") else {})
        if destination is None:
            return None  # nothing valid to count; validation answers 400
        ident = hashlib.sha256(destination.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _destination_key(data) -> str | None:
    """The normalised destination (E.164 number or lowercased address), so "0555...",
    "+90 555..." and "090" all count against one number."""
    from config.api.errors import InvalidInput
    from users import otp

    email, country_code, phone_number = (
        data.get("email"),
        data.get("country_code"),
        data.get("phone_number"),
    )
    try:
        if isinstance(email, str) and email.strip():
            return otp.email_destination(email=email).key
        if isinstance(country_code, str) and isinstance(phone_number, str):
            return otp.phone_destination(country_code=country_code, phone_number=phone_number).key
    except InvalidInput:
        return None
    return None
