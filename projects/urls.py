"""The library's pages. Each views module declares its own `urlpatterns`."""

from .views import dashboard, editing, library, lists, pages, spreadsheets, tracking, workflow

app_name = "projects"

urlpatterns = [
    *library.urlpatterns,
    *editing.urlpatterns,
    *pages.urlpatterns,
    *workflow.urlpatterns,
    *tracking.urlpatterns,
    *lists.urlpatterns,
    *spreadsheets.urlpatterns,
    *dashboard.urlpatterns,
]
