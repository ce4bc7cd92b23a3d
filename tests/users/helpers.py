"""Small assertions shared by the users tests."""

import io

from PIL import Image

from tests.helpers import assert_error, assert_success

__all__ = ["assert_error", "assert_ok", "image_file_bytes"]


# The envelope checks are the project's shared ones.
assert_ok = assert_success


def image_file_bytes(fmt: str = "PNG", size=(64, 48), color=(10, 120, 200), **save_kwargs):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()
