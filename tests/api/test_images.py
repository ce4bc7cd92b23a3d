"""The shared image pipeline (config/images.py) on awkward but real files."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config.api.errors import InvalidInput
from config.images import process_image


def jpeg_with_damaged_exif() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    exif[0x010E] = "a description long enough to need an offset"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, "JPEG", exif=exif.tobytes())
    data = bytearray(buffer.getvalue())
    data[data.find(b"Exif\x00\x00") + 17] = 0  # breaks the tag table, not the pixels
    return bytes(data)


def test_an_image_with_damaged_exif_is_kept_as_stored():
    upload = SimpleUploadedFile("photo.jpg", jpeg_with_damaged_exif(), content_type="image/jpeg")

    processed = process_image(upload, field="file", variant_sizes=(40,))

    assert (processed.width, processed.height) == (40, 30)
    variant = Image.open(io.BytesIO(processed.variants[40].read()))
    assert (variant.format, variant.size) == ("WEBP", (40, 40))


def test_exif_orientation_is_applied_and_metadata_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buffer, "JPEG", exif=exif.tobytes())
    upload = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")

    processed = process_image(upload, field="file")

    original = Image.open(io.BytesIO(processed.original.read()))
    assert original.size == (30, 40)
    assert not original.getexif()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not an image at all", "Upload a valid JPEG, PNG or WebP image."),
        (b"GIF89a" + b"\x00" * 20, "Upload a valid JPEG, PNG or WebP image."),
        (b"", "Upload a valid JPEG, PNG or WebP image."),
    ],
)
def test_files_that_are_not_allowed_images_are_refused(content, message):
    upload = SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")

    with pytest.raises(InvalidInput) as refused:
        process_image(upload, field="file")

    assert refused.value.messages == [f"file: {message}"]
