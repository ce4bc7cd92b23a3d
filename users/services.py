"""Every write to profiles, photos and follows (contract section 3).

Services are keyword-only and atomic; they raise `config.api.errors` classes, whose messages
are the module-level constants below so tests can assert them.
"""

import datetime
import logging
from collections.abc import Iterable

from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import Conflict, InvalidInput, NotFound
from config.images import process_image
from users.models import Follow, ProfilePhoto, User
from users.notifications import services as notifications

logger = logging.getLogger(__name__)

USERNAME_CHANGE_INTERVAL = datetime.timedelta(days=30)

USERNAME_TAKEN = _("This username is already taken.")
USERNAME_UNCHANGED = _("The new username is the same as the current one.")
USERNAME_CHANGE_TOO_SOON = _(
    "The username can be changed once every 30 days; the next change is allowed from %(date)s."
)
EMAIL_TAKEN = _("This email address is already used by another account.")
VERIFIED_EMAIL_NEEDS_CODE = _(
    "Your email address is verified; to change it, confirm the new address with an email code "
    "while signed in (send-otp-email, then verify-otp-email)."
)
CANNOT_FOLLOW_SELF = _("You cannot follow yourself.")
CANNOT_UNFOLLOW_SELF = _("You cannot unfollow yourself.")

# The fields `PATCH /users/me` may write; everything else on User is server-owned.
UPDATABLE_FIELDS = (
    "name",
    "surname",
    "bio",
    "birth_date",
    "gender",
    "interests",
    "expertise",
    "availability_status",
    "minute_price_in_live_stream",
    "instagram",
    "x",
    "tiktok",
    "snapchat",
    "facebook",
    "email",
)


def _username_taken(*, username: str, user: User) -> bool:
    return User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists()


def _save_username(
    *, user: User, fields: dict, update_fields: Iterable[str], field: str = "username"
) -> None:
    """Save with the username; the case-insensitive unique constraint settles races (409 on
    `field`, the request's name for the username)."""
    for name, value in fields.items():
        setattr(user, name, value)
    try:
        with transaction.atomic():
            user.save(update_fields=[*update_fields, "updated_at"])
    except IntegrityError as error:
        raise Conflict(USERNAME_TAKEN, field=field) from error


def _locked(user: User) -> User:
    """The caller's row, locked for the rest of the transaction (concurrent steps and
    photo uploads of one user then run one after the other)."""
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def user_update(*, user: User, data: dict) -> User:
    """Update the caller's own profile with already validated `data` (snake_case keys).

    Keys outside UPDATABLE_FIELDS are ignored. An email typed here is unverified until a
    one-time code proves it, and is never a sign-in identity before that. So:
    - a verified address is never replaced here (Conflict: confirm the new one with an email
      code while signed in, which keeps the account reachable until it is proven);
    - an address another account has verified is refused (Conflict);
    - an address another account merely typed in (unverified) is taken from it, so nobody can
      block an address by claiming it first.
    The same address in another case changes nothing.
    """
    changes = {name: value for name, value in data.items() if name in UPDATABLE_FIELDS}
    if not changes:
        return user
    locked = _locked(user)
    email = changes.get("email")
    if email is not None and email.lower() == (locked.email or "").lower():
        changes.pop("email")
    elif email is not None:
        if locked.email_verified:
            raise Conflict(VERIFIED_EMAIL_NEEDS_CODE, field="email")
        holders = User.objects.select_for_update().filter(email__iexact=email).exclude(pk=locked.pk)
        if any(holder.email_verified for holder in holders):
            raise Conflict(EMAIL_TAKEN, field="email")
        holders.update(email=None)
        changes["email_verified"] = False
    if not changes:
        return locked
    for name, value in changes.items():
        setattr(locked, name, value)
    try:
        with transaction.atomic():
            locked.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as error:
        # Another account took the address between the check and the save.
        raise Conflict(EMAIL_TAKEN, field="email") from error
    return locked


def _finish_step(user: User, step: int) -> list[str]:
    setattr(user, f"onboarding_step_{step}_done", True)
    user.registration_completed = (
        user.onboarding_step_1_done and user.onboarding_step_2_done and user.onboarding_step_3_done
    )
    return [f"onboarding_step_{step}_done", "registration_completed"]


@transaction.atomic
def user_onboarding_step_1(
    *, user: User, name: str, surname: str, username: str, birth_date: datetime.date
) -> User:
    """Name, surname, username and birth date.

    The first choice of a username (step 1 not done, registration not complete, username
    never changed) is free and does not start the 30-day clock of `user_change_username`.
    After that, a different username is a username change under the same rule: refused within
    30 days of the last change (Conflict, saying from when), and it starts the clock. The same
    username in any case is no change. Refuses a username another account holds, ignoring case
    (Conflict).
    """
    locked = _locked(user)
    username = username.lower()
    fields = {"name": name, "surname": surname, "username": username, "birth_date": birth_date}
    first_choice = (
        not locked.onboarding_step_1_done
        and not locked.registration_completed
        and locked.username_changed_at is None
    )
    if username != locked.username.lower() and not first_choice:
        now = timezone.now()
        _refuse_too_soon(locked, now=now, field="username")
        fields["username_changed_at"] = now
    if _username_taken(username=username, user=locked):
        raise Conflict(USERNAME_TAKEN, field="username")
    done = _finish_step(locked, 1)
    _save_username(user=locked, fields=fields, update_fields=[*fields, *done])
    return locked


@transaction.atomic
def user_onboarding_step_2(*, user: User, gender: str) -> User:
    locked = _locked(user)
    locked.gender = gender
    locked.save(update_fields=["gender", *_finish_step(locked, 2), "updated_at"])
    return locked


@transaction.atomic
def user_onboarding_step_3(*, user: User, interests: list[str], expertise: str | None) -> User:
    locked = _locked(user)
    locked.interests = interests
    locked.expertise = expertise
    done = _finish_step(locked, 3)
    locked.save(update_fields=["interests", "expertise", *done, "updated_at"])
    return locked


def username_change_allowed_at(user: User) -> datetime.datetime | None:
    if user.username_changed_at is None:
        return None
    return user.username_changed_at + USERNAME_CHANGE_INTERVAL


def _refuse_too_soon(user: User, *, now: datetime.datetime, field: str) -> None:
    """Conflict when the last username change was less than 30 days before `now`."""
    allowed_at = username_change_allowed_at(user)
    if allowed_at is not None and now < allowed_at:
        when = formats.date_format(allowed_at, "Y-m-d H:i") + " UTC"
        raise Conflict(USERNAME_CHANGE_TOO_SOON % {"date": when}, field=field)


@transaction.atomic
def user_change_username(*, user: User, new_username: str) -> User:
    """Change the username, at most once per 30 days.

    Refuses the current username (InvalidInput), a username another account holds (Conflict)
    and a change within 30 days of the last one (Conflict, saying from when it is allowed).
    """
    locked = _locked(user)
    new_username = new_username.lower()
    if new_username == locked.username.lower():
        raise InvalidInput(USERNAME_UNCHANGED, field="newUsername")
    now = timezone.now()
    _refuse_too_soon(locked, now=now, field="newUsername")
    if _username_taken(username=new_username, user=locked):
        raise Conflict(USERNAME_TAKEN, field="newUsername")
    _save_username(
        user=locked,
        fields={"username": new_username, "username_changed_at": now},
        update_fields=["username", "username_changed_at"],
        field="newUsername",
    )
    return locked


# --- Profile photos --------------------------------------------------------------------------


def _photo_files(photo: ProfilePhoto) -> list[tuple[Storage, str]]:
    files = [photo.original, *photo.variant_files().values()]
    return [(file.storage, file.name) for file in files if file.name]


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception:  # a missing file or a storage hiccup must not fail the request
            logger.exception("could not delete %s from storage", name)


def _delete_files_on_commit(files: list[tuple[Storage, str]]) -> None:
    # Only once the new state is committed: a rollback must leave the old photo intact.
    transaction.on_commit(lambda: _delete_files(files))


def profile_photo_set(*, user: User, upload) -> ProfilePhoto:
    """Validate and process an uploaded image, store it and make it the caller's photo.

    Refuses anything that is not a real JPEG, PNG or WebP of at most 10 MB and 40 megapixels
    (InvalidInput on `file`), before anything is stored. The replaced photo's row goes and its
    files are deleted from storage after the transaction commits.
    """
    processed = process_image(upload, field="file", variant_sizes=ProfilePhoto.VARIANT_SIZES)
    photo = ProfilePhoto(user=user, width=processed.width, height=processed.height)
    photo.original.save(processed.original.name, processed.original, save=False)
    for size, content in processed.variants.items():
        getattr(photo, f"variant_{size}").save(content.name, content, save=False)
    try:
        with transaction.atomic():
            locked = _locked(user)
            previous = locked.profile_photo
            photo.save(force_insert=True)
            User.objects.filter(pk=user.pk).update(profile_photo=photo, updated_at=timezone.now())
            if previous is not None:
                _delete_files_on_commit(_photo_files(previous))
                previous.delete()
    except BaseException:
        # Nothing in the database points at the new files: do not leave them behind.
        _delete_files(_photo_files(photo))
        raise
    user.profile_photo = photo
    user.refresh_from_db(fields=["updated_at"])
    return photo


@transaction.atomic
def profile_photo_delete(*, photo: ProfilePhoto) -> None:
    """Remove a photo (the admin's moderation); its files go after the commit."""
    _delete_files_on_commit(_photo_files(photo))
    photo.delete()


# --- Follows ---------------------------------------------------------------------------------


def _lock_users(pks: Iterable[str], *, of_user: str | None = None) -> set[str]:
    """Lock these user rows in primary-key order and return the pks that still exist.

    Every write that moves follow counters takes its user rows this way before it touches a
    Follow row, so follows, unfollows and account deletions queue instead of deadlocking.
    `of_user` (an account about to be deleted) gets FOR UPDATE, which also blocks new Follow
    rows pointing at it; the others FOR NO KEY UPDATE, which lets unrelated follows insert.
    """
    pks = set(pks)
    if of_user is None:
        groups = [(pks, True)]
    else:
        groups = [
            ({pk for pk in pks if pk < of_user}, True),
            ({of_user}, False),
            ({pk for pk in pks if pk > of_user}, True),
        ]
    found = set()
    for group, no_key in groups:
        if group:
            rows = User.objects.select_for_update(no_key=no_key).filter(pk__in=group)
            found.update(rows.order_by("pk").values_list("pk", flat=True))
    return found


def _move_counters(*, follower_id: str, followee_id: str, step: int) -> None:
    """One F() update per side, in primary-key order (the rows are already locked)."""
    updates = {
        follower_id: {"following_count": F("following_count") + step},
        followee_id: {"followers_count": F("followers_count") + step},
    }
    for pk in sorted(updates):
        User.objects.filter(pk=pk).update(**updates[pk])


@transaction.atomic
def follow_create(*, follower: User, followee: User) -> bool:
    """Follow `followee`; return whether the caller already followed them.

    Refuses following yourself (InvalidInput) and a followee deleted meanwhile (NotFound).
    The counters move only when a row is really inserted: of two concurrent requests for one
    pair, the unique constraint lets one in.
    """
    if follower.pk == followee.pk:
        raise InvalidInput(CANNOT_FOLLOW_SELF)
    if len(_lock_users([follower.pk, followee.pk])) < 2:
        raise NotFound()
    try:
        with transaction.atomic():
            Follow.objects.create(follower=follower, followee=followee)
    except IntegrityError:
        if Follow.objects.filter(follower=follower, followee=followee).exists():
            return True
        raise NotFound() from None
    _move_counters(follower_id=follower.pk, followee_id=followee.pk, step=1)
    notifications.follow_created(follower=follower, followee=followee)
    return False


@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollow `followee`; return whether the caller followed them.

    Refuses unfollowing yourself (InvalidInput). The counters move only when a row is really
    deleted, so concurrent unfollows count once.
    """
    if follower.pk == followee.pk:
        raise InvalidInput(CANNOT_UNFOLLOW_SELF)
    _lock_users([follower.pk, followee.pk])
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        _move_counters(follower_id=follower.pk, followee_id=followee.pk, step=-1)
    return bool(deleted)


def _follows_of(user_pk: str) -> list[tuple[str, str, str]]:
    return list(
        Follow.objects.filter(Q(follower_id=user_pk) | Q(followee_id=user_pk)).values_list(
            "pk", "follower_id", "followee_id"
        )
    )


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete an account (the admin's tool): the counters of everyone it followed or who
    followed it move down by the Follow rows really deleted here, and its photo files go
    after the commit.

    The account and everyone it is linked to by a follow are locked first (in the same order
    as follows and unfollows lock them), so a concurrent follow or unfollow either finishes
    before and is counted, or waits and then finds the account gone.
    """
    others = {pk for _id, a, b in _follows_of(user.pk) for pk in (a, b)} - {user.pk}
    if user.pk not in _lock_users([user.pk, *others], of_user=user.pk):
        return  # already deleted
    follows = _follows_of(user.pk)
    # A follow that committed between the first read and the locks: lock its other side too.
    _lock_users({pk for _id, a, b in follows for pk in (a, b)} - {user.pk} - others)
    Follow.objects.filter(pk__in=[pk for pk, _a, _b in follows]).delete()
    # A pair follows at most once each way, so each other account loses at most one of each.
    lost_follower = {b for _pk, a, b in follows if a == user.pk}  # U followed them
    lost_followee = {a for _pk, a, b in follows if b == user.pk}  # they followed U
    groups = [
        (lost_follower - lost_followee, {"followers_count": F("followers_count") - 1}),
        (lost_followee - lost_follower, {"following_count": F("following_count") - 1}),
        (
            lost_follower & lost_followee,
            {
                "followers_count": F("followers_count") - 1,
                "following_count": F("following_count") - 1,
            },
        ),
    ]
    for pks, update in groups:
        if pks:  # the rows are locked already, so one UPDATE per group cannot deadlock
            User.objects.filter(pk__in=pks).update(**update)
    files = [item for photo in user.profile_photos.all() for item in _photo_files(photo)]
    _delete_files_on_commit(files)
    user.delete()
