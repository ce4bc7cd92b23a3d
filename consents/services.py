"""Writes of the consents app: publishing legal documents and recording consents."""

import re

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, InvalidInput, NotFound
from consents.models import (
    INVALID_VERSION,
    VERSION_MAX_LENGTH,
    VERSION_RE,
    ConsentRecord,
    DocumentLanguage,
    DocumentType,
    LegalDocument,
    Platform,
    version_key,
)
from consents.sanitizer import sanitize_html
from consents.selectors import legal_document_has_consents
from users.models import User

TITLE_MAX_LENGTH = 200
USER_AGENT_MAX_LENGTH = 500

UNKNOWN_DOCUMENT_TYPE = _("Not a known document type.")
UNKNOWN_LANGUAGE = _("Not a supported language (en or tr).")
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

    A new privacy policy changes which versions are current, so the users' privacy-policy flags
    follow in the same transaction (one UPDATE), by the rule of `consent_record_create`: a user
    whose held version is now current in no language loses `privacy_policy_accepted` unless
    another version current in some language is accepted (the flags then move to it); a user
    who holds a version that is still current in another language keeps the flag (the overview
    in that language still shows it consented); a user whose latest decision about the
    published version is an acceptance (made while it was current in another language) gets
    the flag for it if it is the highest accepted current version.

    Refuses: an unknown type or language, a malformed version, an empty title or body
    (`InvalidInput`); a (type, version, language) that is already published, or a concurrent
    publish of the same type and language (`Conflict`).
    """
    if document_type not in DocumentType.values:
        raise InvalidInput(UNKNOWN_DOCUMENT_TYPE, field="documentType")
    if language not in DocumentLanguage.values:
        raise InvalidInput(UNKNOWN_LANGUAGE, field="language")
    version = (version or "").strip()
    if len(version) > VERSION_MAX_LENGTH or not re.fullmatch(VERSION_RE, version):
        raise InvalidInput(INVALID_VERSION, field="version")
    title, clean_body = _check_document_fields(title=title, body_html=body_html)

    same_kind = LegalDocument.objects.filter(document_type=document_type, language=language)
    if same_kind.filter(version=version).exists():
        raise Conflict(VERSION_ALREADY_PUBLISHED)
    # Two publishes of the same type and language queue up here, on the rows of that type
    # (all of them, in one order: the set only grows, so every waiter locks the same rows,
    # whereas "the current row" changes under a waiter's feet). The demotion is a fresh
    # statement, so after the wait it sees the row the other publish made current: the later
    # publish wins. With no row at all to queue on, the partial unique constraint refuses the
    # loser below.
    #
    # The rows in the other languages are locked as well (publishes of one type in different
    # languages queue up too; publishing is rare): a consent share-locks every row of the
    # version it records (`_share_lock_published`), so a consent to a privacy-policy version
    # current in another language waits for this publish (or this publish for it), and the
    # flags below are computed from every committed record.
    list(
        LegalDocument.objects.filter(document_type=document_type)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
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
        # Only these users' flags can change: those holding a current version (it may have
        # just been demoted) and those with a decision about the version now published.
        decided_on_it = ConsentRecord.objects.filter(
            user=OuterRef("pk"), document_type=DocumentType.PRIVACY_POLICY, document_version=version
        )
        _privacy_policy_flags_refresh(
            users=User.objects.filter(Q(privacy_policy_accepted=True) | Exists(decided_on_it))
        )
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
    user's `privacy_policy_accepted` / `privacy_policy_version` follow in the same transaction,
    by one rule (the same one a publish applies, `legal_document_publish`), which matches the
    overview in every language:

    - `privacy_policy_accepted` is True exactly when, for some version that is current in at
      least one language, the user's latest record is an acceptance (the overview in that
      language shows it consented);
    - `privacy_policy_version` is then the highest such version (by its numbers): accepting an
      older version that is still current somewhere never moves it backwards, accepting a newer
      current one moves it forwards;
    - with no such version the flag is False and the version stays the last one the user held
      (a new policy made it stale: "you accepted 1.0.0, please review 2.0.0"), or becomes null
      when this record withdraws exactly that version.

    So withdrawing a version the user does not hold, or accepting a version that is current
    nowhere, changes neither; withdrawing the held version falls back to another accepted
    current version if there is one.

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
        _privacy_policy_flags_refresh(
            users=User.objects.filter(pk=user.pk),
            withdrawn_version=None if is_accepted else document_version,
        )
        user.privacy_policy_accepted, user.privacy_policy_version = (
            User.objects.filter(pk=user.pk)
            .values_list("privacy_policy_accepted", "privacy_policy_version")
            .get()
        )
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


def _privacy_policy_flags_refresh(*, users: QuerySet, withdrawn_version: str | None = None) -> None:
    """Set `users`' privacy-policy flags by the rule in `consent_record_create`, in one UPDATE.

    The current versions (one per language, so at most a handful) are read here; for each, a
    correlated subquery reads the user's latest decision about it. The highest accepted one
    wins; with none, the flag is False and the version stays, unless it is `withdrawn_version`.
    """
    current_versions = sorted(
        set(
            LegalDocument.objects.filter(
                document_type=DocumentType.PRIVACY_POLICY, is_current=True
            ).values_list("version", flat=True)
        ),
        key=version_key,
        reverse=True,
    )
    accepted_whens = []
    version_whens = []
    for version in current_versions:
        latest_is_accepted = Subquery(
            ConsentRecord.objects.filter(
                user=OuterRef("pk"),
                document_type=DocumentType.PRIVACY_POLICY,
                document_version=version,
            )
            .newest_first()
            .values("is_accepted")[:1],
            output_field=BooleanField(),
        )
        accepted_whens.append(When(latest_is_accepted, then=Value(True)))
        version_whens.append(When(latest_is_accepted, then=Value(version)))
    if withdrawn_version is not None:
        version_whens.append(
            When(privacy_policy_version=withdrawn_version, then=Value(None, CharField()))
        )
    users.update(
        privacy_policy_accepted=Case(*accepted_whens, default=Value(False)),
        privacy_policy_version=Case(
            *version_whens, default=F("privacy_policy_version"), output_field=CharField()
        ),
    )
