"""camelCase keys out, snake_case keys in: the rules of djangorestframework-camel-case, cheaper.

The library re-runs a regular expression for every key of every object, and walks the data
recursively. API payloads repeat the same few hundred keys, so each key is converted once and
remembered, and request bodies are converted while the JSON decoder builds each object (no
walk of our own, no recursion), which keeps the work linear in the size of the body.
"""

import re
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from django.utils.functional import Promise
from djangorestframework_camel_case.settings import api_settings as camel_settings
from djangorestframework_camel_case.util import (
    camelize_re,
    get_underscoreize_re,
    underscore_to_camel,
)

# Wire names kept as they are (contract section 0: user summaries and media name their id `_id`).
KEEP_AS_IS = frozenset({"_id"})
# Keys longer than this are converted every time instead of remembered: a client can send
# keys of any length, and the cache must not hold megabytes of them.
CACHED_KEY_MAX_LENGTH = 64

_UNDERSCORE_OPTIONS = camel_settings.JSON_UNDERSCOREIZE
if _UNDERSCORE_OPTIONS.get("ignore_fields"):
    # Converting keys while decoding cannot leave a field's nested keys alone.
    raise ImproperlyConfigured("JSON_CAMEL_CASE ignore_fields is not supported by config.api.")
_UNDERSCORE_KEEP = KEEP_AS_IS | frozenset(_UNDERSCORE_OPTIONS.get("ignore_keys") or ())

if _UNDERSCORE_OPTIONS.get("no_underscore_before_number"):
    # The library's pattern, `([a-z0-9]|[A-Z]?(?=[A-Z](?=[a-z])))([A-Z])` replaced by `\1_\2`,
    # puts "_" before each capital that follows a lowercase letter or a digit, or that a
    # lowercase letter follows. Finding the same places without consuming characters, with a
    # plain "_" to insert, costs a quarter as much on a key full of capitals
    # (tests/api/test_camel_case.py checks that the two agree).
    _UNDERSCORE_PLACES = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?=[A-Z][a-z])")

    def _snake_case(key: str) -> str:
        return _UNDERSCORE_PLACES.sub("_", key).lower()

else:
    _UNDERSCORE_RE = get_underscoreize_re(_UNDERSCORE_OPTIONS)

    def _snake_case(key: str) -> str:
        return _UNDERSCORE_RE.sub(r"\1_\2", key).lower()


def _camel_key(key: str) -> str:
    if key in KEEP_AS_IS or "_" not in key:
        return key
    return camelize_re.sub(underscore_to_camel, key)


def _underscore_key(key: str) -> str:
    """`camel_to_underscore` of the library with its `ignore_keys` rule."""
    if key in _UNDERSCORE_KEEP or key.islower():
        # No capital, nothing to insert, nothing to lower (a key with none of the letters
        # the pattern looks at, like "_" or "2", is not islower() and takes the long way).
        return key
    converted = _snake_case(key)
    return key if converted in _UNDERSCORE_KEEP else converted


_camel_key_cached = lru_cache(maxsize=4096)(_camel_key)
_underscore_key_cached = lru_cache(maxsize=4096)(_underscore_key)


def camel_key(key: str) -> str:
    if len(key) > CACHED_KEY_MAX_LENGTH:
        return _camel_key(key)
    return _camel_key_cached(key)


def underscore_key(key: str) -> str:
    if len(key) > CACHED_KEY_MAX_LENGTH:
        return _underscore_key(key)
    return _underscore_key_cached(key)


def camelize(data):
    if isinstance(data, dict):
        return {
            camel_key(force_str(key)) if isinstance(key, str | Promise) else key: camelize(value)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [camelize(item) for item in data]
    if isinstance(data, Promise):
        return force_str(data)
    return data


def underscore_object(pairs: list[tuple[str, object]]) -> dict:
    """`object_pairs_hook` for `json.loads`: one JSON object, its keys in snake_case.

    The decoder calls it for each object as soon as the object is complete, innermost first,
    so the values are already converted. A later duplicate key wins, as in `json.loads`.
    (`underscore_key`, inlined: this runs for every key of every request body.)
    """
    cached, convert, limit = _underscore_key_cached, _underscore_key, CACHED_KEY_MAX_LENGTH
    return {(cached(key) if len(key) <= limit else convert(key)): value for key, value in pairs}


def underscore_form(data: QueryDict | MultiValueDict) -> QueryDict | MultiValueDict:
    """Form fields (a `QueryDict`) or uploaded files (a `MultiValueDict`) in snake_case."""
    converted = QueryDict(mutable=True) if isinstance(data, QueryDict) else MultiValueDict()
    for key, values in data.lists():
        converted.setlist(underscore_key(key), values)
    return converted
