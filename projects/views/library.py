"""The public library: published, ongoing and completed projects, searchable and filterable.

Public to everyone, signed in or not, and the same for everyone: no drafts, no contact
details, no budgets. Filters live in the query string, so every view of the library can be
bookmarked and shared. With htmx, a filter change swaps only the results (and the filter
fields, whose pillar and article choices follow the framework) and pushes the clean URL.
"""

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import push_url

from ..filters import ProjectFilter
from ..models import Project
from ..selectors import with_list_data

PAGE_SIZE = 25
RESULTS_ID = "library-results"
DEFAULT_SORT = ("sort", "relevance")  # what the sort menu sends when left alone: not worth a place in the URL


def library(request):
    filterset = ProjectFilter(request.GET, queryset=Project.objects.public(), request=request)
    projects = with_list_data(filterset.qs)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _filters_query(request.GET)
    context = {
        "form": filterset.form,
        "projects": page.object_list,
        "page": page,
        "query": query,
        "results_id": RESULTS_ID,
        "filtered": bool(query),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == RESULTS_ID and not htmx.history_restore_request:
        response = render(request, "projects/_library_update.html", context)
        address = reverse("projects:library") + (f"?{query}" if query else "")
        if page.number > 1:
            address += f"{'&' if query else '?'}page={page.number}"
        response = push_url(response, address)
    else:
        response = render(request, "projects/library.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target", "HX-History-Restore-Request"))
    return response


def _filters_query(data) -> str:
    """The non-empty filters of the query string, without the page (for links and the pushed URL)."""
    kept = QueryDict(mutable=True)
    for key, values in data.lists():
        if key in ProjectFilter.base_filters:
            kept.setlist(key, [value for value in values if value.strip() and (key, value) != DEFAULT_SORT])
    return kept.urlencode()


urlpatterns = [path("projects/", library, name="library")]
