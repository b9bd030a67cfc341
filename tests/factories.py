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
