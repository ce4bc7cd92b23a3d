"""Serializer fields and lookups shared by every app."""

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.errors import NotFound
from config.api.ids import OBJECT_ID_RE, is_object_id


class ObjectIdField(serializers.RegexField):
    """An input id: 24 lowercase hex characters (`64d15f9e2e6c8f4d5a123456`)."""

    default_error_messages = {"invalid": _("Must be a 24-character hexadecimal id.")}

    def __init__(self, **kwargs):
        super().__init__(OBJECT_ID_RE, **kwargs)


def get_object_or_not_found(queryset: QuerySet, object_id: str) -> Model:
    """One lookup by id; an id of the wrong shape is the same 404 as an unknown one."""
    if not is_object_id(object_id):
        raise NotFound()
    found = queryset.filter(pk=object_id).first()
    if found is None:
        raise NotFound()
    return found


def absolute_url(request, url: str | None) -> str | None:
    """Storage URLs can be relative (`/media/...`); the contract wants `https://host/...`."""
    if not url:
        return None
    if url.startswith(("http://", "https://")):
        return url
    if request is None:
        from django.conf import settings

        return f"{settings.PUBLIC_API_URL}{url}"
    return request.build_absolute_uri(url)


class StrictCharField(serializers.CharField):
    """A string, and only a string: `123` or `true` for a text field is a 400, not `"123"`.

    Multipart and form bodies carry only strings, so this refuses nothing they can send.
    """

    default_error_messages = {"not_a_string": _("Not a valid string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "email"})
class StrictEmailField(StrictCharField):
    """An email address, as text only. The schema says `format: email`; the address itself
    is checked and normalised where it is used (`users.otp.email_destination`), which answers
    `email: Enter a valid email address.` as a 400."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)


class StrictBooleanField(serializers.BooleanField):
    """Only JSON `true` / `false` (and `null` where allowed): `"yes"`, `"true"` or `1` are a 400.

    For JSON bodies only; a form body can only send text.
    """

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


def client_ip(request) -> str | None:
    """The caller's address: `REMOTE_ADDR`, unless the deployment says how many proxies to trust.

    `DJANGO_NUM_PROXIES=N` (DRF's `NUM_PROXIES`, which its throttles read too) takes the N-th
    address from the right of `X-Forwarded-For`; otherwise the header, which any client can
    write, is ignored.
    """
    import ipaddress

    from django.conf import settings

    address = request.META.get("REMOTE_ADDR")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if isinstance(proxies, int) and proxies >= 1 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
