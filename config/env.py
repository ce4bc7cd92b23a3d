"""Small readers for environment variables that fail loudly on bad values."""

import os
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from error


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rates(name: str) -> dict[str, str]:
    """Parse `scope=rate` pairs such as `otp_ip=30/hour,user=3000/hour`."""
    rates = {}
    for pair in env_list(name, []):
        scope, _separator, rate = pair.partition("=")
        number, slash, period = rate.strip().partition("/")
        if (
            not scope.strip()
            or not slash
            or not number.isdigit()
            or not period
            or period[0] not in "smhd"  # DRF reads the first letter: second, minute, hour, day
            or "/" in period
        ):
            raise ImproperlyConfigured(f"{name}: {pair!r} is not a scope=number/period pair.")
        rates[scope.strip()] = rate.strip()
    return rates


def email_settings_from_url(url: str) -> dict:
    """`smtp://user:password@host:port` or `smtp+tls://...` to Django's EMAIL_* settings."""
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtp+tls", "smtp+ssl"}:
        raise ImproperlyConfigured("EMAIL_URL must be console: or smtp[+tls|+ssl]://...")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtp+ssl" else 587),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": parsed.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parsed.scheme == "smtp+ssl",
    }
