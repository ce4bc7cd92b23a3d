"""Legal documents (versioned, per language) and the append-only consent records.

A consent record names a document by type and version, not by row: a user consents to
"privacy policy 1.2.0" whatever language they read it in, and records keep their meaning even
if a document row is later corrected before anyone consented to it.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.ids import ObjectIdField

VERSION_MAX_LENGTH = 20  # the length of User.privacy_policy_version
# A canonical semantic version, MAJOR.MINOR.PATCH: ASCII digits (`\d` would take any Unicode
# digit), no leading zeros, nothing after the end (`$` would let a trailing newline through).
# One spelling per version, so "01.0.0" or "1" can never sit next to "1.0.0" as another one.
VERSION_RE = r"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z"
INVALID_VERSION = _(
    "Use a version such as 1.2.0: three whole numbers separated by dots "
    "(MAJOR.MINOR.PATCH), without leading zeros."
)
version_validator = RegexValidator(VERSION_RE, INVALID_VERSION)


def version_key(version: str) -> tuple[int, ...]:
    """Order versions by their numbers ("1.10.0" after "1.9.0"), not as strings.

    Rows published before versions had to be canonical may hold other dotted numbers; they
    compare by their numbers too (anything else sorts first).
    """
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


class DocumentType(models.TextChoices):
    PRIVACY_POLICY = "privacy_policy", _("Privacy policy")
    TERMS_OF_USE = "terms_of_use", _("Terms of use")
    CONSENT_FORM = "consent_form", _("Consent form")
    PAYMENT_TERMS = "payment_terms", _("Payment terms")
    PURCHASE_TERMS = "purchase_terms", _("Purchase terms")


class DocumentLanguage(models.TextChoices):
    EN = "en", _("English")
    TR = "tr", _("Turkish")


DEFAULT_LANGUAGE = DocumentLanguage.EN


class Platform(models.TextChoices):
    """The `X-Platform` header of the request that recorded a consent."""

    WEB = "web", "Web"
    MOBILE_IOS = "mobile_ios", "iOS"
    MOBILE_ANDROID = "mobile_android", "Android"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    UNKNOWN = "unknown", _("Unknown")


class LegalDocument(models.Model):
    """One published version of a document type in one language.

    Exactly one row per type and language is current (`is_current`), held by a partial unique
    constraint: publishing moves the flag to the new row in one transaction. A flag rather than
    "the latest `published_at`" keeps the overview a plain indexed filter and makes "which
    version is live" explicit in the admin.
    """

    id = ObjectIdField(primary_key=True)
    document_type = models.CharField(_("type"), max_length=20, choices=DocumentType.choices)
    version = models.CharField(
        _("version"), max_length=VERSION_MAX_LENGTH, validators=[version_validator]
    )
    language = models.CharField(_("language"), max_length=2, choices=DocumentLanguage.choices)
    title = models.CharField(_("title"), max_length=200)
    # Sanitized by the services before it is stored (consents.sanitizer).
    body_html = models.TextField(_("body (HTML)"))
    is_required = models.BooleanField(_("consent required"), default=False)
    is_current = models.BooleanField(_("current"), default=False, editable=False)
    published_at = models.DateTimeField(_("published at"), default=timezone.now, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["document_type", "language", "-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "version", "language"],
                name="legal_document_unique_version",
                violation_error_message=_(
                    "This version of the document is already published in this language."
                ),
            ),
            models.UniqueConstraint(
                fields=["document_type", "language"],
                condition=models.Q(is_current=True),
                name="legal_document_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} {self.version} ({self.language})"


class ConsentRecordImmutable(Exception):
    """Raised on any attempt to change or delete a consent record."""


class ConsentRecordQuerySet(models.QuerySet):
    """Records are append-only: bulk changes are refused like single ones."""

    def update(self, **kwargs):
        raise ConsentRecordImmutable(_("Consent records cannot be changed."))

    def delete(self):
        raise ConsentRecordImmutable(_("Consent records cannot be deleted."))

    # Django's own bulk paths: refuse them too, so no code path rewrites history.
    def bulk_update(self, objs, fields, batch_size=None):
        raise ConsentRecordImmutable(_("Consent records cannot be changed."))

    def update_or_create(self, *args, **kwargs):
        raise ConsentRecordImmutable(_("Consent records cannot be changed."))

    def for_user(self, user) -> "ConsentRecordQuerySet":
        return self.filter(user=user)

    def newest_first(self) -> "ConsentRecordQuerySet":
        # The id breaks ties: ObjectIds grow within a process, so equal times keep their order.
        return self.order_by("-consent_date", "-id")


class ConsentRecord(models.Model):
    """One consent decision of one user about one document version: never changed, never deleted.

    A withdrawal is a new record with `is_accepted=False`. The IP address and user agent are
    the evidence of the decision; they are shown to staff, never in the API.
    """

    id = ObjectIdField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # A user with consent records cannot be hard-deleted by accident: the records are
        # legal evidence; account deletion has to decide what to keep.
        on_delete=models.PROTECT,
        related_name="consent_records",
        verbose_name=_("user"),
    )
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_version = models.CharField(_("document version"), max_length=VERSION_MAX_LENGTH)
    is_accepted = models.BooleanField(_("accepted"))
    consent_date = models.DateTimeField(_("consent date"), default=timezone.now)
    platform = models.CharField(
        _("platform"), max_length=20, choices=Platform.choices, default=Platform.UNKNOWN
    )
    language = models.CharField(
        _("language"), max_length=2, choices=DocumentLanguage.choices, default=DEFAULT_LANGUAGE
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-consent_date", "-id"]
        indexes = [
            # History: a user's records, newest first (optionally of one type).
            models.Index(fields=["user", "-consent_date"], name="consent_user_recent"),
            # Overview: the latest record of a user for one type and version.
            models.Index(
                fields=["user", "document_type", "document_version", "-consent_date"],
                name="consent_user_document",
            ),
        ]

    def __str__(self) -> str:
        decision = "accepted" if self.is_accepted else "withdrew"
        return f"{self.user_id} {decision} {self.document_type} {self.document_version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ConsentRecordImmutable(_("Consent records cannot be changed."))
        # force_insert: a record whose id already exists must fail, not overwrite it.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ConsentRecordImmutable(_("Consent records cannot be deleted."))
