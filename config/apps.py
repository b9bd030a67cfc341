from django.contrib.admin.apps import AdminConfig


class LibraryAdminConfig(AdminConfig):
    """The Django admin, open to coordinators only (see config.admin_site)."""

    default_site = "config.admin_site.LibraryAdminSite"
