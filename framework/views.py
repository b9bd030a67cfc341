from django.shortcuts import render

from registry.selectors import party_counts

from . import selectors


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
    context = {"article": article, "framework": article.framework, "previous": previous, "following": following}
    return render(request, "framework/article_detail.html", context)
