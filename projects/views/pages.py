"""A project's page."""

from django.shortcuts import render
from django.urls import path

from .. import selectors


def detail(request, pk):
    project = selectors.project_get(pk=pk, actor=request.user)
    return render(request, "projects/detail.html", {"project": project})


urlpatterns = [path("projects/<int:pk>/", detail, name="detail")]
