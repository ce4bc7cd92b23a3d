"""The operators' admin: documents published through the service, records read-only."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from consents.models import ConsentRecord, LegalDocument
from tests.consents.factories import ConsentRecordFactory, publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def document(db):
    return publish("privacy_policy", "1.0.0", "en")


@pytest.fixture
def record(user, document):
    return ConsentRecordFactory(user=user, ip_address="198.51.100.23", user_agent="okhttp/4.12")


def records_snapshot():
    return list(ConsentRecord.objects.order_by("id").values())


def test_every_admin_page_opens_for_staff(admin_client, document, record):
    unconsented = publish("terms_of_use", "1.0.0", "en")
    pages = [
        reverse("admin:app_list", args=["consents"]),
        reverse("admin:consents_legaldocument_changelist"),
        reverse("admin:consents_legaldocument_changelist") + "?document_type=privacy_policy",
        reverse("admin:consents_legaldocument_changelist") + "?q=1.0.0",
        reverse("admin:consents_legaldocument_add"),
        reverse("admin:consents_legaldocument_change", args=[document.pk]),
        reverse("admin:consents_legaldocument_change", args=[unconsented.pk]),
        reverse("admin:consents_legaldocument_history", args=[document.pk]),
        reverse("admin:consents_consentrecord_changelist"),
        reverse("admin:consents_consentrecord_changelist")
        + "?document_type=privacy_policy&document_version=1.0.0&is_accepted__exact=1",
        reverse("admin:consents_consentrecord_changelist")
        + "?consent_date__gte=2000-01-01+00%3A00%3A00%2B00%3A00"
        + "&consent_date__lt=2100-01-01+00%3A00%3A00%2B00%3A00",
        reverse("admin:consents_consentrecord_changelist") + "?platform=mobile_ios&language=en",
        reverse("admin:consents_consentrecord_changelist") + f"?q={record.user.username}",
        reverse("admin:consents_consentrecord_changelist") + f"?q={record.user.email}",
        reverse("admin:consents_consentrecord_change", args=[record.pk]),
        reverse("admin:consents_consentrecord_history", args=[record.pk]),
    ]

    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_the_record_page_shows_the_evidence_to_staff(admin_client, record):
    page = admin_client.get(reverse("admin:consents_consentrecord_change", args=[record.pk]))

    content = page.content.decode()
    assert "198.51.100.23" in content
    assert "okhttp/4.12" in content
    assert 'name="_save"' not in content  # view only


def test_search_finds_records_by_username_and_email(admin_client, record, other_user):
    ConsentRecordFactory(user=other_user)
    url = reverse("admin:consents_consentrecord_changelist")

    for term in (record.user.username, record.user.email):
        response = admin_client.get(url, {"q": term})
        assert list(response.context["cl"].queryset) == [record]


def test_records_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, record):
    before = records_snapshot()
    change_url = reverse("admin:consents_consentrecord_change", args=[record.pk])

    add = admin_client.post(
        reverse("admin:consents_consentrecord_add"),
        {"user": record.user_id, "document_type": "terms_of_use", "is_accepted": "on"},
    )
    change = admin_client.post(change_url, {"is_accepted": ""})
    delete = admin_client.post(
        reverse("admin:consents_consentrecord_delete", args=[record.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:consents_consentrecord_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in {200, 302}  # no actions: the changelist just shows again
    assert records_snapshot() == before


def test_non_staff_users_cannot_open_the_admin(client_for, user, record):
    client = Client()
    client.force_login(user)

    response = client.get(reverse("admin:consents_consentrecord_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_adding_a_document_publishes_it_through_the_service(admin_client, staff_user, document):
    response = admin_client.post(
        reverse("admin:consents_legaldocument_add"),
        {
            "document_type": "privacy_policy",
            "version": "1.1.0",
            "language": "en",
            "title": "Privacy Policy 1.1",
            "body_html": '<p onclick="x()">New<script>x()</script></p>',
            "is_required": "on",
        },
    )

    assert response.status_code == 302
    new = LegalDocument.objects.get(version="1.1.0")
    assert new.is_current
    assert new.body_html == "<p>New</p>"
    assert new.published_by == staff_user
    assert new.is_required
    document.refresh_from_db()
    assert not document.is_current
    assert response["Location"] == reverse("admin:consents_legaldocument_changelist")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": "1.0.0"}, "already published in this language"),
        ({"version": "one"}, "Use a version such as 1.2.0"),
        ({"version": "01.0.0"}, "three whole numbers separated by dots (MAJOR.MINOR.PATCH)"),
        ({"version": "1"}, "three whole numbers separated by dots (MAJOR.MINOR.PATCH)"),
        ({"version": "1.0"}, "three whole numbers separated by dots (MAJOR.MINOR.PATCH)"),
        ({"body_html": "<script>only()</script>"}, "empty once unsafe HTML is removed"),
        ({"document_type": "cookies"}, "Select a valid choice"),
    ],
)
def test_a_bad_document_is_a_form_error_and_nothing_changes(
    admin_client, document, changes, message
):
    before = list(LegalDocument.objects.values())
    data = {
        "document_type": "privacy_policy",
        "version": "2.0.0",
        "language": "en",
        "title": "T",
        "body_html": "<p>x</p>",
        **changes,
    }

    response = admin_client.post(reverse("admin:consents_legaldocument_add"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(LegalDocument.objects.values()) == before


def test_a_version_nobody_consented_to_can_be_corrected(admin_client, document):
    response = admin_client.post(
        reverse("admin:consents_legaldocument_change", args=[document.pk]),
        {"title": "Fixed title", "body_html": "<p>Fixed<img src=x></p>", "is_required": "on"},
    )

    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.title, document.body_html, document.version) == (
        "Fixed title",
        "<p>Fixed</p>",
        "1.0.0",
    )


def test_a_version_someone_consented_to_is_view_only(admin_client, document, record):
    url = reverse("admin:consents_legaldocument_change", args=[document.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"title": "Sneaky", "body_html": "<p>x</p>"})

    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.title == "privacy_policy 1.0.0 en"


def test_documents_cannot_be_deleted_in_the_admin(admin_client, document):
    response = admin_client.post(
        reverse("admin:consents_legaldocument_delete", args=[document.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert LegalDocument.objects.filter(pk=document.pk).exists()


def test_a_user_with_consent_records_is_protected_from_deletion(admin_client, user, record):
    url = reverse("admin:users_user_delete", args=[user.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert "Cannot delete user" in page.content.decode()
    assert ConsentRecord.objects.filter(pk=record.pk).exists()
    assert type(user).objects.filter(pk=user.pk).exists()


# --- Who may run the actions -----------------------------------------------------------------
# Neither model has an action: documents are never deleted and records are evidence. A
# view-only operator (like every other) is offered none, and a forged POST changes nothing.

CHANGELISTS = {
    "legaldocument": "admin:consents_legaldocument_changelist",
    "consentrecord": "admin:consents_consentrecord_changelist",
}


def staff_client_with(*codenames: str) -> Client:
    """A staff member (not a superuser) holding only the permissions named."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", CHANGELISTS)
@pytest.mark.parametrize("extra_permissions", [(), ("change", "delete")])
def test_no_operator_is_offered_an_action_and_a_forged_delete_does_nothing(
    document, record, model, extra_permissions
):
    codenames = [f"{perm}_{model}" for perm in ("view", *extra_permissions)]
    client = staff_client_with(*codenames)
    url = reverse(CHANGELISTS[model])
    target = {"legaldocument": document, "consentrecord": record}[model]
    before = (list(LegalDocument.objects.values()), records_snapshot())

    page = client.get(url)
    response = client.post(
        url, {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"}
    )

    assert page.status_code == 200
    assert page.context["action_form"] is None
    assert 'name="action"' not in page.content.decode()
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert (list(LegalDocument.objects.values()), records_snapshot()) == before
