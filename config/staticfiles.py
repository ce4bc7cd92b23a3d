"""Static files in production: hashed names from the manifest that `collectstatic` writes.

A server started without `collectstatic` has no manifest, and Django's manifest storage then
raises `ValueError` from `static()` / `staticfiles_storage.url()` in the middle of a response
(the default thumbnail of a live stream, every asset of the docs and the admin): a 500.
`WHITENOISE_MANIFEST_STRICT = False` only helps when the manifest exists but lacks an entry.

So the storage below never lets a URL break a response: a name it cannot hash is served
under its plain name, and the first time that happens for a name it is logged. The missing
manifest itself is a `check --deploy` error, so a deploy that forgot `collectstatic` is caught
before it serves anything.
"""

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, register
from django.core.files.storage import storages
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

MANIFEST_MISSING_ID = "yayin.E101"


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage, whose URLs fall back to the unhashed name
    instead of raising when the manifest (or its entry for a file) is missing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._unhashed_names: set[str] = set()

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            if name not in self._unhashed_names:
                self._unhashed_names.add(name)
                # Also reached while collectstatic itself runs, for files that others name
                # but that do not exist (the source maps the docs' bundles point to).
                logger.warning(
                    "static file %r has no hashed name in %s (missing file, or collectstatic "
                    "not run); serving its plain name",
                    name,
                    self.manifest_name,
                )
            return name


def manifest_path(storage) -> str:
    """Where a manifest storage reads its manifest (STATIC_ROOT/staticfiles.json)."""
    try:
        return storage.manifest_storage.path(storage.manifest_name)
    except NotImplementedError:  # a remote manifest storage has no local path
        return storage.manifest_name


@register(Tags.staticfiles, deploy=True)
def check_static_manifest(app_configs, **kwargs):
    """A manifest storage with no manifest means `collectstatic` has not run."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    if storage.manifest_storage.exists(storage.manifest_name):
        return []
    return [
        Error(
            f"The static files manifest {manifest_path(storage)} is missing: "
            "`collectstatic` has not been run into STATIC_ROOT.",
            hint=(
                "Run `manage.py collectstatic --noinput` before starting the server; until "
                f"then admin, docs and default-thumbnail URLs under {settings.STATIC_URL} "
                "point at files that are not there."
            ),
            id=MANIFEST_MISSING_ID,
        )
    ]
