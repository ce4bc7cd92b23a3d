import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import FollowFactory, StaffFactory, UserFactory, image_upload
from tests.helpers import assert_error
from users import services
from users.admin import UserAdmin
from users.models import Follow, ProfilePhoto, User
from users.sessions import tokens_for_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

PASSWORD = "a-strong-admin-password-1"


@pytest.fixture
def superuser(db):
    staff = StaffFactory(username="ops")
    staff.set_password(PASSWORD)
    staff.save()
    return staff


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def photo(user):
    return services.profile_photo_set(user=user, upload=image_upload())


def test_staff_sign_in_with_a_password(superuser):
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "ops", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user == superuser
    assert client.get("/admin/users/user/").status_code == 200


def test_app_users_cannot_sign_in_to_the_admin(user):
    client = Client()
    client.post("/admin/login/", {"username": user.username, "password": "anything"})
    assert client.get("/admin/users/user/").status_code == 302


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/admin/users/user/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=user",
        "?q=555",
        "?is_staff__exact=1",
        "?is_active__exact=0",
        "?registration_completed__exact=1",
        "?gender__exact=female",
        "?expertise__exact=chef",
        "?o=-8",
    ],
)
def test_the_user_changelist_opens_with_search_and_filters(admin_client, user, photo, query):
    assert admin_client.get(f"/admin/users/user/{query}").status_code == 200


@pytest.mark.parametrize("extra", [3, 30])
def test_the_user_changelist_query_count_is_fixed(
    admin_client, superuser, extra, django_assert_max_num_queries
):
    UserFactory.create_batch(extra)
    with django_assert_max_num_queries(7):
        assert admin_client.get("/admin/users/user/").status_code == 200


def test_every_admin_page_opens(admin_client, user, other_user, photo):
    follow = FollowFactory(follower=user, followee=other_user)
    pages = [
        "/admin/",
        "/admin/users/",
        f"/admin/users/user/{user.pk}/change/",
        f"/admin/users/user/{user.pk}/password/",
        f"/admin/users/user/{user.pk}/delete/",
        "/admin/users/user/add/",
        "/admin/users/profilephoto/",
        "/admin/users/profilephoto/?q=user",
        f"/admin/users/profilephoto/{photo.pk}/change/",
        f"/admin/users/profilephoto/{photo.pk}/delete/",
        "/admin/users/follow/",
        f"/admin/users/follow/?q={user.username}",
        f"/admin/users/follow/{follow.pk}/change/",
        f"/admin/users/follow/{follow.pk}/delete/",
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_photos_and_follows_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/users/profilephoto/add/").status_code == 403
    assert admin_client.get("/admin/users/follow/add/").status_code == 403


def test_audit_fields_are_read_only(admin_client, user):
    response = admin_client.get(f"/admin/users/user/{user.pk}/change/")
    form = response.context["adminform"].form
    for name in ("credit_balance", "followers_count", "following_count", "session_version"):
        assert name not in form.fields


def test_staff_can_add_a_staff_member_with_a_password(admin_client):
    response = admin_client.post(
        "/admin/users/user/add/",
        {
            "username": "new.operator",
            "email": "ops2@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="new.operator")
    assert created.check_password(PASSWORD)


def test_staff_can_change_a_password(admin_client, user):
    response = admin_client.post(
        f"/admin/users/user/{user.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_deleting_a_follow_in_the_admin_fixes_the_counters(admin_client, user, other_user):
    services.follow_create(follower=user, followee=other_user)
    follow = Follow.objects.get()

    response = admin_client.post(f"/admin/users/follow/{follow.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert User.objects.get(pk=other_user.pk).followers_count == 0
    assert User.objects.get(pk=user.pk).following_count == 0


def test_deleting_a_user_in_the_admin_fixes_the_counters(admin_client, user, other_user):
    services.follow_create(follower=user, followee=other_user)

    response = admin_client.post(f"/admin/users/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert User.objects.get(pk=other_user.pk).followers_count == 0


def test_deleting_a_photo_in_the_admin_removes_it_and_its_files(
    admin_client, user, photo, django_capture_on_commit_callbacks
):
    storage, name = photo.original.storage, photo.original.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/users/profilephoto/{photo.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not ProfilePhoto.objects.exists()
    assert not storage.exists(name)
    user.refresh_from_db()
    assert user.profile_photo is None


def test_bulk_deleting_users_goes_through_the_service(admin_client, user, other_user):
    services.follow_create(follower=user, followee=other_user)
    third = UserFactory()
    services.follow_create(follower=third, followee=other_user)

    response = admin_client.post(
        "/admin/users/user/",
        {"action": "delete_selected", "_selected_action": [user.pk, third.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=other_user.pk).followers_count == 0


IDENTITY_FIELDS = (
    "username",
    "email",
    "email_verified",
    "country_code",
    "phone_number",
    "interests",
)


def change_url(user: User) -> str:
    return f"/admin/users/user/{user.pk}/change/"


def change_form_data(admin_client, user: User, **changes) -> dict:
    """What the change form posts as it stands, with `changes` on top."""
    form = admin_client.get(change_url(user)).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_identity_fields_are_read_only_in_the_change_form(admin_client, user):
    form = admin_client.get(change_url(user)).context["adminform"].form
    for name in IDENTITY_FIELDS:
        assert name not in form.fields, name


def test_posting_identity_fields_changes_none_of_them(admin_client, user, other_user):
    User.objects.filter(pk=user.pk).update(email_verified=False, interests=["music"])
    before = User.objects.values(*IDENTITY_FIELDS).get(pk=user.pk)
    data = change_form_data(admin_client, user, bio="moderated")
    data.update(
        username="renamed",
        email=other_user.email,
        email_verified="on",
        country_code="1",
        phone_number="2025550100",
        interests='{"not": "a list"}',
    )

    response = admin_client.post(change_url(user), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.values(*IDENTITY_FIELDS).get(pk=user.pk) == before
    assert User.objects.get(pk=user.pk).bio == "moderated"


def test_staff_still_give_a_new_staff_member_a_username_and_email(admin_client):
    form = admin_client.get("/admin/users/user/add/").context["adminform"].form
    assert {"username", "email"} <= set(form.fields)


def test_a_save_does_not_overwrite_counters_moved_meanwhile(admin_client, user, monkeypatch):
    """The form is built from the row as it was; a follow or a payment committed before the
    save must survive it."""
    data = change_form_data(admin_client, user, bio="moderated")
    original_get_object = UserAdmin.get_object

    def get_object_then_others_write(self, request, object_id, from_field=None):
        found = original_get_object(self, request, object_id, from_field)
        User.objects.filter(pk=user.pk).update(followers_count=5, credit_balance=7)
        return found

    monkeypatch.setattr(UserAdmin, "get_object", get_object_then_others_write)

    assert admin_client.post(change_url(user), data).status_code == 302

    saved = User.objects.get(pk=user.pk)
    assert (saved.bio, saved.followers_count, saved.credit_balance) == ("moderated", 5, 7)


def test_deactivating_a_user_ends_their_sessions(admin_client, user):
    tokens = tokens_for_user(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.get("/api/v1/users/me").status_code == 200

    response = admin_client.post(
        change_url(user), change_form_data(admin_client, user, is_active=False)
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert user.session_version == 1
    assert_error(api.get("/api/v1/users/me"), 401)
    # Reactivated later, the account does not get its old sessions back.
    response = admin_client.post(
        change_url(user), change_form_data(admin_client, user, is_active="on")
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).is_active is True
    assert_error(api.get("/api/v1/users/me"), 401)
    refresh = APIClient().post(
        "/api/v1/auth/refresh", {"refreshToken": tokens["refresh_token"]}, format="json"
    )
    assert_error(refresh, 401)


def test_other_admin_edits_keep_the_sessions(admin_client, user):
    response = admin_client.post(change_url(user), change_form_data(admin_client, user, bio="x"))
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).session_version == 0


# --- Who may run the actions -----------------------------------------------------------------
# The users admin's only action is Django's "delete_selected", which needs the model's delete
# permission: a view-only operator is offered none and a forged POST deletes nothing.

CHANGELISTS = {
    "user": "/admin/users/user/",
    "profilephoto": "/admin/users/profilephoto/",
    "follow": "/admin/users/follow/",
}


def staff_client_with(*codenames: str) -> Client:
    """A staff member (not a superuser) holding only the permissions named."""
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def users_snapshot() -> tuple[list, list, list]:
    return (
        list(User.objects.order_by("id").values()),
        list(ProfilePhoto.objects.order_by("id").values()),
        list(Follow.objects.order_by("id").values()),
    )


@pytest.fixture
def rows(user, other_user, photo):
    services.follow_create(follower=user, followee=other_user)
    return {"user": user, "profilephoto": photo, "follow": Follow.objects.get()}


@pytest.mark.parametrize("model", CHANGELISTS)
def test_a_view_only_operator_is_offered_no_action_and_a_forged_delete_does_nothing(
    rows, model, django_capture_on_commit_callbacks
):
    client = staff_client_with(f"view_{model}")
    before = users_snapshot()

    page = client.get(CHANGELISTS[model])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELISTS[model],
            {"action": "delete_selected", "_selected_action": [rows[model].pk], "post": "yes"},
        )

    assert page.status_code == 200
    assert page.context["action_form"] is None
    assert 'name="action"' not in page.content.decode()
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert users_snapshot() == before
    assert rows["profilephoto"].original.storage.exists(rows["profilephoto"].original.name)


@pytest.mark.parametrize("model", CHANGELISTS)
def test_an_operator_with_the_delete_permission_is_offered_the_delete(rows, model):
    client = staff_client_with(f"view_{model}", f"delete_{model}")

    page = client.get(CHANGELISTS[model])

    assert page.status_code == 200
    choices = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert choices == ["", "delete_selected"]


def test_an_operator_with_the_delete_permission_deletes_a_follow_through_the_service(
    rows, user, other_user
):
    client = staff_client_with("view_follow", "delete_follow")

    response = client.post(
        CHANGELISTS["follow"],
        {"action": "delete_selected", "_selected_action": [rows["follow"].pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert User.objects.get(pk=other_user.pk).followers_count == 0
    assert User.objects.get(pk=user.pk).following_count == 0
