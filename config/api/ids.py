"""ObjectId-shaped ids (contract section 0): 24 lowercase hex characters, made by the server."""

import re

from bson import ObjectId
from django.db import models

OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")


def new_object_id() -> str:
    return str(ObjectId())


def is_object_id(value: object) -> bool:
    return isinstance(value, str) and bool(OBJECT_ID_RE.match(value))


class ObjectIdField(models.CharField):
    """A 24-character string primary key, generated like a MongoDB ObjectId.

    Kept as text rather than 12 bytes so ids read the same in SQL, the admin and the API, and
    so existing MongoDB `_id`s can be imported unchanged.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("default", new_object_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        path = "config.api.ids.ObjectIdField"
        for key, value in (("max_length", 24), ("default", new_object_id), ("editable", False)):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs
