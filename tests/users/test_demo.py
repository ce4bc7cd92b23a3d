import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from tests.factories import UserFactory
from users import demo, services
from users.credits import services as credits
from users.credits.models import CreditPackage, CreditTransaction
from users.credits.selectors import ledger_audit
from users.models import Follow, ProfilePhoto, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def counts():
    return (
        User.objects.count(),
        ProfilePhoto.objects.count(),
        Follow.objects.count(),
        CreditPackage.objects.count(),
        CreditTransaction.objects.count(),
    )


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


def test_seed_makes_the_credit_packages_the_stores_sell(user_client):
    out = io.StringIO()
    demo.seed(out)

    assert list(
        CreditPackage.objects.values_list(
            "product_id", "name", "credits", "price", "currency", "is_active"
        )
    ) == [
        ("yayin.credits.100", "100 credits", Decimal("100"), Decimal("0.99"), "USD", True),
        ("yayin.credits.500", "500 credits", Decimal("500"), Decimal("4.99"), "USD", True),
        ("yayin.credits.1200", "1200 credits", Decimal("1200"), Decimal("9.99"), "USD", True),
    ]
    listed = user_client.get("/api/v1/credit-packages").json()["data"]
    assert [package["productId"] for package in listed] == [
        "yayin.credits.100",
        "yayin.credits.500",
        "yayin.credits.1200",
    ]
    assert (
        "Credit packages: yayin.credits.100, yayin.credits.500, yayin.credits.1200; "
        "demo_ayse has 250.00 credits."
    ) in out.getvalue()


def test_demo_ayse_gets_250_credits_once_through_a_staff_adjustment():
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    ayse = User.objects.get(username="demo_ayse")
    assert ayse.credit_balance == Decimal("250.00")
    row = CreditTransaction.objects.get()
    assert (row.user, row.type, row.direction, row.amount, row.balance_after) == (
        ayse,
        "adjustment",
        "credit",
        Decimal("250.00"),
        Decimal("250.00"),
    )
    assert (row.reason, row.created_by.username) == ("Demo credits", "admin")
    assert ledger_audit() == []


def test_a_rerun_after_spending_the_demo_credits_adds_none(staff_user):
    demo.seed(io.StringIO())
    ayse = User.objects.get(username="demo_ayse")
    credits.balance_adjust(user=ayse, amount=Decimal("-200"), reason="spent", staff=staff_user)

    demo.seed(io.StringIO())

    assert User.objects.get(pk=ayse.pk).credit_balance == Decimal("50.00")
    assert CreditTransaction.objects.filter(reason="Demo credits").count() == 1
    assert ledger_audit() == []


def test_a_rerun_keeps_the_packages_staff_edited():
    demo.seed(io.StringIO())
    CreditPackage.objects.filter(product_id="yayin.credits.100").update(
        price=Decimal("1.49"), is_active=False
    )

    demo.seed(io.StringIO())

    package = CreditPackage.objects.get(product_id="yayin.credits.100")
    assert (package.price, package.is_active) == (Decimal("1.49"), False)
    assert CreditPackage.objects.count() == 3
