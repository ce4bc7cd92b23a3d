import pytest

from consents.models import DocumentType
from tests.consents.factories import publish


@pytest.fixture
def documents(db):
    """The three named documents, version 1.0.0, in en and tr (consent form optional)."""
    published = {}
    for document_type, required in (
        (DocumentType.PRIVACY_POLICY, True),
        (DocumentType.TERMS_OF_USE, True),
        (DocumentType.CONSENT_FORM, False),
    ):
        for language in ("en", "tr"):
            published[(document_type, language)] = publish(
                document_type, "1.0.0", language, is_required=required
            )
    return published
