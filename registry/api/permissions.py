from rest_framework import permissions

from registry.models import PartnerKey


class KeyScopeAllowsMethod(permissions.BasePermission):
    """A read-only key may only read; sessions are governed by the object rules instead."""

    message = "This API key is read-only."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or not isinstance(request.auth, PartnerKey):
            return True
        return request.auth.can_write
