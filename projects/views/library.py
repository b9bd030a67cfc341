"""The public library: published projects only, no contact details."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path

from ..models import Project
from ..selectors import with_list_data


def library(request):
    projects = with_list_data(Project.objects.public()).order_by("-published_at")
    page = Paginator(projects, 25).get_page(request.GET.get("page"))
    return render(request, "projects/library.html", {"projects": page.object_list, "page": page})


urlpatterns = [path("projects/", library, name="library")]
