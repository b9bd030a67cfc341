import pytest

from tests.factories import UserFactory, draft_project, party


@pytest.fixture
def officer(db):
    return UserFactory(role="officer", party=party("CHN"), username="officer_chn")


@pytest.fixture
def focal_point(db):
    return UserFactory(role="focal_point", party=party("CHN"), username="focal_chn")


@pytest.fixture
def other_officer(db):
    return UserFactory(role="officer", party=party("KEN"), username="officer_ken")


@pytest.fixture
def other_focal_point(db):
    return UserFactory(role="focal_point", party=party("KEN"), username="focal_ken")


@pytest.fixture
def draft(officer):
    return draft_project(officer=officer)
