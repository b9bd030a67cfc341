"""The dashboard's figures on five projects built through the services (see conftest)."""

import pytest

from projects.coverage import coverage, coverage_filter

pytestmark = pytest.mark.django_db


def figures(user, scope_party=None, **filters):
    return coverage(coverage_filter(filters, user=user), user=user, party=scope_party)


def cells(scope):
    return {
        (row["number"], cell["party"]): cell["count"] for row in scope.matrix for cell in row["cells"] if cell["count"]
    }


def test_matrix_counts_lead_and_active_participants_with_totals(projects, coordinator):
    scope = figures(coordinator)
    assert [code for code, _name in scope.parties] == ["CHN", "KEN"]
    assert cells(scope) == {(2, "CHN"): 1, (2, "KEN"): 2, (4, "CHN"): 1, (4, "KEN"): 1}
    assert {row["number"]: row["total"] for row in scope.matrix} == {1: 0, 2: 2, 3: 0, 4: 2, 5: 0, 6: 0, 7: 0}
    assert [total["count"] for total in scope.party_totals] == [2, 2]
    assert scope.total == 3  # the submitted and draft projects are not counted


def test_article_coverage_and_gaps(projects, coordinator):
    rows = {row["article"].number: row for row in figures(coordinator).articles}
    assert len(rows) == 35
    covered = {number: (row["projects"], row["parties"]) for number, row in rows.items() if not row["gap"]}
    assert covered == {5: (2, 2), 6: (1, 2), 12: (2, 2), 27: (1, 1)}
    assert rows[1]["gap"] and rows[1]["projects"] == 0


def test_funnel_quarters_modes_themes_harvest_and_health(projects, coordinator):
    scope = figures(coordinator)
    assert [(s["stage"], s["count"], s["reached"]) for s in scope.funnel] == [
        ("submitted", 1, 4),
        ("published", 1, 3),
        ("ongoing", 1, 2),
        ("completed", 1, 1),
    ]
    assert [(q["year"], q["quarter"], q["count"]) for q in scope.quarters] == [(2025, 1, 1), (2025, 2, 2)]
    assert {m["mode"]: m["count"] for m in scope.modes} == {
        "autonomous": 1,
        "bilateral": 2,
        "plurilateral": 0,
        "collective": 0,
    }
    assert scope.themes == [{"name": "Single window", "count": 3}]
    assert scope.early_harvest == [projects["p2"]]
    assert scope.health == [{"party": "CHN", "green": 0, "amber": 0, "red": 1}]
    assert scope.red_projects == [projects["p2"]]


def budgets(scope):
    return {(row["pillar"], row["currency"]): (str(row["amount"]), row["projects"]) for row in scope.budgets}


def test_budget_per_pillar_and_currency_never_summed_across_currencies(projects, coordinator):
    assert budgets(figures(coordinator)) == {
        (2, "USD"): ("251000.00", 2),
        (4, "EUR"): ("100.00", 1),
        (4, "USD"): ("1000.00", 1),
        (None, "EUR"): ("100.00", 1),
        (None, "USD"): ("251000.00", 2),
    }


def test_restricted_budget_only_for_those_who_may_see_it(projects, focal_point, other_focal_point):
    assert (4, "EUR") in budgets(figures(focal_point))  # CHN leads the restricted project
    assert budgets(figures(other_focal_point)) == {
        (2, "USD"): ("251000.00", 2),
        (4, "USD"): ("1000.00", 1),
        (None, "USD"): ("251000.00", 2),
    }


def test_others_never_count_projects_that_are_not_public(projects, focal_point):
    scope = figures(focal_point, status="submitted")
    assert scope.total == 3  # an invalid status for a focal point is ignored, with a message on the page
    assert [s["stage"] for s in scope.funnel] == ["published", "ongoing", "completed"]


def test_filters_narrow(projects, coordinator):
    assert cells(figures(coordinator, party="ken")) == {(2, "CHN"): 1, (2, "KEN"): 2, (4, "KEN"): 1}
    assert figures(coordinator, cooperation_mode="autonomous").total == 1
    assert figures(coordinator, project_type="investment").total == 0
    assert figures(coordinator, sdg="9").total == 3
    assert figures(coordinator, sdg="1").total == 0
    dated = figures(coordinator, published_from="2025-05-01", published_to="2025-05-10")
    assert dated.total == 1 and not dated.linkable
    assert all(row["url"] is None for row in dated.matrix)
    assert figures(coordinator, status="submitted").total == 1
    assert figures(coordinator, status="completed").total == 1
    assert figures(coordinator, framework="DEGD-2023").total == 3


def test_party_view_counts_the_party_only(projects, focal_point):
    scope = figures(focal_point, scope_party=focal_point.party)
    assert cells(scope) == {(2, "CHN"): 1, (2, "KEN"): 1, (4, "CHN"): 1}
    assert scope.total == 2
