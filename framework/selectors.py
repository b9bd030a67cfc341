"""Reads of the framework catalogue."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from .models import Article, Framework, Part, Pillar


def framework_list():
    return Framework.objects.all()


def framework_primary() -> Framework | None:
    return Framework.objects.filter(is_primary=True).first()


def framework_with_structure(*, code: str) -> Framework:
    """A framework with its parts, pillars and articles loaded in four queries."""
    articles = Article.objects.with_structure().order_by("number")
    queryset = Framework.objects.prefetch_related(
        Prefetch("parts", queryset=Part.objects.order_by("number")),
        Prefetch("pillars", queryset=Pillar.objects.select_related("part").order_by("number")),
        Prefetch("articles", queryset=articles),
    )
    return get_object_or_404(queryset, code=code)


def framework_outline(framework: Framework) -> list[dict]:
    """Parts → pillars → articles, for the overview page (uses the prefetched rows)."""
    articles = list(framework.articles.all())
    outline = []
    for part in framework.parts.all():
        pillars = [
            {"pillar": pillar, "articles": [a for a in articles if a.pillar_id == pillar.pk]}
            for pillar in framework.pillars.all()
            if pillar.part_id == part.pk
        ]
        loose = [a for a in articles if a.part_id == part.pk and a.pillar_id is None]
        outline.append({"part": part, "pillars": pillars, "articles": loose})
    without_part = [a for a in articles if a.part_id is None]
    if without_part:
        outline.append({"part": None, "pillars": [], "articles": without_part})
    return outline


def article_get(*, code: str, number: int) -> Article:
    return get_object_or_404(Article.objects.with_structure(), framework__code=code, number=number)


def article_neighbours(article: Article) -> tuple[Article | None, Article | None]:
    siblings = Article.objects.filter(framework_id=article.framework_id)
    previous = siblings.filter(number__lt=article.number).order_by("-number").first()
    following = siblings.filter(number__gt=article.number).order_by("number").first()
    return previous, following
