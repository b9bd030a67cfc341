"""The dashboard tests' fixture: the five projects of tests/scenarios.py."""

import pytest

from tests.conftest import verify_two_factor
from tests.scenarios import five_projects


@pytest.fixture
def projects(officer, focal_point, other_officer, other_focal_point, coordinator):
    return five_projects(officer, focal_point, other_officer, other_focal_point, coordinator)


@pytest.fixture
def focal_client(client, focal_point):
    return verify_two_factor(client, focal_point)
