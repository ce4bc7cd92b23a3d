"""Where one-time codes go. `settings.SMS_BACKEND` names the SMS backend; email uses Django's
mail backends (console in development, locmem in tests, SMTP from `EMAIL_URL`)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from config.webhooks import post_json

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
    small relay in front of one. Any answer but a 2xx, a redirect included (it is not
    followed), and any network error is a failed delivery."""

    def send(self, *, to: str, body: str) -> None:
        if not settings.SMS_WEBHOOK_URL:
            raise RuntimeError("SMS_WEBHOOK_URL is not set")
        headers = {}
        if settings.SMS_WEBHOOK_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_WEBHOOK_TOKEN}"
        status = post_json(
            settings.SMS_WEBHOOK_URL,
            {"to": to, "body": body},
            headers=headers,
            timeout=settings.SMS_WEBHOOK_TIMEOUT,
        )
        if not 200 <= status < 300:
            raise RuntimeError(f"SMS webhook answered {status}")


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
