import factory

from registry.models import Organization, OrganizationKind, Party, Role, User


def party(code: str) -> Party:
    return Party.objects.get(code=code)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    party = factory.LazyFunction(lambda: party("CHN"))
    kind = OrganizationKind.MINISTRY
    name_en = factory.Sequence(lambda n: f"Ministry {n}")
    name_zh_hans = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.OFFICER
    party = factory.LazyFunction(lambda: party("CHN"))
    preferred_language = "en"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def article(number: int, framework: str = "DEGD-2023"):
    from framework.models import Article

    return Article.objects.get(framework__code=framework, number=number)


def draft_project(*, officer, **overrides):
    """A complete draft (ready to submit) led by the officer's party, through the real service."""
    from datetime import date

    from projects.services import project_create
    from projects.services.editing import ArticleTag

    fields = {
        "language": "en",
        "title_en": "Single window interoperability pilot",
        "summary_en": "Connects the single windows of two parties for paperless trade.",
        "cooperation_mode": "bilateral",
        "project_type": "pilot_zone",
        "start_on": date(2025, 1, 1),
        "end_on": date(2026, 12, 31),
        "countries": ["CHN", "KEN"],
        "budget_amount": "250000.00",
        "budget_currency": "USD",
    }
    tags = overrides.pop("article_tags", None) or [ArticleTag(article(5), is_primary=True), ArticleTag(article(6))]
    fields.update(overrides)
    return project_create(
        actor=officer, fields=fields, article_tags=tags, theme_names=["Single window"], sdg_numbers=[9, 17]
    )
