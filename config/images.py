"""Uploaded images: validated from their content, re-encoded, and cut into square variants.

Shared by profile photos and stream thumbnails. Everything that is not a real JPEG, PNG or
WebP of sane size (a text file named `.jpg`, a truncated file, a decompression bomb) is an
`InvalidInput` (400) before anything is stored.
"""

import io
import logging
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from config.api.errors import InvalidInput

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
WEBP_QUALITY = 85

NOT_AN_IMAGE = _("Upload a valid JPEG, PNG or WebP image.")
TOO_LARGE = _("The image is larger than 10 MB.")
TOO_MANY_PIXELS = _("The image has more than 40 megapixels.")
UNREADABLE = _("The image is damaged or truncated.")
NOT_A_FILE = _("Send the image as a file in a multipart/form-data request.")


@dataclass(frozen=True)
class ProcessedImage:
    original: ContentFile
    variants: dict[int, ContentFile]
    width: int
    height: int


def _encode_webp(image: Image.Image, name: str) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    return ContentFile(buffer.getvalue(), name=name)


def open_upload(upload, *, field: str) -> Image.Image:
    """Return the decoded, upright image, or raise InvalidInput naming `field`."""
    if not hasattr(upload, "read") or not hasattr(upload, "size"):
        raise InvalidInput(NOT_A_FILE, field=field)
    if upload.size > settings.IMAGE_MAX_BYTES:
        raise InvalidInput(TOO_LARGE, field=field)
    upload.seek(0)
    data = upload.read(settings.IMAGE_MAX_BYTES + 1)
    if len(data) > settings.IMAGE_MAX_BYTES:
        raise InvalidInput(TOO_LARGE, field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise InvalidInput(NOT_AN_IMAGE, field=field)
            # Checked from the header, before a single pixel is decoded.
            if image.width * image.height > settings.IMAGE_MAX_PIXELS:
                raise InvalidInput(TOO_MANY_PIXELS, field=field)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidInput(TOO_MANY_PIXELS, field=field) from error
    except UnidentifiedImageError as error:
        raise InvalidInput(NOT_AN_IMAGE, field=field) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(UNREADABLE, field=field) from error
    # Apply the EXIF orientation, then drop all metadata by re-encoding from pixels only.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about every corrupt EXIF tag
            image = ImageOps.exif_transpose(image)
    except Exception:
        # Damaged metadata, sound pixels: keep the image as stored rather than refuse it.
        logger.info("ignored unreadable EXIF data in an upload to %s", field)
    try:
        return image.convert("RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    except (OSError, ValueError) as error:
        raise InvalidInput(UNREADABLE, field=field) from error


def process_image(upload, *, field: str, variant_sizes=(), max_side: int = 2048) -> ProcessedImage:
    image = open_upload(upload, field=field)
    original = image.copy()
    original.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    variants = {
        size: _encode_webp(
            ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS), f"{size}.webp"
        )
        for size in variant_sizes
    }
    return ProcessedImage(
        original=_encode_webp(original, "original.webp"),
        variants=variants,
        width=original.width,
        height=original.height,
    )
