import factory
from django.utils import timezone

from consents.models import ConsentRecord, DocumentType, LegalDocument, Platform
from consents.services import legal_document_publish
from tests.factories import UserFactory


def publish(
    document_type: str = DocumentType.PRIVACY_POLICY,
    version: str = "1.0.0",
    language: str = "en",
    *,
    title: str | None = None,
    body_html: str = "<p>Body</p>",
    is_required: bool = True,
) -> LegalDocument:
    """Publish through the service, as the admin and the command do."""
    return legal_document_publish(
        document_type=document_type,
        version=version,
        language=language,
        title=title or f"{document_type} {version} {language}",
        body_html=body_html,
        is_required=is_required,
    )


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    """A record written directly (history set-up); the API path is tested through the API."""

    class Meta:
        model = ConsentRecord

    user = factory.SubFactory(UserFactory)
    document_type = DocumentType.PRIVACY_POLICY
    document_version = "1.0.0"
    is_accepted = True
    consent_date = factory.LazyFunction(timezone.now)
    platform = Platform.MOBILE_IOS
    language = "en"
    ip_address = "203.0.113.7"
    user_agent = "yayin-tests"
