"""Throttles of the one-time-code endpoints.

Requests for a code count per client address here (`otp_ip`). The other sign-in limits count
events only the service knows about, in `users.otp`: codes actually sent per destination
(`otp_destination`) and wrong codes (`otp_verify_*`).
"""

from config.api.throttles import IPRateThrottle


class OtpIpThrottle(IPRateThrottle):
    scope = "otp_ip"
