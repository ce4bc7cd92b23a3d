"""The admin site: Django's, with failed logins throttled.

Failed logins count per (username, address) (`admin_login_pair`), per address
(`admin_login_ip`) and per username from every address (`admin_login_username`, a UTC day).
The last is what stops a distributed guesser, and its price is that someone who knows a
staff username can hold that account's logins back until the day ends; staff passwords are
worth more than that, and the limit is a setting. While any limit holds the login form says
so with a 429, and no password, the right one included, is checked.
"""

import math

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.api.fields import client_ip
from config.api.throttles import RateLimit, hit_all

LOGIN_THROTTLED = _("Too many failed login attempts. Try again in %(minutes)s min.")


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    retry_after: int | None = None

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # the required-field errors; nothing was tried
        address = client_ip(self.request) or "unknown"
        limits = [
            RateLimit("admin_login_pair", f"{username} {address}"),
            RateLimit("admin_login_ip", address),
            RateLimit("admin_login_username", username),
        ]
        # Counted before the password is checked, so parallel guesses cannot all slip in.
        refused = hit_all(limits)
        if refused is not None:
            self.retry_after = refused.retry_after
            raise ValidationError(
                LOGIN_THROTTLED,
                code="throttled",
                params={"minutes": math.ceil(refused.retry_after / 60)},
            )
        cleaned = super().clean()  # a failed login raises, and stays counted
        pair, per_address, per_username = limits
        # A login is not a failure: nothing counted, and this pair's earlier mistakes forgiven.
        per_address.undo()
        per_username.undo()
        pair.reset()
        return cleaned


class YayinAdminSite(admin.AdminSite):
    login_form = ThrottledAdminAuthenticationForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        if not isinstance(response, TemplateResponse):
            return response  # a redirect: logged in, or already signed in
        form = (response.context_data or {}).get("form")
        if getattr(form, "retry_after", None):
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


class ViewOnlyAdminMixin:
    """Rows only the services write (the ledger, webhook events, rentals, consent records):
    the admin shows them and adds, changes and deletes nothing, superusers included (a
    forged POST is a 403)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def compact_datetime(value, *, time_only: bool = False):
    """A date and time as short as "01 Dec 14:05", in the admin's time zone (with the year
    when it is not this year's), so the lists fit a 1366 px screen; the full one is the cell's
    tooltip. None (the admin's "-") for no value."""
    if value is None:
        return None
    local = timezone.localtime(value)
    same_year = local.year == timezone.localtime().year
    shown = date_format(local, "H:i" if time_only else "d M H:i" if same_year else "d M Y H:i")
    full = date_format(local, "DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), full, shown)
