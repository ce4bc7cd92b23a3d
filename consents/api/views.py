"""Consents and legal documents (contract section 6)."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import NotFound
from config.api.fields import client_ip
from config.api.pagination import ArrayPagination
from config.api.parsers import JSONParser
from config.api.renderers import format_datetime
from config.api.schema import error_responses
from consents import selectors, services
from consents.api.serializers import (
    ConsentCreateSerializer,
    ConsentHistoryQuerySerializer,
    ConsentRecordSerializer,
    LegalDocumentSerializer,
    LegalOverviewSerializer,
)
from consents.models import DocumentLanguage, DocumentType, LegalDocument
from consents.sanitizer import sanitize_html

TAGS = ["legal-documents"]
LANGUAGE_PARAMETER = OpenApiParameter(
    "language",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=DocumentLanguage.values,
    description=(
        "The language wanted: `en` or `tr` (a regional form such as `tr-TR` counts as `tr`, "
        "and case does not matter). Without it, the request's language (`X-Language`, then "
        "`Accept-Language`, then English). Any other value means English. English is also "
        "served when the document has no version in the language asked."
    ),
)
DOCUMENT_PARAMETERS = [
    OpenApiParameter(
        "document_type",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        enum=DocumentType.values,
        description="The document type; an unknown type is a 404.",
    ),
    LANGUAGE_PARAMETER,
]
# The HTML page has no scripts, styles only inline, no images and no forms; the policy says so
# to the WebView as well, in case a sanitizer rule is ever loosened by mistake.
HTML_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def requested_language(request) -> str:
    """The `language` query parameter if given, else the request's language (X-Language)."""
    return services.normalize_language(
        request.query_params.get("language") or getattr(request, "LANGUAGE_CODE", None)
    )


def current_document_or_404(document_type: str, language: str) -> LegalDocument:
    if document_type not in DocumentType.values:
        raise NotFound()
    document = selectors.legal_document_current(document_type=document_type, language=language)
    if document is None:
        raise NotFound()
    return document


class ConsentCreateView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Record a consent (an acceptance or a withdrawal)",
        description=(
            "Appends a consent record for the caller. `documentVersion` must be a published "
            "version of `documentType` (in any language), else 404. `isAccepted` must be a JSON "
            "boolean. `platform` comes from `X-Platform`, `language` from `X-Language`. "
            "Records are never changed: a withdrawal is a new record with `isAccepted: false`."
        ),
        request=ConsentCreateSerializer,
        responses={201: ConsentRecordSerializer, **error_responses(404, 415)},
        examples=[
            OpenApiExample(
                "Accept the privacy policy",
                value={
                    "documentType": "privacy_policy",
                    "documentVersion": "1.2.0",
                    "isAccepted": True,
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        serializer = ConsentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.consent_record_create(
            user=request.user,
            **serializer.validated_data,
            platform=request.headers.get("X-Platform"),
            language=getattr(request, "LANGUAGE_CODE", None),
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(ConsentRecordSerializer(record).data, status=201)


class ConsentHistoryView(GenericAPIView):
    serializer_class = ConsentRecordSerializer
    pagination_class = ArrayPagination

    @extend_schema(
        tags=TAGS,
        summary="The caller's consent records, newest first",
        description=(
            "Every consent record of the caller, withdrawals included, newest first; a plain "
            "array paged by `page` and `limit`, with `X-Total-Count` and `Link` headers."
        ),
        parameters=[
            OpenApiParameter(
                "documentType",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                enum=DocumentType.values,
                description="Only records of this document type (an unknown type is a 400).",
            )
        ],
        responses={200: ConsentRecordSerializer(many=True)},
    )
    def get(self, request):
        query = {}
        if "documentType" in request.query_params:
            query["document_type"] = request.query_params["documentType"]
        filters = ConsentHistoryQuerySerializer(data=query)
        filters.is_valid(raise_exception=True)
        records = selectors.consent_history(
            user=request.user, document_type=filters.validated_data.get("document_type")
        )
        page = self.paginate_queryset(records)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class LegalOverviewView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The current legal documents and whether the caller has consented",
        description=(
            "For the current version of each document (in the request language, else "
            "English): `hasUserConsented` when the caller's latest record for that version is "
            "an acceptance, `needsUpdate` when the document is required and not consented to. "
            "A type with no published version is `null`; `additionalDocuments` lists the "
            "published payment and purchase terms."
        ),
        parameters=[LANGUAGE_PARAMETER],
        responses={200: LegalOverviewSerializer},
    )
    def get(self, request):
        overview = selectors.legal_overview(user=request.user, language=requested_language(request))
        return Response(LegalOverviewSerializer(overview).data)


class LegalDocumentView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="The current version of a legal document",
        description=(
            "Public (optional auth). The current version in the `language` asked (default: "
            "the request language), falling back to English; 404 for an unknown type or when "
            "nothing is published."
        ),
        parameters=DOCUMENT_PARAMETERS,
        responses={200: LegalDocumentSerializer},
    )
    def get(self, request, document_type: str):
        document = current_document_or_404(document_type, requested_language(request))
        return Response(LegalDocumentSerializer(document).data)


class FirstRendererNegotiation(BaseContentNegotiation):
    """Errors of the HTML page are always the JSON envelope, whatever `Accept` says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LegalDocumentPageView(APIView):
    """The current version as a complete page for a WebView.

    No authentication at all: the page is the same for everyone, and a WebView holding an
    expired token must still show the policy.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        tags=TAGS,
        summary="The current version of a legal document as an HTML page",
        description=(
            "Public. A complete, mobile-friendly HTML page (title, version, date, body) for a "
            "WebView, in the `language` asked (default: the request language), falling back to "
            "English. Not wrapped in the envelope; a 404 is the JSON envelope."
        ),
        parameters=DOCUMENT_PARAMETERS,
        responses={(200, "text/html"): OpenApiTypes.STR, **error_responses(404)},
    )
    def get(self, request, document_type: str):
        document = current_document_or_404(document_type, requested_language(request))
        # Labels and the date follow the document's own language, not the caller's.
        # mark_safe only on what the sanitizer has just returned.
        body = mark_safe(sanitize_html(document.body_html))
        context = {
            "document": document,
            "body": body,
            # The machine-readable date in the contract's format, like every JSON datetime.
            "published_at_iso": format_datetime(document.published_at),
        }
        with translation.override(document.language):
            html = render_to_string("consents/document_page.html", context)
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Language"] = document.language
        response["Content-Security-Policy"] = HTML_PAGE_CSP
        return response
