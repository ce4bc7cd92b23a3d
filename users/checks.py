"""Deployment checks (`manage.py check --deploy`): sign-in codes must reach people, not logs."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_SMS_BACKENDS = {"users.senders.ConsoleSmsBackend", "users.senders.LocMemSmsBackend"}
LOCAL_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


@register(Tags.security, deploy=True)
def check_code_delivery(app_configs, **kwargs):
    problems = []
    if settings.SMS_BACKEND in LOCAL_SMS_BACKENDS:
        problems.append(
            Warning(
                "SMS_BACKEND writes sign-in codes to the log instead of sending them.",
                hint="Set SMS_BACKEND=users.senders.WebhookSmsBackend and SMS_WEBHOOK_URL.",
                id="yayin.W001",
            )
        )
    if settings.SMS_BACKEND == "users.senders.WebhookSmsBackend" and not settings.SMS_WEBHOOK_URL:
        problems.append(Warning("SMS_WEBHOOK_URL is not set.", id="yayin.W002"))
    if settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS:
        problems.append(
            Warning(
                "Email sign-in codes are written to the log instead of sent.",
                hint="Set EMAIL_URL=smtp+tls://user:password@host:587.",
                id="yayin.W003",
            )
        )
    return problems
