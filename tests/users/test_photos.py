import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from PIL import Image

from tests.factories import image_upload
from tests.helpers import assert_error, assert_success
from users import services
from users.models import ProfilePhoto, User

pytestmark = pytest.mark.django_db

PATCH_URL = "/api/v1/users/profile/photo"
POST_URL = "/api/v1/file/profile-photo"
BOTH = [("patch", PATCH_URL), ("post", POST_URL)]


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def send(client, method: str, url: str, file):
    return getattr(client, method)(url, {"file": file}, format="multipart")


def jpeg_with_exif(size=(60, 30), orientation: int = 6) -> bytes:
    image = Image.new("RGB", size, (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "leaky-software 1.0"  # Software
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions in a few bytes: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def one_color_png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 80).convert("RGB").save(buffer, format="JPEG", quality=95)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (32, 32), 3).save(buffer, format="GIF")
    return buffer.getvalue()


def assert_photo_shape(photo: dict, record: ProfilePhoto):
    assert set(photo) == {"_id", "url", "type", "variants", "createdAt", "updatedAt"}
    assert photo["_id"] == record.id
    assert photo["type"] == "image"
    assert photo["url"] == f"http://testserver/media/{record.original.name}"
    assert set(photo["variants"]) == {"40", "76", "96"}
    for size, url in photo["variants"].items():
        assert url == f"http://testserver/media/{getattr(record, f'variant_{size}').name}"


# --- Success -----------------------------------------------------------------------------------


def test_patch_sets_the_photo_and_returns_the_user(user_client, user, settings):
    data = assert_success(send(user_client, "patch", PATCH_URL, image_upload()))

    user.refresh_from_db()
    record = user.profile_photo
    assert record is not None
    assert data["_id"] == user.id
    assert_photo_shape(data["profilePhoto"], record)
    assert len(stored_files(settings)) == 4


def test_post_returns_201_with_the_photo_and_sets_it(user_client, user, settings):
    data = assert_success(send(user_client, "post", POST_URL, image_upload()), 201)

    user.refresh_from_db()
    assert_photo_shape(data, user.profile_photo)
    assert ProfilePhoto.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.webp", "WEBP"), ("noext", "PNG")]
)
def test_jpeg_png_and_webp_are_accepted(user_client, user, settings, name, fmt):
    assert_success(send(user_client, "patch", PATCH_URL, image_upload(name=name, fmt=fmt)))
    user.refresh_from_db()
    assert user.profile_photo is not None


def test_the_type_comes_from_the_content_not_the_name(user_client, user):
    png = image_upload(name="photo.gif", fmt="PNG")
    assert_success(send(user_client, "patch", PATCH_URL, png))


def test_the_original_is_reencoded_and_variants_are_square_webp(user_client, user, settings):
    assert_success(send(user_client, "patch", PATCH_URL, image_upload(size=(120, 80))))
    user.refresh_from_db()
    photo = user.profile_photo

    with photo.original.open("rb") as original:
        image = Image.open(original)
        assert image.format == "WEBP"
        assert image.size == (120, 80)
    for size in (40, 76, 96):
        with getattr(photo, f"variant_{size}").open("rb") as variant:
            image = Image.open(variant)
            assert image.format == "WEBP"
            assert image.size == (size, size)


def test_exif_orientation_is_applied_and_metadata_stripped(user_client, user):
    assert_success(send(user_client, "patch", PATCH_URL, upload(jpeg_with_exif(size=(60, 30)))))
    user.refresh_from_db()

    with user.profile_photo.original.open("rb") as original:
        data = original.read()
    image = Image.open(io.BytesIO(data))
    assert image.size == (30, 60)
    assert (image.width, image.height) == (user.profile_photo.width, user.profile_photo.height)
    assert dict(image.getexif()) == {}
    assert b"SecretCam" not in data
    assert b"leaky-software" not in data


def test_a_large_photo_is_scaled_down_to_2048(user_client, user):
    assert_success(send(user_client, "patch", PATCH_URL, image_upload(size=(4096, 1024))))
    user.refresh_from_db()
    assert (user.profile_photo.width, user.profile_photo.height) == (2048, 512)


def test_replacing_deletes_the_old_photo_and_its_files(
    user_client, user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert_success(send(user_client, "patch", PATCH_URL, image_upload()))
    user.refresh_from_db()
    old = user.profile_photo
    old_files = stored_files(settings)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert_success(send(user_client, "post", POST_URL, image_upload(fmt="PNG")), 201)

    assert len(callbacks) == 1
    user.refresh_from_db()
    assert user.profile_photo_id != old.id
    assert not ProfilePhoto.objects.filter(pk=old.pk).exists()
    files = stored_files(settings)
    assert len(files) == 4
    assert not set(files) & set(old_files)


def test_old_files_stay_until_the_transaction_commits(user_client, user, settings):
    assert_success(send(user_client, "patch", PATCH_URL, image_upload()))
    # In the test transaction nothing has committed, so no deletion has run yet.
    assert_success(send(user_client, "patch", PATCH_URL, image_upload()))
    assert len(stored_files(settings)) == 8
    assert ProfilePhoto.objects.filter(user=user).count() == 1


def test_a_database_failure_leaves_no_new_files(user, settings, monkeypatch):
    def fail(*args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(ProfilePhoto, "save", fail)
    with pytest.raises(IntegrityError):
        services.profile_photo_set(user=user, upload=image_upload())

    assert stored_files(settings) == []
    user.refresh_from_db()
    assert user.profile_photo is None


# --- Refusals: 400 and nothing stored ------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), BOTH)
@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (
            lambda: upload(b"just some text, not an image\n" * 10),
            "file: Upload a valid JPEG, PNG or WebP image.",
        ),
        (
            lambda: upload(gif(), "a.gif", "image/gif"),
            "file: Upload a valid JPEG, PNG or WebP image.",
        ),
        (lambda: upload(truncated_jpeg()), "file: The image is damaged or truncated."),
        (
            lambda: upload(one_color_png((8000, 6000)), "bomb.png", "image/png"),
            "file: The image has more than 40 megapixels.",
        ),
        (
            lambda: upload(png_header_only(100_000, 100_000), "bomb.png", "image/png"),
            "file: The image has more than 40 megapixels.",
        ),
        (
            lambda: upload(b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024)),
            "file: The image is larger than 10 MB.",
        ),
        (lambda: upload(b""), "file: The submitted file is empty."),
    ],
    ids=[
        "text-named-jpg",
        "gif",
        "truncated",
        "48-megapixels",
        "header-bomb",
        "over-10mb",
        "empty",
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    user_client, user, settings, method, url, make_file, message
):
    response = send(user_client, method, url, make_file())

    assert_error(response, 400, [message])
    assert stored_files(settings) == []
    assert not ProfilePhoto.objects.exists()
    user.refresh_from_db()
    assert user.profile_photo is None


@pytest.mark.parametrize(("method", "url"), BOTH)
def test_a_refused_upload_keeps_the_current_photo(user_client, user, settings, method, url):
    assert_success(send(user_client, "patch", PATCH_URL, image_upload()))
    user.refresh_from_db()
    current = user.profile_photo_id
    files = stored_files(settings)

    assert_error(send(user_client, method, url, upload(gif(), "a.gif")), 400)

    user.refresh_from_db()
    assert user.profile_photo_id == current
    assert stored_files(settings) == files


@pytest.mark.parametrize(("method", "url"), BOTH)
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": {}, "format": "multipart"}, "file: No file was submitted."),
        ({"data": {"other": "x"}, "format": "multipart"}, "file: No file was submitted."),
        (
            {"data": {"file": "plain text"}, "format": "multipart"},
            "file: The submitted data was not a file. Check the encoding type on the form.",
        ),
    ],
)
def test_no_file_is_a_400(user_client, user, settings, method, url, kwargs, message):
    assert_error(getattr(user_client, method)(url, **kwargs), 400, [message])
    assert stored_files(settings) == []


@pytest.mark.parametrize(("method", "url"), BOTH)
@pytest.mark.parametrize(
    ("kwargs", "media_type"),
    [
        ({"data": {}, "format": "json"}, "application/json"),
        ({"data": {"file": "aGVsbG8="}, "format": "json"}, "application/json"),
        (
            {"data": "file=aGVsbG8%3D", "content_type": "application/x-www-form-urlencoded"},
            "application/x-www-form-urlencoded",
        ),
    ],
)
def test_a_body_that_is_not_multipart_is_a_415(
    user_client, user, settings, method, url, kwargs, media_type
):
    """Photo endpoints take multipart only, as the schema says."""
    assert_error(
        getattr(user_client, method)(url, **kwargs),
        415,
        [f'Unsupported media type "{media_type}" in request.'],
    )
    user.refresh_from_db()
    assert user.profile_photo is None
    assert not ProfilePhoto.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(("method", "url"), BOTH)
def test_it_requires_authentication(api_client, settings, method, url):
    assert_error(send(api_client, method, url, image_upload()), 401, ["Authentication required"])
    assert stored_files(settings) == []
    assert not ProfilePhoto.objects.exists()


@pytest.mark.parametrize(("method", "url"), BOTH)
def test_an_upload_only_ever_changes_the_callers_photo(other_client, other_user, user, method, url):
    send(other_client, method, url, image_upload())

    assert User.objects.get(pk=other_user.pk).profile_photo is not None
    assert User.objects.get(pk=user.pk).profile_photo is None


def test_staff_can_set_their_own_photo(staff_client, staff_user):
    assert_success(send(staff_client, "post", POST_URL, image_upload()), 201)
    staff_user.refresh_from_db()
    assert staff_user.profile_photo is not None


def test_the_photo_appears_in_the_public_profile(user_client, api_client, user):
    assert_success(send(user_client, "patch", PATCH_URL, image_upload()))
    data = assert_success(api_client.get(f"/api/v1/users/profile/{user.id}"))
    assert data["profilePhoto"]["url"].startswith("http://testserver/media/profile-photos/")
