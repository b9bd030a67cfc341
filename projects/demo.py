"""Demo projects for `bootstrap --demo` (the content is in `demo_data.py`).

Every project is built through the real services with the actor who would act: officers create
and submit, focal points (or the secretariat) return and publish, the lead party starts and
completes, the secretariat cancels, other parties' focal points consent to join. So transitions,
reference codes and consents are real. What no service can date in the past is dated here, and
only here: when projects and participations were created, when review comments were written and
when progress reports were filed — so that the ongoing projects show every reporting health.

Idempotent: each project carries `ExternalId(source="demo", external_id=key)`; keys already
there are skipped, so a second run creates nothing.
"""

import calendar
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from framework.models import Article
from registry.models import Organization, Party, User

from .demo_data import (
    BUDGET_COMMENT,
    CONTACTS,
    INDICATORS,
    MIDDLE_MILESTONE,
    MILESTONES,
    MSME_INDICATOR,
    NARRATIVES,
    PROJECTS,
    WOMEN_INDICATOR,
    DemoProject,
)
from .models import ExternalId, Participation, ProgressReport, Project, ReviewComment
from .services import (
    milestone_save,
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    progress_report_add,
    project_create,
    project_transition,
    project_update,
)
from .services.editing import ArticleTag

SOURCE = "demo"
FRAMEWORKS = {"D": "DEGD-2023", "BJ": "BRDE-BJ-2023", "B": "BRDE-2017"}
PATHS = {
    "draft": (),
    "submitted": ("submit",),
    "returned": ("submit", "return"),
    "resubmitted": ("submit", "return", "resubmit"),
    "published": ("submit", "publish"),
    "ongoing": ("submit", "publish", "start"),
    "completed": ("submit", "publish", "start", "complete"),
}
REPORT_EVERY = timedelta(days=182)


def load() -> str:
    """Create the demo projects that are not there yet; returns a one-line summary."""
    existing = set(ExternalId.objects.filter(source=SOURCE).values_list("external_id", flat=True))
    today = timezone.localdate()
    plans = [Plan(spec, index, today) for index, spec in enumerate(PROJECTS) if spec.key not in existing]
    if plans:
        builder = Builder(today)
        with transaction.atomic():  # all or nothing, and one commit (much faster on SQLite)
            # In order of publication, so that reference numbers follow it.
            for plan in sorted(plans, key=lambda plan: plan.step_day("publish") or plan.created):
                builder.build(plan)
    return f"{len(plans)} projects created, {len(PROJECTS) - len(plans)} already there"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Plan:
    """When each step of one project happens, worked out from its status and its dates."""

    def __init__(self, spec: DemoProject, index: int, today: date):
        self.spec, self.index, self.today = spec, index, today
        offset = sum(map(ord, spec.key)) % 20  # a stable spread of start days
        self.start_on = add_months(today.replace(day=1), spec.start) + timedelta(days=offset)
        self.end_on = add_months(self.start_on, spec.months) - timedelta(days=1)
        self.actions = self._path()
        self.steps = self._steps()
        first = self.steps[0][1] if self.steps else today - timedelta(days=2 + index % 20)
        self.created = first - timedelta(days=14 + index % 10)

    def _path(self) -> tuple[str, ...]:
        spec = self.spec
        if spec.status in ("withdrawn", "cancelled"):
            path = PATHS[spec.before] + ("withdraw" if spec.status == "withdrawn" else "cancel",)
        else:
            path = PATHS[spec.status]
        if spec.returned_once and "publish" in path:
            path = ("submit", "return", "resubmit", *path[1:])
        return path

    def _steps(self) -> list[tuple[str, date]]:
        path, today, index = self.actions, self.today, self.index
        if "publish" in path:
            at = path.index("publish")
            published = (
                self.start_on - timedelta(days=30) if "start" in path else today - timedelta(days=25 + index % 30)
            )
            days = {action: published - timedelta(days=10 * (at - n)) for n, action in enumerate(path[:at])}
            days["publish"] = published
            for action in path[at + 1 :]:
                if action == "start":
                    days[action] = self.start_on
                elif action == "complete":
                    days[action] = min(self.end_on + timedelta(days=10), today - timedelta(days=2))
                elif "start" in path:  # withdrawn or cancelled while ongoing
                    days[action] = today - timedelta(days=10 + index % 20)
                else:
                    days[action] = published + max((today - published) // 2, timedelta(days=1))
        else:
            last = today - timedelta(days=2 + index % 20)
            days = {action: last - timedelta(days=10 * (len(path) - 1 - n)) for n, action in enumerate(path)}
        return [(action, days[action]) for action in path]

    def step_day(self, action: str) -> date | None:
        return next((day for name, day in self.steps if name == action), None)

    def report_days(self) -> list[date]:
        """When progress reports were filed: the last one sets the reporting health."""
        spec, index = self.spec, self.index
        if "start" not in self.actions:
            return []
        if spec.status == "completed":
            last = self.end_on + timedelta(days=5)
        elif spec.status == "cancelled":
            last = self.step_day("cancel") - timedelta(days=30)
        elif spec.health == "amber":
            last = self.today - timedelta(days=200 + (index * 13) % 60)
        elif spec.health == "red-silent":
            last = self.today - timedelta(days=400 + (index * 17) % 60)
        else:  # green, or red only for an overdue milestone
            last = self.today - timedelta(days=20 + (index * 11) % 60)
        days = []
        while last - timedelta(days=10) >= self.start_on + timedelta(days=30):
            days.insert(0, last)
            last -= REPORT_EVERY
        return days

    def milestones(self) -> list[tuple[str, date, date | None]]:
        """(title, due, done) — all done when completed; past ones done, except one overdue when red."""
        spec = self.spec
        language = 0 if spec.language == "zh-hans" else 1
        first, final = MILESTONES[spec.language]
        middle = MIDDLE_MILESTONE[spec.kind][language]
        middle_due = self.start_on + (self.end_on - self.start_on) / 2
        plan = [
            (first, self.start_on + timedelta(days=30)),
            (middle, middle_due),
            (final, self.end_on - timedelta(days=15)),
        ]
        if "start" not in self.actions:
            return [(title, due, None) for title, due in plan]
        until = self.step_day("complete") or self.step_day("cancel") or self.today
        past = [due for _title, due in plan if due < until]
        overdue = past[-1] if spec.health == "red-milestone" and past else None
        return [
            (title, due, min(due + timedelta(days=4), until) if due < until and due != overdue else None)
            for title, due in plan
        ]


class Builder:
    """Runs the plans through the services, with the demo people as actors."""

    def __init__(self, today: date):
        self.today = today
        self.now = timezone.now()
        self.users = {user.username: user for user in User.objects.select_related("party", "organization")}
        self.articles = {
            f"{prefix}{article.number}": article
            for prefix, code in FRAMEWORKS.items()
            for article in Article.objects.filter(framework__code=code)
        }
        self.organizations = {(o.party.code, o.name_en): o for o in Organization.objects.select_related("party")}
        self.parties = {party.code: party for party in Party.objects.all()}

    def at(self, day: date, index: int = 0) -> datetime:
        moment = datetime.combine(day, time(8 + index % 9, (index * 7) % 60), tzinfo=UTC)
        return min(moment, self.now - timedelta(minutes=5))

    def officer(self, spec: DemoProject) -> User:
        return self.users[spec.officer or f"officer.{spec.lead.lower()}"]

    def person(self, role: str, code: str) -> User:
        return self.users.get(f"{role}.{code.lower()}") or self.users[f"focal.{code.lower()}"]

    def build(self, plan: Plan):
        spec, officer = plan.spec, self.officer(plan.spec)
        with_budget_later = "resubmit" in plan.actions
        project = project_create(
            actor=officer,
            fields=self.fields(plan, officer, with_budget=not with_budget_later),
            article_tags=[
                ArticleTag(self.articles[ref], is_primary=n == 0, note=note)
                for n, (ref, note) in enumerate(spec.articles)
            ],
            theme_names=list(spec.themes),
            sdg_numbers=list(spec.sdgs),
        )
        ExternalId.objects.create(project=project, source=SOURCE, external_id=spec.key)
        self.invite(plan, project)
        last = self.at(plan.created)
        for action, day in plan.steps:
            last = self.at(day, plan.index)
            if action == "resubmit":
                project = project_update(project=project, actor=officer, fields=self.budget_fields(spec))
            project = self.transition(plan, project, action, last)
            if action == "publish":
                self.request(plan, project)
                for title, due, done in plan.milestones():
                    milestone_save(project=project, actor=officer, title=title, due_on=due, done_on=done)
            if action == "start":
                last = max(last, self.report(plan, project))
        Project.objects.filter(pk=project.pk).update(created_at=self.at(plan.created), updated_at=last)

    def fields(self, plan: Plan, officer: User, *, with_budget: bool) -> dict:
        spec = plan.spec
        name, phone = CONTACTS[officer.username]
        organization = self.organizations[(spec.lead, spec.organization)] if spec.organization else officer.organization
        fields = {
            "language": spec.language,
            "title_zh_hans": spec.title[0],
            "title_en": spec.title[1],
            "summary_zh_hans": spec.summary[0],
            "summary_en": spec.summary[1],
            "lead_organization": organization,
            "contact_name": name,
            "contact_email": officer.email,
            "contact_phone": phone,
            "contact_restricted": not spec.contact_public,
            "cooperation_mode": spec.mode,
            "project_type": spec.kind,
            "beneficiary_groups": list(spec.groups),
            "early_harvest": spec.early_harvest,
            "countries": list(spec.countries),
            "places": spec.places,
            "start_on": plan.start_on,
            "end_on": plan.end_on,
        }
        return fields | (self.budget_fields(spec) if with_budget else {})

    @staticmethod
    def budget_fields(spec: DemoProject) -> dict:
        if spec.budget is None:
            return {"funding_sources": spec.funding}
        amount, currency, restricted = spec.budget
        return {
            "budget_amount": amount,
            "budget_currency": currency,
            "budget_restricted": restricted,
            "funding_sources": spec.funding,
        }

    def transition(self, plan: Plan, project, action: str, at: datetime):
        spec = plan.spec
        if action in ("return", "publish"):
            actor = self.users["coordinator"] if spec.reviewer == "coordinator" else self.person("focal", spec.lead)
        elif action == "cancel":
            actor = self.users["coordinator"]
        else:
            actor = self.officer(spec)
        comment = ""
        if action == "return":
            comment = spec.review if spec.status == "returned" else BUDGET_COMMENT[spec.language]
        elif action in ("withdraw", "cancel"):
            comment = spec.review
        project = project_transition(project=project, actor=actor, action=action, comment=comment, now=at)
        if comment:
            ReviewComment.objects.filter(project=project, text=comment).update(created_at=at)
        return project

    def invite(self, plan: Plan, project):
        """Invitations go out while the project is drafted; the invited parties' focal points answer."""
        invited, answered = self.at(plan.created + timedelta(days=1)), self.at(plan.created + timedelta(days=3))
        for code, role, outcome in plan.spec.partners:
            if outcome not in ("active", "declined", "invited"):
                continue
            participation = participation_invite(
                project=project, actor=self.officer(plan.spec), party=self.parties[code], role=role
            )
            if outcome == "invited":
                self.date_participation(participation, created=invited, lead=invited)
                continue
            participation = participation_confirm(
                participation=participation, actor=self.person("focal", code), accept=outcome == "active"
            )
            self.date_participation(participation, created=invited, lead=invited, party=answered)

    def request(self, plan: Plan, project):
        """Once published, other parties ask to join; the lead party answers some of them."""
        published = plan.step_day("publish")
        asked, answered = self.at(published + timedelta(days=3)), self.at(published + timedelta(days=6))
        for code, role, outcome in plan.spec.partners:
            if outcome not in ("joined", "requested", "refused"):
                continue
            # A pending request comes from an officer (it also waits for the party's focal point).
            actor = self.person("officer" if outcome == "requested" else "focal", code)
            participation = participation_request(project=project, actor=actor, role=role)
            if outcome == "requested":
                self.date_participation(participation, created=asked, party=asked)
                continue
            participation = participation_respond(
                participation=participation, actor=self.officer(plan.spec), accept=outcome == "joined"
            )
            self.date_participation(participation, created=asked, party=asked, lead=answered)

    @staticmethod
    def date_participation(participation, *, created, lead=None, party=None):
        values = {"created_at": created, "updated_at": max(t for t in (created, lead, party) if t)}
        if participation.lead_accepted_at:
            values["lead_accepted_at"] = lead
        if participation.party_confirmed_at:
            values["party_confirmed_at"] = party
        Participation.objects.filter(pk=participation.pk).update(**values)

    def report(self, plan: Plan, project) -> datetime:
        """Progress reports while the project runs, the last one dated for the health it should show."""
        spec, days = plan.spec, plan.report_days()
        partner = next((code for code, _role, outcome in spec.partners if outcome in ("active", "joined")), None)
        period_start, last = plan.start_on, self.at(plan.start_on)
        for n, day in enumerate(days):
            period_end = day - timedelta(days=10)
            final = spec.status == "completed" and n == len(days) - 1
            elapsed = (period_end - plan.start_on) / (plan.end_on - plan.start_on)
            percent = 100 if final else max(5, min(95, round(100 * elapsed)))
            by_partner = partner and len(days) > 1 and n == len(days) - 2
            actor = self.person("focal", partner) if by_partner else self.officer(spec)
            language = "zh-hans" if actor.party.code == "CHN" else "en"
            report = progress_report_add(
                project=project,
                actor=actor,
                period_start=period_start,
                period_end=period_end,
                narrative=NARRATIVES[language][3 if final else (0 if percent < 25 else 1 if percent < 60 else 2)],
                percent_complete=percent,
                language=language,
                indicators=self.indicators(spec, language, percent),
            )
            ProgressReport.objects.filter(pk=report.pk).update(submitted_on=day)
            period_start, last = period_end + timedelta(days=1), self.at(day, plan.index)
        return last

    @staticmethod
    def indicators(spec: DemoProject, language: str, percent: int) -> list[dict]:
        column = 0 if language == "zh-hans" else 1
        main = INDICATORS[spec.kind]
        chosen = [(main, spec.target or main[2], 0)]
        if "msme" in spec.groups:
            chosen.append((MSME_INDICATOR, MSME_INDICATOR[2], 0))
        if "women" in spec.groups:
            chosen.append((WOMEN_INDICATOR, WOMEN_INDICATOR[2], 30))
        return [
            {
                "name": names[column][0],
                "unit": names[column][1],
                "baseline": baseline,
                "target": target,
                "actual": baseline + round((target - baseline) * percent / 100),
            }
            for names, target, baseline in chosen
        ]
