"""GET /api/v1/legal-documents/document/{type} and .../{type}/html"""

import datetime

import pytest
import time_machine

from consents.models import LegalDocument
from tests.consents.factories import publish
from tests.helpers import assert_error, assert_success

pytestmark = pytest.mark.django_db

URL = "/api/v1/legal-documents/document/{}"
HTML_URL = "/api/v1/legal-documents/document/{}/html"
PUBLISHED = datetime.datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=datetime.UTC)
HOSTILE_BODY = (
    '<h2 onclick="steal()">Terms</h2>'
    "<script>alert(1)</script><SCRIPT SRC=https://evil.example/x.js></SCRIPT>"
    '<p>Read <a href="javascript:alert(1)">this</a> and <a href="https://ok.example/">that</a>.</p>'
    '<img src="https://tracker.example/pixel.gif"><img src=x onerror=alert(1)>'
    '<iframe src="https://evil.example"></iframe><object data="x.swf"></object><embed src="x">'
    "<svg><script>alert(2)</script></svg><style>body{background:url(https://evil.example)}</style>"
    '<div style="background:url(https://evil.example/)">styled</div>'
    "<scr<script>ipt>alert(3)</scr</script>ipt>"
    '<form action="https://evil.example"><input name="card"></form>'
)


@pytest.fixture
def terms(db):
    with time_machine.travel(PUBLISHED, tick=False):
        return {
            "en": publish("terms_of_use", "2.1.0", "en", title="Terms of Use", is_required=True),
            "tr": publish(
                "terms_of_use",
                "2.1.0",
                "tr",
                title="Kullanım Koşulları",
                body_html="<p>Türkçe metin</p>",
            ),
        }


# --- the JSON document ----------------------------------------------------------------------


def test_anyone_can_read_the_current_document(api_client, terms):
    data = assert_success(api_client.get(URL.format("terms_of_use")))

    assert data == {
        "type": "terms_of_use",
        "title": "Terms of Use",
        "version": "2.1.0",
        "language": "en",
        "isRequired": True,
        "publishedAt": "2026-02-03T04:05:06.789Z",
        "html": "<p>Body</p>",
    }


@pytest.mark.parametrize("caller", ["user_client", "other_client", "staff_client"])
def test_signed_in_callers_read_the_same_document(request, caller, terms):
    client = request.getfixturevalue(caller)

    assert assert_success(client.get(URL.format("terms_of_use")))["version"] == "2.1.0"


def test_an_invalid_token_is_still_a_401(api_client, terms):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer forged")

    assert_error(api_client.get(URL.format("terms_of_use")), 401)


@pytest.mark.parametrize(
    ("params", "headers", "language", "title"),
    [
        ({}, {"HTTP_X_LANGUAGE": "tr"}, "tr", "Kullanım Koşulları"),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "tr"}, "tr", "Kullanım Koşulları"),
        ({"language": "tr"}, {"HTTP_X_LANGUAGE": "en"}, "tr", "Kullanım Koşulları"),
        ({"language": "en"}, {"HTTP_X_LANGUAGE": "tr"}, "en", "Terms of Use"),
        ({"language": "de"}, {}, "en", "Terms of Use"),
    ],
)
def test_it_serves_the_language_asked_for(api_client, terms, params, headers, language, title):
    data = assert_success(api_client.get(URL.format("terms_of_use"), params, **headers))

    assert (data["language"], data["title"]) == (language, title)


def test_it_falls_back_to_english(api_client, terms):
    publish("privacy_policy", "1.0.0", "en", title="Privacy Policy")

    data = assert_success(api_client.get(URL.format("privacy_policy"), {"language": "tr"}))

    assert (data["language"], data["title"]) == ("en", "Privacy Policy")


def test_it_serves_the_current_version_only(api_client, terms):
    publish("terms_of_use", "2.2.0", "en", title="Terms of Use 2.2")

    data = assert_success(api_client.get(URL.format("terms_of_use")))

    assert (data["version"], data["title"]) == ("2.2.0", "Terms of Use 2.2")


@pytest.mark.parametrize("document_type", ["cookies", "Terms_Of_Use", "privacy_policy", "%00"])
def test_an_unknown_type_or_nothing_published_is_a_404(api_client, terms, document_type):
    assert_error(api_client.get(URL.format(document_type)), 404, ["Resource not found"])


def test_only_a_tr_version_is_not_served_in_english(api_client):
    publish("payment_terms", "1.0.0", "tr")

    assert_error(api_client.get(URL.format("payment_terms")), 404)


def test_html_is_clean_even_for_a_row_written_around_the_service(api_client, terms):
    LegalDocument.objects.filter(pk=terms["en"].pk).update(body_html=HOSTILE_BODY)

    html = assert_success(api_client.get(URL.format("terms_of_use")))["html"]

    assert "<script" not in html.lower()
    assert "onclick" not in html
    assert "javascript:" not in html


# --- the HTML page --------------------------------------------------------------------------


def test_the_page_is_a_complete_mobile_friendly_html_document(api_client, terms):
    response = api_client.get(HTML_URL.format("terms_of_use"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Language"] == "en"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1' in page
    assert "<title>Terms of Use</title>" in page
    assert "<h1>Terms of Use</h1>" in page
    assert "Version 2.1.0" in page
    # The contract's datetime format (UTC, milliseconds, Z), as in every JSON response.
    assert '<time datetime="2026-02-03T04:05:06.789Z">3 February 2026</time>' in page
    assert "<p>Body</p>" in page
    assert page.rstrip().endswith("</html>")
    # Nothing is loaded from anywhere: no stylesheet, script, font or image.
    assert "<link" not in page
    assert "src=" not in page
    assert "url(" not in page


def test_the_page_is_in_the_document_language(api_client, terms):
    response = api_client.get(HTML_URL.format("terms_of_use"), {"language": "tr"})

    page = response.content.decode()
    assert response["Content-Language"] == "tr"
    assert '<html lang="tr"' in page
    assert "Sürüm 2.1.0" in page
    assert "3 Şubat 2026" in page
    assert "<p>Türkçe metin</p>" in page


def test_the_page_falls_back_to_english(api_client):
    publish("privacy_policy", "1.0.0", "en", title="Privacy Policy")

    response = api_client.get(HTML_URL.format("privacy_policy"), HTTP_X_LANGUAGE="tr")

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "<h1>Privacy Policy</h1>" in response.content.decode()


def test_the_title_is_escaped(api_client):
    publish("privacy_policy", "1.0.0", "en", title="<script>alert(1)</script> & Co")

    page = api_client.get(HTML_URL.format("privacy_policy")).content.decode()

    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</title>" in page


def test_a_hostile_body_never_reaches_the_page(api_client):
    document = publish("privacy_policy", "1.0.0", "en", body_html=HOSTILE_BODY)

    page = api_client.get(HTML_URL.format("privacy_policy")).content.decode()

    for needle in (
        "<script",
        "onclick",
        "onerror",
        "javascript:",
        "<iframe",
        "<object",
        "<embed",
        "<img",
        "<svg",
        "<form",
        "<input",
        "evil.example",
        "tracker.example",
    ):
        assert needle not in page.lower(), needle
        assert needle not in document.body_html.lower(), needle
    assert '<a href="https://ok.example/" rel="noopener noreferrer nofollow">that</a>' in page
    assert "<div>styled</div>" in page


def test_a_row_written_around_the_service_is_still_cleaned_on_the_page(api_client, terms):
    LegalDocument.objects.filter(pk=terms["en"].pk).update(body_html=HOSTILE_BODY)

    page = api_client.get(HTML_URL.format("terms_of_use")).content.decode()

    assert "<script" not in page.lower()
    assert "onclick" not in page


def test_the_page_ignores_an_invalid_token(api_client, terms):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired")

    assert api_client.get(HTML_URL.format("terms_of_use")).status_code == 200


@pytest.mark.parametrize("document_type", ["cookies", "payment_terms"])
@pytest.mark.parametrize("accept", ["text/html", "application/json", "*/*"])
def test_a_missing_page_is_a_404_in_the_envelope(api_client, terms, document_type, accept):
    response = api_client.get(HTML_URL.format(document_type), HTTP_ACCEPT=accept)

    assert_error(response, 404, ["Resource not found"])


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_documents_cannot_be_written_through_the_api(user_client, staff_client, terms, method):
    for client in (user_client, staff_client):
        for url in (URL, HTML_URL):
            response = getattr(client, method)(url.format("terms_of_use"), {}, format="json")
            assert_error(response, 405)
    assert LegalDocument.objects.count() == 2
