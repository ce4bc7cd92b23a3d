"""camelCase output keys, the same rule as djangorestframework-camel-case, but cheaper.

The library re-runs a regular expression for every key of every object on every response; API
payloads repeat the same few hundred keys, so each key is converted once and remembered.
"""

import re
from functools import lru_cache

from django.utils.encoding import force_str
from django.utils.functional import Promise
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel

# Wire names kept as they are (contract section 0: user summaries and media name their id `_id`).
KEEP_AS_IS = frozenset({"_id"})


@lru_cache(maxsize=4096)
def camel_key(key: str) -> str:
    if key in KEEP_AS_IS or "_" not in key:
        return key
    return re.sub(camelize_re, underscore_to_camel, key)


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
