from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from projects.selectors import article_projects
from registry.selectors import party_counts

from . import selectors

ARTICLE_PROJECTS_SHOWN = 10  # the rest are one link away, in the library filtered by the article


def home(request):
    primary = selectors.framework_primary()
    if primary:
        primary = selectors.framework_with_structure(code=primary.code)
    outline = selectors.framework_outline(primary) if primary else []
    context = {
        "primary": primary,
        "pillar_groups": [group for group in outline if group["pillars"]],
        "frameworks": selectors.framework_list(),
        "party_counts": party_counts(),
    }
    return render(request, "framework/home.html", context)


def framework_list(request):
    return render(request, "framework/framework_list.html", {"frameworks": selectors.framework_list()})


def framework_detail(request, code):
    framework = selectors.framework_with_structure(code=code)
    context = {"framework": framework, "outline": selectors.framework_outline(framework)}
    return render(request, "framework/framework_detail.html", context)


def article_detail(request, code, number):
    article = selectors.article_get(code=code, number=number)
    previous, following = selectors.article_neighbours(article)
    projects = article_projects(article=article)
    shown = list(projects[:ARTICLE_PROJECTS_SHOWN])
    query = urlencode({"framework": article.framework.code, "article": article.number})
    context = {
        "article": article,
        "framework": article.framework,
        "previous": previous,
        "following": following,
        "article_projects": shown,
        "article_projects_count": projects.count() if len(shown) == ARTICLE_PROJECTS_SHOWN else len(shown),
        "article_projects_url": f"{reverse('projects:library')}?{query}",
    }
    return render(request, "framework/article_detail.html", context)
