"""Deployment checks of the project's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_public_api_url(app_configs, **kwargs):
    url = settings.PUBLIC_API_URL
    if url.startswith(("http://localhost", "http://127.0.0.1")) or not url.startswith("https://"):
        return [
            Warning(
                f"PUBLIC_API_URL is {url!r}: the API docs' Production server and absolute URLs "
                "built outside a request would point there.",
                hint="Set PUBLIC_API_URL=https://api.your-domain.example",
                id="yayin.W004",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_revenuecat_webhook_auth(app_configs, **kwargs):
    if not settings.REVENUECAT_WEBHOOK_AUTH:
        return [
            Warning(
                "REVENUECAT_WEBHOOK_AUTH is not set: every RevenueCat webhook call is refused, "
                "so store purchases credit nothing.",
                hint="Set REVENUECAT_WEBHOOK_AUTH to the authorization header value configured "
                "for the webhook in RevenueCat.",
                id="yayin.W006",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_celery_broker(app_configs, **kwargs):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return [
            Warning(
                "Background jobs run inside the requests that start them (no CELERY_BROKER_URL, "
                "or CELERY_TASK_ALWAYS_EAGER=true), and no Celery beat runs the every-minute "
                "housekeeping.",
                hint="Set REDIS_URL (or CELERY_BROKER_URL) and run `celery -A config worker` "
                "and one `celery -A config beat`.",
                id="yayin.W007",
            )
        ]
    return []
