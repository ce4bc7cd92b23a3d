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
