"""Officers' and reviewers' working lists: my drafts, my party's projects, the review queue."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .. import selectors

PAGE_SIZE = 50


def _list_page(request, *, queryset, title, empty_text, intro=""):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "title": title,
        "intro": intro,
        "projects": page.object_list,
        "page": page,
        "empty_text": empty_text,
        "pending": selectors.pending_participations(actor=request.user),
    }
    return render(request, "projects/working_list.html", context)


@login_required
def my_drafts(request):
    return _list_page(
        request,
        queryset=selectors.my_drafts(actor=request.user),
        title=_("My drafts"),
        intro=_("Drafts and returned projects of your party, waiting for changes or submission."),
        empty_text=_("No drafts. Start a new project to add one."),
    )


@login_required
def party_projects(request):
    return _list_page(
        request,
        queryset=selectors.party_projects(actor=request.user),
        title=_("My party's projects"),
        intro=_("Every project your party leads or takes part in."),
        empty_text=_("Your party has no projects yet."),
    )


@login_required
def review_queue(request):
    return _list_page(
        request,
        queryset=selectors.review_queue(actor=request.user),
        title=_("Review queue"),
        intro=_("Submitted and resubmitted projects waiting for your review, oldest first."),
        empty_text=_("Nothing is waiting for review."),
    )


urlpatterns = [
    path("my/drafts/", my_drafts, name="my_drafts"),
    path("my/projects/", party_projects, name="party_projects"),
    path("my/review/", review_queue, name="review_queue"),
]
