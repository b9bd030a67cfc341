from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


class LibraryAdminSite(admin.AdminSite):
    """Admin for the secretariat: only coordinators (and superusers) get in.

    Signing in goes through the site's own login page, so lockout and two-factor
    sign-in apply to the admin exactly as to the rest of the service. A signed-in
    person without the coordinator role gets 403, not a login loop.
    """

    site_header = _("Open Project Library — administration")
    site_title = _("Open Project Library")
    index_title = _("Secretariat administration")

    def has_permission(self, request):
        user = request.user
        return bool(user.is_active and (user.is_superuser or getattr(user, "is_coordinator", False)))

    def _refuse(self, request):
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.get_full_path())

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if not self.has_permission(request):
                return self._refuse(request)
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request, extra_context=None):
        if self.has_permission(request):
            return redirect_to_login(request.GET.get("next", "/admin/"))
        return self._refuse(request)
