"""Writes of the consents app: publishing legal documents and recording consents."""

import re

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, InvalidInput, NotFound
from consents.models import (
    VERSION_MAX_LENGTH,
    VERSION_RE,
    ConsentRecord,
    DocumentLanguage,
    DocumentType,
    LegalDocument,
    Platform,
)
from consents.sanitizer import sanitize_html
from consents.selectors import legal_document_has_consents
from users.models import User

TITLE_MAX_LENGTH = 200
USER_AGENT_MAX_LENGTH = 500

UNKNOWN_DOCUMENT_TYPE = _("Not a known document type.")
UNKNOWN_LANGUAGE = _("Not a supported language (en or tr).")
INVALID_VERSION = _("Use a version such as 1.2.0: up to four numbers separated by dots.")
TITLE_REQUIRED = _("A title of at most 200 characters is required.")
BODY_REQUIRED = _("The body is empty once unsafe HTML is removed.")
VERSION_NOT_PUBLISHED = _("This version of the document has not been published.")
VERSION_ALREADY_PUBLISHED = _("This version of the document is already published in this language.")
PUBLISHED_CONCURRENTLY = _("Another version was published at the same moment; try again.")
VERSION_HAS_CONSENTS = _(
    "People have already consented to this version, so it cannot be changed; "
    "publish a new version instead."
)


def _check_document_fields(*, title: str, body_html: str) -> tuple[str, str]:
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput(TITLE_REQUIRED, field="title")
    clean_body = sanitize_html(body_html)
    if not clean_body:
        raise InvalidInput(BODY_REQUIRED, field="bodyHtml")
    return title, clean_body


@transaction.atomic
def legal_document_publish(
    *,
    document_type: str,
    version: str,
    language: str,
    title: str,
    body_html: str,
    is_required: bool,
    published_by: User | None = None,
) -> LegalDocument:
    """Publish a version of a document in one language and make it the current one.

    The body is sanitized before it is stored. The previous current version of that type and
    language stays published (users may have consented to it) but is no longer current; no
    consent record is touched.

    A new privacy policy makes the users' flags stale, so in the same transaction (one UPDATE)
    `privacy_policy_accepted` becomes False for every user whose `privacy_policy_version` is not
    the published version: the flag means "has accepted the current privacy policy", and
    `privacy_policy_version` keeps the last version the user accepted. A user who already
    accepted exactly this version (published earlier in another language) keeps True. Accepting
    the new version sets the flag again (`consent_record_create`).

    Refuses: an unknown type or language, a malformed version, an empty title or body
    (`InvalidInput`); a (type, version, language) that is already published, or a concurrent
    publish of the same type and language (`Conflict`).
    """
    if document_type not in DocumentType.values:
        raise InvalidInput(UNKNOWN_DOCUMENT_TYPE, field="documentType")
    if language not in DocumentLanguage.values:
        raise InvalidInput(UNKNOWN_LANGUAGE, field="language")
    version = (version or "").strip()
    if len(version) > VERSION_MAX_LENGTH or not re.match(VERSION_RE, version):
        raise InvalidInput(INVALID_VERSION, field="version")
    title, clean_body = _check_document_fields(title=title, body_html=body_html)

    same_kind = LegalDocument.objects.filter(document_type=document_type, language=language)
    if same_kind.filter(version=version).exists():
        raise Conflict(VERSION_ALREADY_PUBLISHED)
    # Two publishes of the same type and language queue up here, on the rows of that type and
    # language (all of them, in one order: the set only grows, so every waiter locks the same
    # rows, whereas "the current row" changes under a waiter's feet). The demotion is a fresh
    # statement, so after the wait it sees the row the other publish made current: the later
    # publish wins. With no row at all to queue on, the partial unique constraint refuses the
    # loser below.
    list(same_kind.select_for_update().order_by("pk").values_list("pk", flat=True))
    try:
        with transaction.atomic():
            same_kind.filter(is_current=True).update(is_current=False)
            document = LegalDocument.objects.create(
                document_type=document_type,
                version=version,
                language=language,
                title=title,
                body_html=clean_body,
                is_required=is_required,
                is_current=True,
                published_at=timezone.now(),
                published_by=published_by,
            )
    except IntegrityError as error:
        if same_kind.filter(version=version).exists():
            raise Conflict(VERSION_ALREADY_PUBLISHED) from error
        raise Conflict(PUBLISHED_CONCURRENTLY) from error
    if document_type == DocumentType.PRIVACY_POLICY:
        User.objects.filter(privacy_policy_accepted=True).exclude(
            privacy_policy_version=version
        ).update(privacy_policy_accepted=False)
    return document


@transaction.atomic
def legal_document_update(
    *, document: LegalDocument, title: str, body_html: str, is_required: bool
) -> LegalDocument:
    """Correct a published version's title, body or requirement before anyone relies on it.

    Refuses (`Conflict`) once any user has a consent record for this type and version: what
    they agreed to must stay what it was; a change is then a new version. Refuses an empty
    title or body (`InvalidInput`). Type, version and language never change.
    """
    title, clean_body = _check_document_fields(title=title, body_html=body_html)
    document = LegalDocument.objects.select_for_update().get(pk=document.pk)
    if legal_document_has_consents(document=document):
        raise Conflict(VERSION_HAS_CONSENTS)
    document.title = title
    document.body_html = clean_body
    document.is_required = is_required
    document.save(update_fields=["title", "body_html", "is_required", "updated_at"])
    return document


def normalize_platform(value: str | None) -> str:
    """The `X-Platform` header as a known platform; anything else is `unknown`."""
    value = (value or "").strip().lower()
    return value if value in Platform.values else Platform.UNKNOWN


def normalize_language(value: str | None) -> str:
    """`tr`, `tr-TR`, `TR` → `tr`; anything unsupported → `en`."""
    value = (value or "").strip().lower()[:2]
    return value if value in DocumentLanguage.values else DocumentLanguage.EN


@transaction.atomic
def consent_record_create(
    *,
    user: User,
    document_type: str,
    document_version: str,
    is_accepted: bool,
    platform: str | None = None,
    language: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentRecord:
    """Record one consent decision (an acceptance or a withdrawal) of `user`.

    The version must be published for that type in some language. For the privacy policy the
    user's `privacy_policy_accepted` / `privacy_policy_version` follow in the same transaction:

    - accepting a version that is current (in any language) sets them to True and that version;
    - withdrawing the version the user holds sets them to False and null;
    - anything else (accepting an older version, withdrawing one the user does not hold) leaves
      them as they are.

    The published rows of that type and version are share-locked until the record is
    committed: a correction of that version (`legal_document_update`, which locks the row for
    update and then checks that nobody consented) either finishes first, so the user agrees to
    the corrected text, or waits and then sees this record and refuses.

    Refuses: an unknown type (`InvalidInput`), a version that is not published (`NotFound`).
    """
    if document_type not in DocumentType.values:
        raise InvalidInput(UNKNOWN_DOCUMENT_TYPE, field="documentType")
    if not _share_lock_published(document_type=document_type, version=document_version):
        raise NotFound(VERSION_NOT_PUBLISHED, field="documentVersion")
    published = LegalDocument.objects.filter(document_type=document_type, version=document_version)

    is_privacy_policy = document_type == DocumentType.PRIVACY_POLICY
    if is_privacy_policy:
        # Serialize one user's privacy-policy decisions, so the flags on the user always follow
        # the newest record even when an accept and a withdrawal race.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))

    record = ConsentRecord.objects.create(
        user=user,
        document_type=document_type,
        document_version=document_version,
        is_accepted=is_accepted,
        consent_date=timezone.now(),
        platform=normalize_platform(platform),
        language=normalize_language(language),
        ip_address=ip_address,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
    )
    if is_privacy_policy:
        _privacy_policy_flags_follow(user=user, record=record, published=published)
    return record


def _share_lock_published(*, document_type: str, version: str) -> bool:
    """Lock the published rows of a type and version FOR SHARE; whether there are any.

    FOR SHARE (Django's ORM only has FOR UPDATE) so that consents to the same version never
    wait for one another, only for an editor or a publish holding the rows for update. Rows in
    id order, like the publish, so lockers queue rather than deadlock. Databases without row
    locks (SQLite, the fast test loop) serialize writers anyway: a plain read there.
    """
    if not connection.features.has_select_for_update:
        return LegalDocument.objects.filter(document_type=document_type, version=version).exists()
    table = connection.ops.quote_name(LegalDocument._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE document_type = %s AND version = %s "
            "ORDER BY id FOR SHARE",
            [document_type, version],
        )
        return bool(cursor.fetchall())


def _privacy_policy_flags_follow(*, user: User, record: ConsentRecord, published) -> None:
    users = User.objects.filter(pk=user.pk)
    if record.is_accepted:
        if published.filter(is_current=True).exists():
            users.update(
                privacy_policy_accepted=True, privacy_policy_version=record.document_version
            )
            user.privacy_policy_accepted = True
            user.privacy_policy_version = record.document_version
    elif users.filter(privacy_policy_version=record.document_version).update(
        privacy_policy_accepted=False, privacy_policy_version=None
    ):
        user.privacy_policy_accepted = False
        user.privacy_policy_version = None
