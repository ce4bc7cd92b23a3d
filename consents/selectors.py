"""Reads of the consents app: current documents, a user's history and overview."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from consents.models import (
    DEFAULT_LANGUAGE,
    ConsentRecord,
    ConsentRecordQuerySet,
    DocumentType,
    LegalDocument,
)
from users.models import User

# The overview's named slots; the other types are listed in `additionalDocuments`.
OVERVIEW_SLOTS = {
    DocumentType.PRIVACY_POLICY: "privacy_policy",
    DocumentType.TERMS_OF_USE: "terms_of_use",
    DocumentType.CONSENT_FORM: "consent_form",
}
ADDITIONAL_TYPES = [DocumentType.PAYMENT_TERMS, DocumentType.PURCHASE_TERMS]


def legal_document_current(*, document_type: str, language: str) -> LegalDocument | None:
    """The current version of a type in `language`, else in English, else None (one query)."""
    languages = {language, DEFAULT_LANGUAGE}
    candidates = LegalDocument.objects.filter(
        document_type=document_type, language__in=languages, is_current=True
    )
    by_language = {document.language: document for document in candidates}
    return by_language.get(language) or by_language.get(DEFAULT_LANGUAGE)


def consent_history(*, user: User, document_type: str | None = None) -> ConsentRecordQuerySet:
    """Every consent record of `user` (withdrawals included), newest first."""
    records = ConsentRecord.objects.for_user(user)
    if document_type:
        records = records.filter(document_type=document_type)
    return records.newest_first()


@dataclass(frozen=True)
class DocumentStatus:
    """One line of the overview: a current document and where the user stands with it."""

    type: str
    title: str
    version: str
    has_user_consented: bool
    user_consent_date: datetime | None
    needs_update: bool
    is_required: bool


def _current_documents_with_latest_decision(*, user: User, language: str) -> QuerySet:
    latest = ConsentRecord.objects.filter(
        user=user,
        document_type=OuterRef("document_type"),
        document_version=OuterRef("version"),
    ).newest_first()
    # Two correlated subqueries in the one SELECT: the overview is one query however long the
    # user's history is.
    return LegalDocument.objects.filter(
        is_current=True, language__in={language, DEFAULT_LANGUAGE}
    ).annotate(
        latest_is_accepted=Subquery(latest.values("is_accepted")[:1]),
        latest_consent_date=Subquery(latest.values("consent_date")[:1]),
    )


def legal_overview(*, user: User, language: str) -> dict:
    """The current version of each type (in `language`, else English) and the user's standing.

    `hasUserConsented`: the user's latest record for that version is an acceptance.
    `needsUpdate`: the document is required and the user has not consented to it.
    A named type with no published version is None; `additional_documents` lists only the
    published ones.
    """
    chosen: dict[str, LegalDocument] = {}
    for document in _current_documents_with_latest_decision(user=user, language=language):
        held = chosen.get(document.document_type)
        if held is None or document.language == language:
            chosen[document.document_type] = document

    def status(document_type: str) -> DocumentStatus | None:
        document = chosen.get(document_type)
        if document is None:
            return None
        consented = bool(document.latest_is_accepted)
        return DocumentStatus(
            type=document.document_type,
            title=document.title,
            version=document.version,
            has_user_consented=consented,
            user_consent_date=document.latest_consent_date if consented else None,
            needs_update=document.is_required and not consented,
            is_required=document.is_required,
        )

    overview = {slot: status(document_type) for document_type, slot in OVERVIEW_SLOTS.items()}
    overview["additional_documents"] = [
        found for found in (status(document_type) for document_type in ADDITIONAL_TYPES) if found
    ]
    return overview


def legal_document_has_consents(*, document: LegalDocument) -> bool:
    """Whether anyone has a consent record (either way) for this document's type and version."""
    return ConsentRecord.objects.filter(
        document_type=document.document_type, document_version=document.version
    ).exists()
