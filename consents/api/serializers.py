"""Consents' wire shapes (contract section 6). snake_case here, camelCase on the wire."""

from rest_framework import serializers

from config.api.fields import StrictBooleanField, StrictCharField
from consents.models import VERSION_MAX_LENGTH, ConsentRecord, DocumentType, LegalDocument
from consents.sanitizer import sanitize_html


class ConsentCreateSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_version = StrictCharField(max_length=VERSION_MAX_LENGTH)
    is_accepted = StrictBooleanField()


class ConsentRecordSerializer(serializers.ModelSerializer):
    _id = serializers.CharField(source="id", read_only=True)
    user_id = serializers.CharField(read_only=True)

    class Meta:
        model = ConsentRecord
        fields = [
            "_id",
            "user_id",
            "document_type",
            "document_version",
            "is_accepted",
            "consent_date",
            "platform",
            "language",
        ]
        read_only_fields = fields


class ConsentHistoryQuerySerializer(serializers.Serializer):
    """The `documentType` query parameter (passed in as `document_type`); empty means all."""

    document_type = serializers.ChoiceField(
        choices=DocumentType.choices, required=False, allow_blank=True
    )


class LegalDocumentStatusSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=DocumentType.choices)
    title = serializers.CharField()
    version = serializers.CharField()
    has_user_consented = serializers.BooleanField()
    user_consent_date = serializers.DateTimeField(allow_null=True)
    needs_update = serializers.BooleanField()
    is_required = serializers.BooleanField()


class LegalOverviewSerializer(serializers.Serializer):
    privacy_policy = LegalDocumentStatusSerializer(allow_null=True)
    terms_of_use = LegalDocumentStatusSerializer(allow_null=True)
    consent_form = LegalDocumentStatusSerializer(allow_null=True)
    additional_documents = LegalDocumentStatusSerializer(many=True)


class LegalDocumentSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="document_type", read_only=True)
    html = serializers.SerializerMethodField()

    class Meta:
        model = LegalDocument
        fields = ["type", "title", "version", "language", "is_required", "published_at", "html"]
        read_only_fields = fields

    def get_html(self, document: LegalDocument) -> str:
        # Stored bodies are already clean; cleaning again on the way out is cheap and covers
        # rows that reached the table some other way (a raw import, a restored dump).
        return sanitize_html(document.body_html)
