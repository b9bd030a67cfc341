from simple_history.admin import SimpleHistoryAdmin


def is_secretariat(user) -> bool:
    return bool(user.is_active and (user.is_superuser or getattr(user, "is_coordinator", False)))


class CoordinatorAdmin(SimpleHistoryAdmin):
    """Coordinators manage these records in full; nobody else sees them in the admin.

    Coordinators hold the permission through their role rather than per-model grants, so
    giving someone the coordinator role is the one switch that opens the admin.
    """

    def has_module_permission(self, request):
        return is_secretariat(request.user)

    def has_view_permission(self, request, obj=None):
        return is_secretariat(request.user)

    def has_add_permission(self, request):
        return is_secretariat(request.user)

    def has_change_permission(self, request, obj=None):
        return is_secretariat(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_secretariat(request.user)


class ReadOnlyCoordinatorAdmin(CoordinatorAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
