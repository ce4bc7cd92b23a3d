import io

import pytest
from django.core.management import call_command

from tests.factories import UserFactory
from users import demo, services
from users.models import Follow, ProfilePhoto, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def counts():
    return (User.objects.count(), ProfilePhoto.objects.count(), Follow.objects.count())


def test_seed_makes_an_admin_app_users_photos_and_follows():
    out = io.StringIO()
    demo.seed(out)

    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.check_password(demo.DEMO_ADMIN_PASSWORD)
    assert demo.DEMO_ADMIN_PASSWORD in out.getvalue()

    app_users = User.objects.filter(username__startswith="demo_")
    assert app_users.count() >= 6
    for user in app_users:
        assert user.registration_completed
        # They sign in by email: only a verified address is a sign-in identity.
        assert (user.email, user.email_verified) == (f"{user.username}@example.com", True)
        assert user.profile_photo is not None
        assert user.followers_count == Follow.objects.filter(followee=user).count()
        assert user.following_count == Follow.objects.filter(follower=user).count()
    assert Follow.objects.count() == len(demo.DEMO_FOLLOWS)


def test_seed_is_idempotent():
    demo.seed(io.StringIO())
    before = counts()
    photo_ids = set(ProfilePhoto.objects.values_list("id", flat=True))

    demo.seed(io.StringIO())

    assert counts() == before
    assert set(ProfilePhoto.objects.values_list("id", flat=True)) == photo_ids


def test_the_seed_demo_command_runs_it():
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert "admin" in out.getvalue()
    assert User.objects.filter(username="demo_ayse").exists()


def test_demo_users_are_searchable(client_for):
    demo.seed(io.StringIO())
    client = client_for(User.objects.get(username="demo_ayse"))
    response = client.get("/api/v1/users/search", {"q": "demo_"})
    assert response.json()["data"]["pagination"]["totalItems"] == 6


def test_a_rerun_verifies_the_emails_of_demo_users_seeded_before():
    demo.seed(io.StringIO())
    User.objects.filter(username__startswith="demo_").update(email_verified=False)
    User.objects.filter(username="demo_can").update(email="changed@example.com")

    demo.seed(io.StringIO())

    verified = dict(
        User.objects.filter(username__startswith="demo_").values_list("username", "email_verified")
    )
    # An address someone changed is not the demo's to vouch for.
    assert verified.pop("demo_can") is False
    assert set(verified.values()) == {True}


def test_the_summary_counts_only_follows_between_demo_users_on_a_rerun():
    first = io.StringIO()
    demo.seed(first)
    outsider = UserFactory()
    ayse = User.objects.get(username="demo_ayse")
    services.follow_create(follower=ayse, followee=outsider)
    services.follow_create(follower=outsider, followee=ayse)

    again = io.StringIO()
    demo.seed(again)

    summary = f"({len(demo.DEMO_FOLLOWS)} follows between them)."
    assert summary in first.getvalue()
    assert summary in again.getvalue()
    assert Follow.objects.count() == len(demo.DEMO_FOLLOWS) + 2


def test_demo_elif_has_the_id_the_docs_examples_use():
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert User.objects.get(username="demo_elif").pk == "64d15f9e2e6c8f4d5a654321"
    assert User.objects.filter(pk="64d15f9e2e6c8f4d5a654321").count() == 1
