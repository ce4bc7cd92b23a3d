import io

import pytest
from django.core.management import call_command

from consents import demo
from consents.models import LegalDocument

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_the_three_named_documents_in_both_languages():
    demo.seed(io.StringIO())

    current = set(
        LegalDocument.objects.filter(is_current=True).values_list("document_type", "language")
    )
    assert current == {
        (document_type, language)
        for document_type in ("privacy_policy", "terms_of_use", "consent_form")
        for language in ("en", "tr")
    }


def test_the_demo_is_idempotent():
    demo.seed(io.StringIO())
    before = list(LegalDocument.objects.values())

    out = io.StringIO()
    demo.seed(out)

    assert list(LegalDocument.objects.values()) == before
    assert "0 legal documents published" in out.getvalue()


def test_seed_demo_runs_the_consents_demo():
    call_command("seed_demo", "--force", stdout=io.StringIO())

    assert LegalDocument.objects.filter(is_current=True).count() == 6
