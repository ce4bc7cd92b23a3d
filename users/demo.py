"""Demo users for `manage.py seed_demo`: a staff admin, app users with photos, follows, the
credit packages the stores sell, and credits for demo_ayse.

Idempotent: a second run finds everything in place and adds nothing. Writes go through the
same services as the API, so photos are processed, counters are right and every credit is a
ledger row.
"""

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from users import services
from users.credits import services as credits
from users.credits.models import CreditPackage, CreditTransaction, TransactionType, format_credits
from users.models import AvailabilityStatus, Follow, User

DEMO_ADMIN_USERNAME = "admin"
# A fixed password for a local demo database only; it is printed so the admin can be tried.
DEMO_ADMIN_PASSWORD = "yayin-demo-admin"

DEMO_USERS = [
    # username, name, surname, gender, expertise, interests, color
    ("demo_ayse", "Ayşe", "Yılmaz", "female", "musician", ["music", "art"], (231, 76, 60)),
    ("demo_mehmet", "Mehmet", "Kaya", "male", "chef", ["food", "travel"], (46, 204, 113)),
    ("demo_zeynep", "Zeynep", "Demir", "female", "trainer", ["fitness", "sports"], (52, 152, 219)),
    ("demo_can", "Can", "Şahin", "male", "gamer", ["gaming", "technology"], (155, 89, 182)),
    ("demo_elif", "Elif", "Çelik", "female", "educator", ["education", "business"], (241, 196, 15)),
    ("demo_emre", "Emre", "Öztürk", "male", "developer", ["technology", "music"], (230, 126, 34)),
]
# Fixed ids where the docs name a demo user: the contract's example guest id (the live stream
# create example in Swagger UI) is demo_elif's, so "Try it out" works against `make run`.
DEMO_USER_IDS = {"demo_elif": "64d15f9e2e6c8f4d5a654321"}
# (follower, followee) pairs.
DEMO_FOLLOWS = [
    ("demo_mehmet", "demo_ayse"),
    ("demo_zeynep", "demo_ayse"),
    ("demo_can", "demo_ayse"),
    ("demo_elif", "demo_ayse"),
    ("demo_emre", "demo_ayse"),
    ("demo_ayse", "demo_mehmet"),
    ("demo_ayse", "demo_zeynep"),
    ("demo_can", "demo_emre"),
    ("demo_emre", "demo_can"),
    ("demo_elif", "demo_zeynep"),
]


# product id, name, credits, price (USD): what RevenueCat would report for the store products.
DEMO_CREDIT_PACKAGES = [
    ("yayin.credits.100", "100 credits", Decimal("100"), Decimal("0.99")),
    ("yayin.credits.500", "500 credits", Decimal("500"), Decimal("4.99")),
    ("yayin.credits.1200", "1200 credits", Decimal("1200"), Decimal("9.99")),
]
# demo_ayse can buy tickets, fund and rent replays from the start.
DEMO_CREDITS_USER = "demo_ayse"
DEMO_CREDITS = Decimal("250")
DEMO_CREDITS_REASON = "Demo credits"


def _photo(initial: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (256, 256), color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((48, 48, 208, 208), fill=(255, 255, 255))
    draw.text((118, 118), initial, fill=color)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("demo.png", buffer.getvalue(), content_type="image/png")


def _seed_admin(stdout) -> User:
    admin, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME,
        defaults={"name": "Demo", "surname": "Admin", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(DEMO_ADMIN_PASSWORD)
        admin.save(update_fields=["password"])
        stdout.write(f"Admin user: {DEMO_ADMIN_USERNAME} / password: {DEMO_ADMIN_PASSWORD}")
    else:
        stdout.write(
            f"Admin user: {DEMO_ADMIN_USERNAME} (already there; its demo password is "
            f"{DEMO_ADMIN_PASSWORD} unless someone changed it)"
        )
    return admin


def _seed_app_users() -> dict[str, User]:
    users = {}
    for index, (username, name, surname, gender, expertise, interests, color) in enumerate(
        DEMO_USERS, start=1
    ):
        demo_email = f"{username}@example.com"
        fixed_id = {"id": DEMO_USER_IDS[username]} if username in DEMO_USER_IDS else {}
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={
                **fixed_id,
                "name": name,
                "surname": surname,
                "gender": gender,
                "expertise": expertise,
                "interests": interests,
                "email": demo_email,
                "email_verified": True,
                "country_code": "90",
                "phone_number": f"55500001{index:02d}",
                "birth_date": f"199{index}-0{index}-1{index}",
                "bio": f"{name} — yayin demo",
                "availability_status": AvailabilityStatus.AVAILABLE,
                "onboarding_step_1_done": True,
                "onboarding_step_2_done": True,
                "onboarding_step_3_done": True,
                "registration_completed": True,
            },
        )
        if not user.email_verified and (user.email or "").lower() == demo_email:
            # A row from a run before addresses were verified: demo users sign in by email.
            user.email_verified = True
            user.save(update_fields=["email_verified", "updated_at"])
        if user.profile_photo_id is None:
            services.profile_photo_set(user=user, upload=_photo(name[0], color))
        users[username] = user
    return users


def _seed_credit_packages() -> list[CreditPackage]:
    """Made once each; a package staff have edited since keeps their changes."""
    return [
        CreditPackage.objects.get_or_create(
            product_id=product_id,
            defaults={"name": name, "credits": amount, "price": price, "currency": "USD"},
        )[0]
        for product_id, name, amount, price in DEMO_CREDIT_PACKAGES
    ]


def _seed_credits(user: User, admin: User) -> None:
    """A staff adjustment, once: a re-run finds the row by its reason and adds nothing."""
    already = CreditTransaction.objects.filter(
        user=user, type=TransactionType.ADJUSTMENT, reason=DEMO_CREDITS_REASON
    ).exists()
    if not already:
        credits.balance_adjust(
            user=user, amount=DEMO_CREDITS, reason=DEMO_CREDITS_REASON, staff=admin
        )


def seed(stdout) -> None:
    admin = _seed_admin(stdout)
    users = _seed_app_users()
    for follower, followee in DEMO_FOLLOWS:
        services.follow_create(follower=users[follower], followee=users[followee])
    demo_users = list(users.values())
    # Both ends demo: a demo user may have followed (or been followed by) someone else since.
    follows = Follow.objects.filter(follower__in=demo_users, followee__in=demo_users).count()
    stdout.write(f"App users: {', '.join(users)} ({follows} follows between them).")
    stdout.write("Sign in as one with a one-time code sent to <username>@example.com.")
    packages = _seed_credit_packages()
    _seed_credits(users[DEMO_CREDITS_USER], admin)
    balance = User.objects.values_list("credit_balance", flat=True).get(
        pk=users[DEMO_CREDITS_USER].pk
    )
    stdout.write(
        f"Credit packages: {', '.join(package.product_id for package in packages)}; "
        f"{DEMO_CREDITS_USER} has {format_credits(balance)} credits."
    )
