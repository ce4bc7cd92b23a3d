"""Deployment checks (`manage.py check --deploy`) of sign-in.

Codes delivered to the log stop start-up outright (config/settings.py); what is left here is
what may be a choice: sign-in limits in a per-process cache.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_shared_rate_limits(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend == "django.core.cache.backends.locmem.LocMemCache":
        return [
            Warning(
                "The cache is local to each process: every worker counts sign-in limits "
                "(wrong codes, codes sent, admin logins) on its own, so with N workers a "
                "guesser gets N times the budget.",
                hint="Set REDIS_URL=redis://host:6379/0.",
                id="yayin.W005",
            )
        ]
    return []
