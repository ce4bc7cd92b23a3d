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
        data = request.data if hasattr(request.data, "get") else {}
        email = str(data.get("email") or "").strip().lower()
        phone = "".join(
            character
            for character in f"{data.get('country_code') or ''}{data.get('phone_number') or ''}"
            if character.isdigit()
        )
        destination = email or phone
        if not destination:
            return None  # nothing to count; validation will answer 400
        ident = hashlib.sha256(destination.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
