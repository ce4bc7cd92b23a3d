"""Publishing legal documents: the service and `manage.py publish_legal_document`."""

from functools import partial

import pytest
from django.core.management import CommandError, call_command

from config.api.errors import Conflict, InvalidInput
from consents.models import LegalDocument
from consents.services import (
    BODY_REQUIRED,
    INVALID_VERSION,
    PUBLISHED_CONCURRENTLY,
    TITLE_REQUIRED,
    UNKNOWN_DOCUMENT_TYPE,
    UNKNOWN_LANGUAGE,
    VERSION_ALREADY_PUBLISHED,
    VERSION_HAS_CONSENTS,
    legal_document_publish,
    legal_document_update,
)
from tests.consents.factories import ConsentRecordFactory, publish
from tests.helpers import run_together

pytestmark = pytest.mark.django_db

VALID = {
    "document_type": "privacy_policy",
    "version": "1.2.0",
    "language": "tr",
    "title": "Gizlilik Politikası",
    "body_html": "<p>Metin</p>",
    "is_required": True,
}


def test_publishing_makes_the_new_version_current_for_its_language_only(staff_user):
    old_tr = publish("privacy_policy", "1.1.0", "tr")
    old_en = publish("privacy_policy", "1.1.0", "en")

    document = legal_document_publish(**VALID, published_by=staff_user)

    assert document.is_current
    assert document.published_by == staff_user
    old_tr.refresh_from_db()
    old_en.refresh_from_db()
    assert not old_tr.is_current
    assert old_en.is_current
    assert LegalDocument.objects.count() == 3


def test_republishing_the_same_version_and_language_is_a_conflict():
    first = legal_document_publish(**VALID)

    with pytest.raises(Conflict) as refused:
        legal_document_publish(**{**VALID, "title": "Again"})

    assert refused.value.message == VERSION_ALREADY_PUBLISHED
    assert list(LegalDocument.objects.values_list("pk", "title", "is_current")) == [
        (first.pk, "Gizlilik Politikası", True)
    ]


def test_the_same_version_in_another_language_is_fine():
    legal_document_publish(**VALID)

    legal_document_publish(**{**VALID, "language": "en", "title": "Privacy Policy"})

    assert LegalDocument.objects.filter(is_current=True).count() == 2


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"document_type": "cookies"}, UNKNOWN_DOCUMENT_TYPE, "documentType"),
        ({"language": "de"}, UNKNOWN_LANGUAGE, "language"),
        ({"version": "v1"}, INVALID_VERSION, "version"),
        ({"version": ""}, INVALID_VERSION, "version"),
        ({"version": "1.2.3.4.5"}, INVALID_VERSION, "version"),
        ({"version": "1." + "1" * 20}, INVALID_VERSION, "version"),
        # Only a canonical MAJOR.MINOR.PATCH: anything else could sit next to 1.0.0 as a
        # "different" version of the same text.
        ({"version": "01.0.0"}, INVALID_VERSION, "version"),
        ({"version": "1.00.0"}, INVALID_VERSION, "version"),
        ({"version": "1.0.01"}, INVALID_VERSION, "version"),
        ({"version": "1"}, INVALID_VERSION, "version"),
        ({"version": "1.0"}, INVALID_VERSION, "version"),
        ({"version": "1.0.0.0"}, INVALID_VERSION, "version"),
        ({"version": "1.0.0-rc.1"}, INVALID_VERSION, "version"),
        ({"version": "-1.0.0"}, INVALID_VERSION, "version"),
        ({"version": "1.0.0\n1"}, INVALID_VERSION, "version"),
        ({"version": "1\u0661.0.0"}, INVALID_VERSION, "version"),  # an Arabic-Indic digit
        ({"version": "\uff11.0.0"}, INVALID_VERSION, "version"),  # a full-width digit
        ({"title": "  "}, TITLE_REQUIRED, "title"),
        ({"title": "x" * 201}, TITLE_REQUIRED, "title"),
        ({"body_html": "<script>alert(1)</script>"}, BODY_REQUIRED, "bodyHtml"),
        ({"body_html": ""}, BODY_REQUIRED, "bodyHtml"),
    ],
)
def test_bad_documents_are_refused_and_nothing_changes(changes, error, field):
    current = publish("privacy_policy", "1.0.0", "tr")

    with pytest.raises(InvalidInput) as refused:
        legal_document_publish(**{**VALID, **changes})

    assert (refused.value.message, refused.value.field) == (error, field)
    assert list(LegalDocument.objects.values_list("pk", "is_current")) == [(current.pk, True)]


@pytest.mark.parametrize("version", ["0.0.0", "0.1.0", "10.20.30", " 1.2.0 "])
def test_canonical_versions_are_published(version):
    document = legal_document_publish(**{**VALID, "version": version})

    assert document.version == version.strip()


def test_the_body_is_sanitized_when_stored():
    document = legal_document_publish(
        **{**VALID, "body_html": '<p onclick="x()">Hi<script>bad()</script></p><img src="x">'}
    )

    assert document.body_html == "<p>Hi</p>"
    assert LegalDocument.objects.get().body_html == "<p>Hi</p>"


def test_a_version_nobody_consented_to_can_be_corrected():
    document = legal_document_publish(**VALID)

    legal_document_update(
        document=document,
        title="Düzeltildi",
        body_html="<p>Yeni<script></script></p>",
        is_required=False,
    )

    document.refresh_from_db()
    assert (document.title, document.body_html, document.is_required) == (
        "Düzeltildi",
        "<p>Yeni</p>",
        False,
    )
    assert document.is_current


def test_a_version_someone_consented_to_cannot_be_changed(user):
    document = legal_document_publish(**VALID)
    ConsentRecordFactory(user=user, document_type="privacy_policy", document_version="1.2.0")

    with pytest.raises(Conflict) as refused:
        legal_document_update(
            document=document, title="New", body_html="<p>x</p>", is_required=True
        )

    assert refused.value.message == VERSION_HAS_CONSENTS
    document.refresh_from_db()
    assert document.title == "Gizlilik Politikası"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_leave_exactly_one_current_version():
    publish("privacy_policy", "1.0.0", "tr")
    results = run_together(
        *(
            partial(legal_document_publish, **{**VALID, "version": f"2.0.{index}"})
            for index in range(4)
        )
    )
    outcomes = [str(r.message) if isinstance(r, Conflict) else "ok" for r in results]
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]

    # They queue on the current row: every publish succeeds and the last one is current.
    assert outcomes == ["ok"] * 4
    current = LegalDocument.objects.get(language="tr", is_current=True)
    assert current.published_at == LegalDocument.objects.latest("published_at").published_at
    assert LegalDocument.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_publishes_refuse_all_but_one():
    results = run_together(
        *(
            partial(legal_document_publish, **{**VALID, "version": f"2.0.{index}"})
            for index in range(4)
        )
    )
    outcomes = [str(r.message) if isinstance(r, Conflict) else "ok" for r in results]
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]

    assert outcomes.count("ok") >= 1
    assert set(outcomes) <= {"ok", str(PUBLISHED_CONCURRENTLY)}
    assert LegalDocument.objects.filter(is_current=True).count() == 1
    assert LegalDocument.objects.count() == outcomes.count("ok")


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def body_file(tmp_path):
    path = tmp_path / "body.html"
    path.write_text('<h2>Başlık</h2><p onmouseover="x()">Metin</p><script>x()</script>', "utf-8")
    return path


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("publish_legal_document", *args, stdout=out)
    return out.getvalue()


def test_the_command_publishes_a_sanitized_current_version(body_file):
    output = run(
        "--type", "privacy_policy", "--version", "1.2.0", "--language", "tr",
        "--title", "Gizlilik Politikası", "--file", str(body_file), "--required",
    )  # fmt: skip

    document = LegalDocument.objects.get()
    assert (document.document_type, document.version, document.language) == (
        "privacy_policy",
        "1.2.0",
        "tr",
    )
    assert document.title == "Gizlilik Politikası"
    assert document.body_html == "<h2>Başlık</h2><p>Metin</p>"
    assert document.is_required is True
    assert document.is_current is True
    assert "Published privacy_policy 1.2.0 (tr, required)" in output


def test_the_command_publishes_optional_documents_without_required(body_file):
    run(
        "--type", "consent_form", "--version", "1.0.0", "--language", "en",
        "--title", "Consent", "--file", str(body_file),
    )  # fmt: skip

    assert LegalDocument.objects.get().is_required is False


def test_the_command_refuses_to_republish(body_file):
    args = ["--type", "terms_of_use", "--version", "1.0.0", "--language", "en", "--title", "T",
            "--file", str(body_file)]  # fmt: skip
    run(*args)

    with pytest.raises(CommandError, match="already published in this language"):
        run(*args)

    assert LegalDocument.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--version": "latest"}, "version: Use a version such as 1.2.0"),
        ({"--title": " "}, "title: A title"),
        ({"--file": "/nonexistent/body.html"}, "Cannot read /nonexistent/body.html"),
    ],
)
def test_the_command_refuses_bad_input(body_file, changes, message):
    options = {
        "--type": "terms_of_use",
        "--version": "1.0.0",
        "--language": "en",
        "--title": "T",
        "--file": str(body_file),
        **changes,
    }

    with pytest.raises(CommandError, match=message):
        run(*[part for pair in options.items() for part in pair])

    assert not LegalDocument.objects.exists()


@pytest.mark.parametrize("version", ["01.0.0", "1", "1.0", "1.0.0.0", "v1.0.0"])
def test_the_command_refuses_a_version_that_is_not_canonical(body_file, version):
    args = ["--type", "privacy_policy", "--language", "en", "--title", "T",
            "--file", str(body_file)]  # fmt: skip
    run(*args, "--version", "1.0.0")

    with pytest.raises(CommandError) as refused:
        run(*args, "--version", version)

    assert str(refused.value) == (
        "version: Use a version such as 1.2.0: three whole numbers separated by dots "
        "(MAJOR.MINOR.PATCH), without leading zeros."
    )
    assert list(LegalDocument.objects.values_list("version", flat=True)) == ["1.0.0"]


def test_the_command_refuses_an_unknown_type(body_file):
    with pytest.raises(CommandError, match="invalid choice"):
        run("--type", "cookies", "--version", "1.0.0", "--language", "en", "--title", "T",
            "--file", str(body_file))  # fmt: skip


def test_the_command_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.html"
    path.write_bytes("<p>Gizlilik \xfe</p>".encode("latin-1"))

    with pytest.raises(CommandError, match="Cannot read"):
        run("--type", "terms_of_use", "--version", "1.0.0", "--language", "en", "--title", "T",
            "--file", str(path))  # fmt: skip
