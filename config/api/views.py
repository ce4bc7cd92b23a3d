"""Project-level views: health, the favicon, and JSON error handlers for what never reaches
DRF."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.api.middleware import error_response

logger = logging.getLogger(__name__)
COMPONENT_STATUSES = ["ok", "unavailable"]
DATABASE_UNAVAILABLE = _("Database unavailable")
# Browsers ask for /favicon.ico on every page that names no icon (the admin, Redoc). It is
# read from the source tree, so it answers with or without `collectstatic`.
FAVICON_PATH = settings.BASE_DIR / "static" / "favicon.ico"
FAVICON_CONTENT_TYPE = "image/x-icon"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # any driver error means "unreachable" to a load balancer
        logger.exception("health: database check failed")
        return False


def _cache_ok() -> bool:
    try:
        cache.set("health:ping", "pong", 5)
        return cache.get("health:ping") == "pong"
    except Exception:
        logger.exception("health: cache check failed")
        return False


@extend_schema(
    tags=["health"],
    summary="Health of the app, its database and its cache",
    responses={
        200: inline_serializer(
            "Health",
            {
                "status": serializers.ChoiceField(choices=["ok", "degraded", "unavailable"]),
                "database": serializers.ChoiceField(choices=COMPONENT_STATUSES),
                "cache": serializers.ChoiceField(choices=COMPONENT_STATUSES),
            },
        ),
        503: None,
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request):
    database = _database_ok()
    cache_status = _cache_ok()
    body = {
        "status": "ok"
        if database and cache_status
        else ("degraded" if database else "unavailable"),
        "database": "ok" if database else "unavailable",
        "cache": "ok" if cache_status else "unavailable",
    }
    if not database:
        return Response([DATABASE_UNAVAILABLE], status=503)
    return Response(body)


@require_safe
def favicon(request):
    response = HttpResponse(FAVICON_PATH.read_bytes(), content_type=FAVICON_CONTENT_TYPE)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def not_found(request, exception=None):
    return error_response(404)


def server_error(request):
    return error_response(500)


def bad_request(request, exception=None):
    return error_response(400)


def permission_denied(request, exception=None):
    return error_response(403)
