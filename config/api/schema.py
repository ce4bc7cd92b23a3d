"""OpenAPI schema conventions: the envelope around every response, the error bodies each
endpoint can return, the `JWT-auth` scheme (required, optional or none), the `X-Language`
header and the production warning on writes."""

import copy
import re
from http import HTTPStatus

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from config.api.camel import camel_key
from config.api.pagination import ArrayPagination

PRODUCTION_WARNING = (
    "**Production uyarisi:** Bu endpoint veri degistirir veya operasyon tetikleyebilir. "
    "API Playground icinde Production server seciliyse gercek production verisi etkilenir; "
    "test icin Development server kullanin."
)
ERROR_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
ERROR_ENVELOPE_SCHEMA = {
    "type": "object",
    "description": "The envelope of every error response.",
    "properties": {
        "isSuccess": {"type": "boolean", "enum": [False]},
        "statusCode": {"type": "integer", "example": 400},
        "data": {"nullable": True, "example": None},
        "errors": {
            "type": "array",
            "items": {"type": "string"},
            "example": ["title: This field is required."],
        },
        "timestamp": {
            "type": "string",
            "format": "date-time",
            "example": "2026-05-22T16:11:27.022Z",
        },
    },
    "required": ["isSuccess", "statusCode", "data", "errors", "timestamp"],
}
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
JWT_SCHEME = "JWT-auth"
# Security requirements, as Swagger UI reads them: `{}` in the list means "or no token at all"
# (so an optional-auth endpoint shows a closed padlock before "Authorize", a required one an
# open padlock, and one that reads no token shows none).
REQUIRED_AUTH = [{JWT_SCHEME: []}]
OPTIONAL_AUTH = [{JWT_SCHEME: []}, {}]
NO_AUTH: list = []
OPTIONAL_AUTH_NOTE = (
    "Authentication is optional: anonymous callers are answered too, and an invalid or "
    "expired token is still a 401."
)
LANGUAGE_HEADER = {
    "name": "X-Language",
    "in": "header",
    "required": False,
    "description": (
        "Language of the messages: `en` (the default) or `tr`; a regional form such as "
        "`tr-TR` counts as `tr`. Any other value is ignored: `Accept-Language` decides, "
        "then English."
    ),
    "schema": {"type": "string", "enum": ["en", "tr"]},
}
ARRAY_PAGING_HEADERS = {
    "X-Total-Count": {
        "description": "How many items the whole list holds.",
        "schema": {"type": "integer"},
    },
    "Link": {
        "description": (
            "RFC 8288 links to the `next` and `prev` pages, e.g. "
            '`<https://host/api/v1/...?limit=20&page=2>; rel="next"`.'
        ),
        "schema": {"type": "string"},
    },
}
_ERROR_DESCRIPTIONS = {
    400: "Validation failed: one message per problem, `<fieldName>: <message>`.",
    401: "Authentication required, or the token is invalid, expired or revoked.",
    402: "Payment required.",
    403: "Insufficient permissions.",
    404: "Resource not found (also for ids of the wrong shape).",
    405: "Method not allowed.",
    409: "The resource already exists or cannot be changed in its current state.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Too many requests; `Retry-After` says when to try again.",
    503: "Service unavailable.",
}


def error_responses(*codes: int) -> dict:
    """`extend_schema(responses={201: X, **error_responses(403, 409)})`."""
    return {
        code: OpenApiResponse(description=_ERROR_DESCRIPTIONS.get(code, HTTPStatus(code).phrase))
        for code in codes
    }


def success_envelope(schema: dict | None, status_code: int) -> dict:
    return {
        "type": "object",
        "properties": {
            "isSuccess": {"type": "boolean", "enum": [True]},
            "statusCode": {"type": "integer", "example": status_code},
            "data": schema if schema is not None else {"nullable": True, "example": None},
            "errors": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
            "timestamp": {
                "type": "string",
                "format": "date-time",
                "example": "2026-05-22T16:11:27.022Z",
            },
        },
        "required": ["isSuccess", "statusCode", "data", "errors", "timestamp"],
    }


def _example_envelope(value, status_code: int) -> dict:
    return {
        "isSuccess": True,
        "statusCode": status_code,
        "data": value,
        "errors": [],
        "timestamp": "2026-05-22T16:11:27.022Z",
    }


class EnvelopeAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        operation["security"] = self._security()
        if {} in operation["security"]:
            self._prepend_description(operation, OPTIONAL_AUTH_NOTE)
        if self.method not in _SAFE_METHODS:
            self._prepend_description(operation, PRODUCTION_WARNING)
        self._add_language_header(operation)
        self._add_default_errors(operation)
        self._wrap_responses(operation)
        self._add_paging_headers(operation)
        return operation

    def _security(self) -> list:
        """Required, optional or no authentication, from the view's own classes.

        Optional: the view reads a token (it has authentication classes) but lets anonymous
        callers in (AllowAny, or IsAuthenticatedOrReadOnly on a read). No authentication
        classes: nothing reads a token, so no padlock at all (send-otp, health, the HTML page).
        """
        # drf-spectacular's answer names the schemes (and registers their components); its
        # own `{}` for AllowAny is decided again here, where no authenticator means no auth.
        schemes = [requirement for requirement in super().get_auth() if requirement]
        if not (schemes and self.view.get_authenticators()):
            return NO_AUTH
        granted = {type(permission) for permission in self.view.get_permissions()}
        if permissions.AllowAny in granted or (
            permissions.IsAuthenticatedOrReadOnly in granted and self.method in _SAFE_METHODS
        ):
            return [*schemes, {}]
        return schemes

    @staticmethod
    def _prepend_description(operation: dict, text: str) -> None:
        description = operation.get("description", "")
        operation["description"] = f"{text}\n\n{description}" if description else text

    @staticmethod
    def _add_language_header(operation: dict) -> None:
        parameters = operation.setdefault("parameters", [])
        if not any(parameter.get("name") == "X-Language" for parameter in parameters):
            parameters.append(copy.deepcopy(LANGUAGE_HEADER))

    def _add_paging_headers(self, operation: dict) -> None:
        """Plain-array lists carry their paging in headers (contract section 0)."""
        pagination_class = getattr(self.view, "pagination_class", None)
        if not (
            self.method == "GET"
            and pagination_class is not None
            and issubclass(pagination_class, ArrayPagination)
            and self._is_list_view()
        ):
            return
        ok = operation.get("responses", {}).get("200")
        if ok is not None:
            ok.setdefault("headers", {}).update(ARRAY_PAGING_HEADERS)

    def _add_default_errors(self, operation: dict) -> None:
        responses = operation.setdefault("responses", {})
        codes = [429]
        if self.view.get_authenticators():
            codes.append(401)
        has_query = any(
            parameter.get("in") == "query" for parameter in operation.get("parameters", [])
        )
        if self.method in {"POST", "PUT", "PATCH"} or has_query:
            codes.append(400)
        if "requestBody" in operation:
            # A body may also be too large (413, the request size limit) or of a media type
            # the endpoint does not parse (415).
            codes += [413, 415]
        if "{" in self.path:
            codes.append(404)
        for code in codes:
            responses.setdefault(str(code), {"description": _ERROR_DESCRIPTIONS[code]})

    def _wrap_responses(self, operation: dict) -> None:
        for code, response in operation.get("responses", {}).items():
            status_code = int(code)
            if status_code == 204:
                response.pop("content", None)
                continue
            if status_code >= 400:
                response["description"] = response.get("description") or _ERROR_DESCRIPTIONS.get(
                    status_code, HTTPStatus(status_code).phrase
                )
                response["content"] = {"application/json": {"schema": ERROR_ENVELOPE_REF}}
                continue
            content = response.get("content")
            if not content:
                response["content"] = {
                    "application/json": {"schema": success_envelope(None, status_code)}
                }
                continue
            for media_type, media in content.items():
                if media_type != "application/json":
                    continue
                media["schema"] = success_envelope(media.get("schema"), status_code)
                for example in media.get("examples", {}).values():
                    if "value" in example:
                        example["value"] = _example_envelope(
                            copy.deepcopy(example["value"]), status_code
                        )


def _camel_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: "{" + camel_key(match.group(1)) + "}", path)


def postprocess_envelope(result, generator, request, public):
    """Add the error envelope component every error response refers to, and name path
    parameters as the contract does (`{userId}`, not the view's `{user_id}`)."""
    result.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = (
        ERROR_ENVELOPE_SCHEMA
    )
    paths = {}
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path":
                    parameter["name"] = camel_key(parameter["name"])
        paths[_camel_path(path)] = item
    result["paths"] = paths
    return result


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "users.authentication.JWTAuthentication"
    name = JWT_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Paste the JWT access token without the Bearer prefix.",
        }
