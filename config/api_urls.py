from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from feed.api.views import ProjectSyncView
from framework.api.views import ArticleViewSet, FrameworkViewSet, PillarViewSet
from projects.api.coverage import coverage_view
from projects.api.external import ExternalBulkView, ExternalProjectView
from projects.api.iati import iati_activities
from projects.api.meta import meta
from projects.api.views import ProjectViewSet
from registry.api.views import PartyViewSet

app_name = "api"

router = DefaultRouter()
router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("pillars", PillarViewSet, basename="pillar")
router.register("articles", ArticleViewSet, basename="article")
router.register("parties", PartyViewSet, basename="party")
router.register("projects", ProjectViewSet, basename="project")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/swagger/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger"),
    path("schema/redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("iati/activities.xml", iati_activities, name="iati-activities"),
    path("meta/", meta, name="meta"),
    path("coverage/", coverage_view, name="coverage"),
    path("projects/external/bulk/", ExternalBulkView.as_view(), name="project-external-bulk"),
    path("projects/external/<slug:source>/<str:external_id>/", ExternalProjectView.as_view(), name="project-external"),
    path("webhooks/", include("webhooks.api.urls")),  # webhooks for partner systems (issue 6)
    path("sync/projects/", ProjectSyncView.as_view(), name="sync-projects"),  # incremental sync (issue 5)
    path("", include(router.urls)),
]
