from django.urls import path

from consents.api import views

urlpatterns = [
    path("legal-documents/consent", views.ConsentCreateView.as_view(), name="consent-create"),
    path(
        "legal-documents/consent-history",
        views.ConsentHistoryView.as_view(),
        name="consent-history",
    ),
    path("legal-documents/overview", views.LegalOverviewView.as_view(), name="legal-overview"),
    path(
        "legal-documents/document/<str:document_type>",
        views.LegalDocumentView.as_view(),
        name="legal-document",
    ),
    path(
        "legal-documents/document/<str:document_type>/html",
        views.LegalDocumentPageView.as_view(),
        name="legal-document-html",
    ),
]
