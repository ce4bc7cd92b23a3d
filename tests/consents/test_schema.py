import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/legal-documents"


@pytest.fixture(scope="module")
def paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def test_every_consents_endpoint_is_documented(paths):
    assert {path for path in paths if path.startswith(PREFIX)} == {
        f"{PREFIX}/consent",
        f"{PREFIX}/consent-history",
        f"{PREFIX}/overview",
        f"{PREFIX}/document/{{documentType}}",
        f"{PREFIX}/document/{{documentType}}/html",
    }


def test_the_html_page_is_documented_as_html(paths):
    responses = paths[f"{PREFIX}/document/{{documentType}}/html"]["get"]["responses"]

    assert responses["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert list(responses["404"]["content"]) == ["application/json"]


def test_recording_a_consent_carries_the_production_warning(paths):
    operation = paths[f"{PREFIX}/consent"]["post"]

    assert operation["description"].startswith("**Production uyarisi:**")
    assert {"201", "400", "401", "404", "415", "429"} <= set(operation["responses"])


def test_the_history_documents_its_filter_and_paging(paths):
    parameters = paths[f"{PREFIX}/consent-history"]["get"]["parameters"]

    assert {parameter["name"] for parameter in parameters if parameter["in"] == "query"} == {
        "documentType",
        "page",
        "limit",
    }
