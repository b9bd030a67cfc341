"""Five projects built through the services, with the figures they must give.

- P1 CHN, articles 5 and 6 (pillar 2), KEN an active participant, published 2025-02-10, 250,000 USD.
- P2 CHN, articles 12 (pillar 4) and 27 (no pillar), ongoing without reports (red), published
  2025-05-01, 100 EUR restricted, early harvest.
- P3 KEN, articles 5 (pillar 2) and 12 (pillar 4), completed, published 2025-05-20, 1,000 USD, autonomous.
- P4 CHN, article 5, submitted (counted only in the coordinators' funnel).
- P5 CHN, article 5, a draft (counted nowhere).
"""

from datetime import UTC, datetime

from projects.services import (
    participation_confirm,
    participation_request,
    participation_respond,
    project_transition,
)
from projects.services.editing import ArticleTag
from tests.factories import article, draft_project


def _at(month, day):
    return datetime(2025, month, day, 12, tzinfo=UTC)


def _publish(project, *, submitter, reviewer, on):
    project_transition(project=project, actor=submitter, action="submit")
    return project_transition(project=project, actor=reviewer, action="publish", now=on)


def five_projects(officer, focal_point, other_officer, other_focal_point, coordinator):
    p1 = _publish(draft_project(officer=officer), submitter=officer, reviewer=coordinator, on=_at(2, 10))
    joining = participation_request(project=p1, actor=other_officer, role="partner")
    participation_respond(participation=joining, actor=officer, accept=True)
    participation_confirm(participation=joining, actor=other_focal_point, accept=True)

    p2 = draft_project(
        officer=officer,
        title_en="E-invoicing for green trade",
        article_tags=[ArticleTag(article(12), is_primary=True), ArticleTag(article(27))],
        budget_amount="100.00",
        budget_currency="EUR",
        budget_restricted=True,
        early_harvest=True,
    )
    p2 = _publish(p2, submitter=officer, reviewer=focal_point, on=_at(5, 1))
    project_transition(project=p2, actor=officer, action="start")

    p3 = draft_project(
        officer=other_officer,
        title_en="Kenyan data centre",
        article_tags=[ArticleTag(article(5), is_primary=True), ArticleTag(article(12))],
        budget_amount="1000.00",
        cooperation_mode="autonomous",
    )
    p3 = _publish(p3, submitter=other_officer, reviewer=other_focal_point, on=_at(5, 20))
    project_transition(project=p3, actor=other_officer, action="start")
    project_transition(project=p3, actor=other_officer, action="complete")

    p4 = draft_project(officer=officer, title_en="Submitted", article_tags=[ArticleTag(article(5), is_primary=True)])
    project_transition(project=p4, actor=officer, action="submit")
    p5 = draft_project(officer=officer, title_en="Draft", article_tags=[ArticleTag(article(5), is_primary=True)])
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5}
