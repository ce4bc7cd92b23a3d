"""Outgoing webhooks (ours): the SMS relay today, the push relay and any later one tomorrow.

Contract section 2: they never follow redirects (a redirect is a failed delivery: nothing is
re-sent anywhere, and the bearer token never leaves for another host), and outside debug
their URL is `https://`, or `http://` to a relay on the same host (loopback). Every outgoing
webhook posts through `post_json` and has its URL checked at start-up by
`validate_webhook_url`.
"""

import ipaddress
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Replaces urllib's redirect handler: a 3xx answer stays the answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, msg, headers, fp)


_opener = urllib.request.build_opener(_RefuseRedirects)


def post_json(url: str, payload, *, headers: dict | None = None, timeout: float) -> int:
    """POST `payload` as JSON to `url` and return the HTTP status of the answer, redirects
    (3xx) included: they are returned, never followed. Network errors and timeouts raise
    (`OSError`, `urllib.error.URLError`); the caller decides which statuses are a delivery."""
    status, _ = post_json_answer(url, payload, headers=headers, timeout=timeout, max_bytes=0)
    return status


def post_json_answer(
    url: str, payload, *, headers: dict | None = None, timeout: float, max_bytes: int
) -> tuple[int, bytes]:
    """`post_json` that also returns up to `max_bytes` of a 2xx answer's body (b"" for any
    other status)."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ValueError("a webhook URL is http:// or https://")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(max_bytes) if max_bytes else b""
    except urllib.error.HTTPError as error:  # 3xx, 4xx and 5xx: an answer, not a crash
        error.close()
        return error.code, b""


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_webhook_url(name: str, url: str, *, debug: bool) -> None:
    """Stop start-up (ImproperlyConfigured) on a webhook URL that is not http(s) with a host,
    or, outside debug, not https:// (a loopback relay may use http://)."""
    # The URL itself is not repeated in the message: it may carry credentials.
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(f"{name} must be an https:// URL with a host name.")
    if parts.scheme == "http" and not debug and not is_loopback_host(parts.hostname):
        raise ImproperlyConfigured(
            f"{name} must be an https:// URL outside debug (http:// only to a loopback "
            "address such as 127.0.0.1)."
        )
