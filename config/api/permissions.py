from django.conf import settings
from rest_framework.permissions import BasePermission


class DocsPermission(BasePermission):
    """API docs are public unless `API_DOCS_PUBLIC=false`, then staff only."""

    def has_permission(self, request, view):
        if settings.API_DOCS_PUBLIC:
            return True
        return bool(request.user and request.user.is_staff)
