"""Where one-time codes go. `settings.SMS_BACKEND` names the SMS backend; email uses Django's
mail backends (console in development, locmem in tests, SMTP from `EMAIL_URL`)."""

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Messages "sent" by LocMemSmsBackend, for tests: [{"to": "+905551234567", "body": "..."}].
sms_outbox: list[dict] = []


class BaseSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


class WebhookSmsBackend(BaseSmsBackend):
    """POSTs `{"to": "+905551234567", "body": "..."}` as JSON to `SMS_WEBHOOK_URL` (with
    `Authorization: Bearer <SMS_WEBHOOK_TOKEN>` when set): the bridge to an SMS gateway or a
    small relay in front of one. Any non-2xx answer or network error is a failed delivery."""

    def send(self, *, to: str, body: str) -> None:
        if not settings.SMS_WEBHOOK_URL:
            raise RuntimeError("SMS_WEBHOOK_URL is not set")
        headers = {"Content-Type": "application/json"}
        if settings.SMS_WEBHOOK_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_WEBHOOK_TOKEN}"
        request = urllib.request.Request(
            settings.SMS_WEBHOOK_URL,
            data=json.dumps({"to": to, "body": body}).encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=settings.SMS_WEBHOOK_TIMEOUT) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS webhook answered {response.status}")


class LocMemSmsBackend(BaseSmsBackend):
    def send(self, *, to: str, body: str) -> None:
        sms_outbox.append({"to": to, "body": body})


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def code_message(code: str) -> str:
    minutes = max(settings.OTP_TTL_SECONDS // 60, 1)
    return _("Your yayin code is %(code)s. It is valid for %(minutes)s minutes.") % {
        "code": code,
        "minutes": minutes,
    }


def send_code_by_sms(*, phone: str, code: str) -> None:
    get_sms_backend().send(to=phone, body=code_message(code))


def send_code_by_email(*, email: str, code: str) -> None:
    send_mail(
        subject=_("Your yayin sign-in code"),
        message=code_message(code),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
