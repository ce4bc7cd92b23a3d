"""Settings are read from the environment and fail loudly on bad values."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import email_settings_from_url, env_bool, env_int, env_rates


def test_rates_are_read_as_scope_rate_pairs(monkeypatch):
    monkeypatch.setenv("RATES", "otp_ip=30/hour, user=3000/hour")

    assert env_rates("RATES") == {"otp_ip": "30/hour", "user": "3000/hour"}


@pytest.mark.parametrize("raw", ["otp_ip", "otp_ip=lots", "otp_ip=30", "=30/hour/x"])
def test_a_malformed_rate_fails_loudly(monkeypatch, raw):
    monkeypatch.setenv("RATES", raw)

    with pytest.raises(ImproperlyConfigured):
        env_rates("RATES")


def test_booleans_and_numbers_fail_loudly(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    monkeypatch.setenv("NUMBER", "ten")

    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG", False)
    with pytest.raises(ImproperlyConfigured):
        env_int("NUMBER", 1)


def test_email_url_becomes_smtp_settings():
    assert email_settings_from_url("smtp+tls://user:p%40ss@mail.example.com:2525") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "user",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


def test_production_refuses_to_start_without_a_secret_key():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "false", "YAYIN_TESTING": "false"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_deploy_check_warns_about_a_local_public_api_url(settings):
    from config.checks import check_public_api_url

    settings.PUBLIC_API_URL = "http://localhost:8000"
    assert [warning.id for warning in check_public_api_url(None)] == ["yayin.W004"]

    settings.PUBLIC_API_URL = "https://api.yayin.example"
    assert check_public_api_url(None) == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LIVE_STREAM_GRACE_MINUTES", "-200000", "LIVE_STREAM_GRACE_MINUTES must be between"),
        ("LIVE_STREAM_GRACE_MINUTES", "10000000000", "LIVE_STREAM_GRACE_MINUTES must be between"),
        ("AGORA_TOKEN_TTL_SECONDS", "86401", "AGORA_TOKEN_TTL_SECONDS must be between"),
        ("AGORA_TOKEN_TTL_SECONDS", "0", "AGORA_TOKEN_TTL_SECONDS must be between"),
    ],
)
def test_out_of_range_settings_refuse_to_start(variable, value, message):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", variable: value},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert message in result.stderr


def test_an_unknown_throttle_scope_refuses_to_start():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "true",
            "API_THROTTLE_RATES": "otp_ip=5/hour,otp_verify_destinaton=5/day",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert (
        "API_THROTTLE_RATES: unknown scope otp_verify_destinaton; the scopes are" in result.stderr
    )


# Asks the app itself, through the full middleware stack, whether a request that says
# `X-Forwarded-Proto: https` over plain HTTP is secure: 301 is the SSL redirect (the header was
# ignored), anything else means it was believed.
PROBE_HTTPS = """
import django, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'
django.setup()
from django.test import Client, RequestFactory
request = RequestFactory().get('/api/v1/users/me', HTTP_X_FORWARDED_PROTO='https')
response = Client().get('/api/v1/users/me', HTTP_X_FORWARDED_PROTO='https')
print(request.is_secure(), response.status_code)
"""


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(None, "False 301"), ("0", "False 301"), ("1", "True 401")],
)
def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(proxies, expected):
    import subprocess
    import sys

    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "false",
        "YAYIN_TESTING": "false",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "ALLOW_CONSOLE_CODE_DELIVERY": "true",
    }
    if proxies is not None:
        environment["DJANGO_NUM_PROXIES"] = proxies
    result = subprocess.run(
        [sys.executable, "-c", PROBE_HTTPS],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_negative_number_of_proxies_refuses_to_start():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "DJANGO_NUM_PROXIES": "-1"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DJANGO_NUM_PROXIES must be 0 or more." in result.stderr


def test_deploy_check_warns_when_limits_are_counted_per_process(settings, tmp_path):
    from users.checks import check_shared_rate_limits

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [warning.id for warning in check_shared_rate_limits(None)] == ["yayin.W005"]

    # Any cache the processes share (Redis in production; never a real server from a test,
    # whose clean-up would empty it).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    assert check_shared_rate_limits(None) == []
