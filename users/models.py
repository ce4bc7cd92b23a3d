from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.ids import ObjectIdField, new_object_id

USERNAME_RE = r"^[a-z0-9._]{3,30}$"
username_validator = RegexValidator(
    USERNAME_RE, _("Use 3 to 30 characters: lowercase letters, digits, dots and underscores.")
)


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
    PREFER_NOT_TO_SAY = "prefer_not_to_say", _("Prefer not to say")


class AvailabilityStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    OFFLINE = "offline", _("Offline")


class Expertise(models.TextChoices):
    MUSICIAN = "musician", _("Musician")
    TRAINER = "trainer", _("Trainer")
    CHEF = "chef", _("Chef")
    PHOTOGRAPHER = "photographer", _("Photographer")
    DESIGNER = "designer", _("Designer")
    STYLIST = "stylist", _("Stylist")
    GAMER = "gamer", _("Gamer")
    EDUCATOR = "educator", _("Educator")
    COACH = "coach", _("Coach")
    ENTERTAINER = "entertainer", _("Entertainer")
    DEVELOPER = "developer", _("Developer")
    CREATOR = "creator", _("Creator")


class Language(models.TextChoices):
    """The languages of messages and notifications (settings.LANGUAGES)."""

    EN = "en", _("English")
    TR = "tr", _("Turkish")


class Interest(models.TextChoices):
    """One list for users' interests and a stream's interest (contract section 3)."""

    MUSIC = "music", _("Music")
    SPORTS = "sports", _("Sports")
    GAMING = "gaming", _("Gaming")
    EDUCATION = "education", _("Education")
    TECHNOLOGY = "technology", _("Technology")
    ART = "art", _("Art")
    LIFESTYLE = "lifestyle", _("Lifestyle")
    TRAVEL = "travel", _("Travel")
    FOOD = "food", _("Food")
    FITNESS = "fitness", _("Fitness")
    BUSINESS = "business", _("Business")
    ENTERTAINMENT = "entertainment", _("Entertainment")
    OTHER = "other", _("Other")


def generated_username() -> str:
    """Until onboarding picks one, every account still has a valid, unique username."""
    return f"user_{new_object_id()[-12:]}"


class AppUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    @classmethod
    def normalize_email(cls, email):
        # No address is NULL, not "": the case-insensitive unique constraint ignores NULLs only,
        # so staff created without an email (createsuperuser) must not all share "".
        normalized = super().normalize_email(email)
        return normalized.lower() if normalized else None


class User(AbstractBaseUser, PermissionsMixin):
    """An app user (passwordless, signs in with one-time codes) or a staff member."""

    id = ObjectIdField(primary_key=True)
    username = models.CharField(
        max_length=30, unique=True, default=generated_username, validators=[username_validator]
    )
    name = models.CharField(max_length=60, blank=True)
    surname = models.CharField(max_length=60, blank=True)
    email = models.EmailField(max_length=254, null=True, blank=True)
    # True once the address was proven by a one-time code. Only a verified address is a
    # sign-in identity: an address typed into a profile cannot capture someone's email sign-in.
    email_verified = models.BooleanField(default=False)
    country_code = models.CharField(max_length=4, null=True, blank=True)
    phone_number = models.CharField(max_length=20, null=True, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, null=True, blank=True)
    bio = models.CharField(max_length=500, blank=True)
    interests = models.JSONField(default=list, blank=True)
    expertise = models.CharField(max_length=20, choices=Expertise.choices, null=True, blank=True)
    availability_status = models.CharField(
        max_length=10, choices=AvailabilityStatus.choices, default=AvailabilityStatus.AVAILABLE
    )
    minute_price_in_live_stream = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    instagram = models.CharField(max_length=100, blank=True)
    snapchat = models.CharField(max_length=100, blank=True)
    x = models.CharField(max_length=100, blank=True)
    tiktok = models.CharField(max_length=100, blank=True)
    facebook = models.CharField(max_length=100, blank=True)
    profile_photo = models.OneToOneField(
        "users.ProfilePhoto",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # The last language the user's app asked for (X-Language, stored by
    # config.api.middleware): notifications are written in it.
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    signup_source = models.CharField(max_length=50, blank=True)
    signup_campaign = models.CharField(max_length=100, blank=True)
    # Counters move only through F() updates in services (users.services).
    credit_balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # How many ledger rows the user has: the next row's `sequence` (users.credits.services).
    ledger_length = models.PositiveBigIntegerField(default=0, editable=False)
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)

    onboarding_step_1_done = models.BooleanField(default=False)
    onboarding_step_2_done = models.BooleanField(default=False)
    onboarding_step_3_done = models.BooleanField(default=False)
    registration_completed = models.BooleanField(default=False)
    username_changed_at = models.DateTimeField(null=True, blank=True)
    # Kept current by the consents app from the user's consent records.
    privacy_policy_accepted = models.BooleanField(default=False)
    privacy_policy_version = models.CharField(max_length=20, null=True, blank=True)

    # Every token carries the version it was issued under; logout bumps it, which ends every
    # session at once, access tokens included (users.authentication).
    session_version = models.PositiveIntegerField(default=0)

    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["-created_at"]
        permissions = [("adjust_credit_balance", "Can adjust credit balances")]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(email__isnull=False),
                name="users_email_ci_unique",
            ),
            models.UniqueConstraint(
                fields=["country_code", "phone_number"],
                condition=models.Q(phone_number__isnull=False),
                name="users_phone_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_balance__gte=0), name="users_credit_balance_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["expertise"], name="users_expertise_idx"),
            models.Index(fields=["name", "surname"], name="users_name_idx"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = timezone.now().date()
        birthday_passed = (today.month, today.day) >= (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - (0 if birthday_passed else 1)


def profile_photo_path(instance: "ProfilePhoto", filename: str) -> str:
    return f"profile-photos/{instance.user_id}/{instance.id}/{filename}"


class ProfilePhoto(models.Model):
    """An uploaded photo, re-encoded, with square WebP variants made by the server."""

    VARIANT_SIZES = (40, 76, 96)

    id = ObjectIdField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="profile_photos")
    original = models.ImageField(upload_to=profile_photo_path, max_length=255)
    variant_40 = models.ImageField(upload_to=profile_photo_path, max_length=255)
    variant_76 = models.ImageField(upload_to=profile_photo_path, max_length=255)
    variant_96 = models.ImageField(upload_to=profile_photo_path, max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"photo {self.id} of {self.user_id}"

    def variant_files(self) -> dict[str, models.fields.files.FieldFile]:
        return {str(size): getattr(self, f"variant_{size}") for size in self.VARIANT_SIZES}


class Follow(models.Model):
    id = ObjectIdField(primary_key=True)
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique_pair"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="follow_not_self"
            ),
        ]
        indexes = [
            # The followers page: a user's followers, newest first, by cursor.
            models.Index(fields=["followee", "-created_at", "-id"], name="follow_followee_recent"),
            # The fan-out to a creator's followers, in batches by follower id
            # (users.notifications.tasks).
            models.Index(fields=["followee", "follower"], name="follow_followee_follower"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class OneTimeCode(models.Model):
    """A sign-in code for one destination (a phone number or an email address).

    Only a hash is stored. One active code per destination: issuing a new one deletes the old.
    """

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"

    id = ObjectIdField(primary_key=True)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    destination = models.CharField(max_length=254, unique=True)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.channel} code for {self.destination}"


# The ledger's models live with the money service; importing them here registers them.
from users.credits.models import (  # noqa: E402, F401
    CreditPackage,
    CreditTransaction,
    IdempotencyRecord,
    RevenueCatEvent,
)

# Notifications and device tokens, likewise (contract section 10).
from users.notifications.models import DeviceToken, Notification  # noqa: E402, F401
