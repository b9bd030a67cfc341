from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from framework import views as framework_views
from registry import views as registry_views

from . import health

urlpatterns = [
    path("", framework_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/login/", registry_views.LoginView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", registry_views.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/setup/", registry_views.two_factor_setup, name="two_factor_setup"),
    path("frameworks/", include("framework.urls")),
    path("parties/", registry_views.party_list, name="party_list"),
    path("", include("projects.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
handler403 = "config.errors.permission_denied"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
