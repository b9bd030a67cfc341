import pytest

from tests.factories import draft_project


@pytest.fixture
def draft(officer):
    return draft_project(officer=officer)
