"""Operators' view of legal documents (publish, correct before use) and consent records (read-only).

Every write goes through `consents.services`, like the API and the publish command.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from config.admin_site import ViewOnlyAdminMixin
from consents import selectors, services
from consents.models import ConsentRecord, LegalDocument
from consents.sanitizer import sanitize_html

CHANGE_FIELDS = ("title", "body_html", "is_required")
IDENTITY_FIELDS = ("document_type", "version", "language")
AUDIT_FIELDS = ("is_current", "published_at", "published_by", "updated_at")


class LegalDocumentForm(forms.ModelForm):
    """Runs the service's own checks at `clean()` time, so a refusal is a form error.

    The service is then called from `LegalDocumentAdmin.save_model`; only a race between two
    operators (within the same instant) can still refuse there, as an error page.
    """

    class Meta:
        model = LegalDocument
        fields = [*IDENTITY_FIELDS, *CHANGE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        body = cleaned.get("body_html")
        if body is not None and not sanitize_html(body):
            self.add_error("body_html", services.BODY_REQUIRED)
        is_existing = not self.instance._state.adding
        if is_existing and selectors.legal_document_has_consents(document=self.instance):
            # Someone consented between opening the form and saving it.
            raise ValidationError(services.VERSION_HAS_CONSENTS)
        return cleaned


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin):
    form = LegalDocumentForm
    list_display = (
        "document_type",
        "version",
        "language",
        "title",
        "is_required",
        "is_current",
        "published_at",
    )
    list_filter = ("document_type", "language", "is_current", "is_required")
    search_fields = ("title", "version")
    list_select_related = ("published_by",)
    date_hierarchy = "published_at"
    ordering = ("document_type", "language", "-published_at")
    actions = None  # no bulk action: a new version is published one at a time, none deleted

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*IDENTITY_FIELDS, *CHANGE_FIELDS]
        return [*IDENTITY_FIELDS, *CHANGE_FIELDS, *AUDIT_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*IDENTITY_FIELDS, *AUDIT_FIELDS)

    def has_change_permission(self, request, obj=None):
        # What people agreed to is frozen (a view-only page); a change is a new version.
        if obj is not None and selectors.legal_document_has_consents(document=obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Published versions stay: consent records name them.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.legal_document_update(
                document=obj,
                title=data["title"],
                body_html=data["body_html"],
                is_required=data["is_required"],
            )
        else:
            saved = services.legal_document_publish(
                document_type=data["document_type"],
                version=data["version"],
                language=data["language"],
                title=data["title"],
                body_html=data["body_html"],
                is_required=data["is_required"],
                published_by=request.user,
            )
        # The admin's log entry, message and redirect use `obj`: make it the saved row.
        for field in LegalDocument._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: records are evidence. Staff may look, filter and search, never change."""

    list_display = (
        "consent_date",
        "user",
        "document_type",
        "document_version",
        "is_accepted",
        "platform",
        "language",
        "ip_address",
    )
    list_filter = (
        "document_type",
        "document_version",
        "is_accepted",
        ("consent_date", admin.DateFieldListFilter),
        "platform",
        "language",
    )
    search_fields = ("user__username", "user__email", "id")
    list_select_related = ("user",)
    date_hierarchy = "consent_date"
    ordering = ("-consent_date", "-id")
    fields = (
        "id",
        "user",
        "document_type",
        "document_version",
        "is_accepted",
        "consent_date",
        "platform",
        "language",
        "ip_address",
        "user_agent",
    )
    readonly_fields = fields
    actions = None
