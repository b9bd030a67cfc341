"""A project's page (everything about one project, with the disclosure rules) and its change history."""

from dataclasses import dataclass, field

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import ForeignKey, JSONField
from django.forms.models import model_to_dict
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

from .. import selectors
from ..choices import BeneficiaryGroup, ParticipationRole, country_name
from ..choices import ParticipationStatus as P
from ..forms_workflow import (
    DocumentForm,
    InviteForm,
    JoinForm,
    MilestoneForm,
    ReviewCommentForm,
)
from ..models import Milestone, Participation, ProjectArticle
from ..services import allowed_actions
from .tracking import TRACKING_PERMISSIONS

REVIEW_ACTIONS = {"return", "publish", "cancel"}
DANGER_ACTIONS = {"withdraw", "cancel"}
HISTORY_PAGE_SIZE = 25
PENDING = (P.INVITED, P.REQUESTED)
HIDDEN_IN_HISTORY = {"id", "project"}  # the same for every record of one object


def detail(request, pk):
    project = selectors.project_get(pk=pk, actor=request.user)
    return render(request, "projects/detail.html", page_context(request.user, project))


def page_context(user, project) -> dict:
    """What the page shows to `user`: restricted parts only to participants and coordinators."""
    restricted = selectors.can_see_restricted(user, project)
    context = {
        "project": project,
        "health": selectors.health_of(project),
        "show_contact": user.is_authenticated and (restricted or not project.contact_restricted),
        "show_budget": restricted or not project.budget_restricted,
        "article_groups": _article_groups(project),
        "pillars": _pillars(project),
        "participations": selectors.active_participations(project),
        "countries": [(code, country_name(code)) for code in project.countries or []],
        "beneficiary_groups": [_label(BeneficiaryGroup, value) for value in project.beneficiary_groups or []],
        "documents": selectors.visible_documents(user, project),
        "reports": project.progress_reports.select_related("party", "author").prefetch_related("indicators"),
        "actions": [_action_button(action) for action in allowed_actions(project=project, actor=user)],
        "can_view_history": user.has_perm("projects.view_history", project),
        "can_change": user.has_perm("projects.change_project", project),
        "can_track": any(user.has_perm(name, project) for name in TRACKING_PERMISSIONS),
        "can_report": user.has_perm("projects.report_progress", project),
    }
    if restricted:
        context["transitions"] = project.transitions.select_related("actor__party")
        context["review_comments"] = project.review_comments.select_related("author__party")
    if user.has_perm("projects.comment_project", project):
        context["comment_form"] = ReviewCommentForm()
    if context["can_track"]:
        context["milestone_form"] = MilestoneForm(auto_id="milestone_%s")
        context["document_form"] = DocumentForm(auto_id="document_%s")
    context.update(_joining_context(user, project))
    return context


def _action_button(action) -> dict:
    """A lifecycle button; returning and cancelling need a comment, the other review actions may have one."""
    comment = "required" if action.comment_required else "optional" if action.name in REVIEW_ACTIONS else ""
    return {"action": action, "comment": comment, "danger": action.name in DANGER_ACTIONS}


def _joining_context(user, project) -> dict:
    """Join and invite forms, and the requests or invitations this user can answer."""
    pending = [p for p in project.participations.all() if p.status in PENDING]
    own = next((p for p in project.participations.all() if user.is_authenticated and p.party_id == user.party_id), None)
    context = {"own_participation": own if own and own.role != ParticipationRole.LEAD else None, "pending": []}
    if user.has_perm("projects.ask_to_join", project) and not (own and own.status in (P.ACTIVE, *PENDING)):
        context["join_form"] = JoinForm(auto_id="join_%s")
    if user.has_perm("projects.manage_participants", project):
        context["invite_form"] = InviteForm(project=project, auto_id="invite_%s")
        context["lead_answers"] = [p for p in pending if p.status == P.REQUESTED and not p.lead_accepted_at]
        context["pending"] = [p for p in pending if p not in context["lead_answers"]]  # waiting for the other party
    if user.is_authenticated and user.is_focal_point:
        context["party_answers"] = [p for p in pending if p.party_id == user.party_id and not p.party_confirmed_at]
    return context


def _article_groups(project) -> list[dict]:
    """The primary article first, then the other tags grouped by framework."""
    links = list(project.article_links.all())
    groups = [{"primary": True, "links": [link for link in links if link.is_primary]}]
    for link in links:
        if link.is_primary:
            continue
        if len(groups) == 1 or groups[-1]["framework"] != link.article.framework:
            groups.append({"primary": False, "framework": link.article.framework, "links": []})
        groups[-1]["links"].append(link)
    return [group for group in groups if group["links"]]


def _pillars(project) -> list[dict]:
    """The pillars the tagged articles belong to, each with its framework (for the link)."""
    frameworks = {link.article.pillar_id: link.article.framework for link in project.article_links.all()}
    return [{"pillar": pillar, "framework": frameworks[pillar.pk]} for pillar in project.pillars]


def _label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


# --- History ------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One historical record, its predecessor for the same object, and what it is about."""

    record: object
    previous: object
    subject: str
    changes: list = field(default_factory=list)


def history(request, pk):
    project = selectors.project_get(pk=pk, actor=request.user)
    if not request.user.has_perm("projects.view_history", project):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    page = Paginator(_history_entries(project), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    _add_changes(page.object_list)
    return render(request, "projects/history.html", {"project": project, "entries": page.object_list, "page": page})


def _history_entries(project) -> list[Entry]:
    """Every change to the project and to its article tags, milestones and participations, newest first."""
    sources = [
        (project.history.all(), _("Project")),
        (ProjectArticle.history.filter(project_id=project.pk).select_related("article__framework"), None),
        (Milestone.history.filter(project_id=project.pk), None),
        (Participation.history.filter(project_id=project.pk).select_related("party"), None),
    ]
    entries = []
    for queryset, subject in sources:
        previous_of = {}
        for record in queryset.select_related("history_user__party").order_by("history_date", "history_id"):
            entries.append(Entry(record, previous_of.get(record.id), subject or _subject(record)))
            previous_of[record.id] = record
    entries.sort(key=lambda entry: (entry.record.history_date, entry.record.history_id), reverse=True)
    return entries


def _subject(record) -> str:
    model = record.instance_type
    if model is ProjectArticle:
        return _("Article tag: %(article)s") % {"article": record.article}
    if model is Participation:
        return _("Participation: %(party)s") % {"party": record.party}
    return _("Milestone: %(title)s") % {"title": record.title}


def _add_changes(entries: list[Entry]) -> None:
    """Field-by-field old → new for each entry (diff_against), with ids resolved in bulk."""
    m2m = _m2m_values(entries)
    raw = []
    for entry in entries:
        record = entry.record
        m2m_names = {f.name for f in getattr(record, "_history_m2m_fields", [])}
        if record.history_type == "+":
            values = model_to_dict(record, fields=[f.name for f in record.tracked_fields if f.editable])
            changes = [
                (name, None, value)
                for name, value in values.items()
                if value not in (None, "", []) and value is not False
            ]
        elif record.history_type == "-" or entry.previous is None:
            changes = []
        else:
            delta = record.diff_against(entry.previous, excluded_fields=m2m_names)
            changes = [(change.field, change.old, change.new) for change in delta.changes]
            for name in sorted(m2m_names):
                old, new = m2m.get((entry.previous.history_id, name), []), m2m.get((record.history_id, name), [])
                if old != new:
                    changes.append((name, old, new))
        raw.append((entry, [change for change in changes if change[0] not in HIDDEN_IN_HISTORY]))
    objects = _related_objects(raw)
    for entry, changes in raw:
        entry.changes = [_readable(entry.record, name, old, new, objects) for name, old, new in changes]


def _m2m_values(entries: list[Entry]) -> dict:
    """{(history_id, field): sorted related ids} for the entries' records and their predecessors,
    in one query per tracked many-to-many field (diff_against would query each pair)."""
    values = {}
    with_m2m = [entry for entry in entries if getattr(entry.record, "_history_m2m_fields", None)]
    if not with_m2m:
        return values
    model = type(with_m2m[0].record)
    wanted = {entry.record.history_id for entry in with_m2m}
    wanted |= {entry.previous.history_id for entry in with_m2m if entry.previous is not None}
    for m2m_field in model._history_m2m_fields:
        column = get_m2m_reverse_field_name(m2m_field)
        rows = getattr(model, m2m_field.name).model.objects.filter(history_id__in=wanted)
        for history_id, related_id in rows.values_list("history_id", f"{column}_id"):
            values.setdefault((history_id, m2m_field.name), []).append(related_id)
    return {key: sorted(ids) for key, ids in values.items()}


def _related_objects(raw) -> dict:
    """{model: {pk: object}} for every foreign key and many-to-many value shown."""
    wanted = {}
    for entry, changes in raw:
        for name, old, new in changes:
            model_field = entry.record.instance_type._meta.get_field(name)
            if isinstance(model_field, ForeignKey) or model_field.many_to_many:
                ids = wanted.setdefault(model_field.related_model, set())
                for value in (old, new):
                    ids.update(value if isinstance(value, list) else [value] if value is not None else [])
    return {model: model._default_manager.in_bulk(ids) for model, ids in wanted.items()}


def _readable(record, name, old, new, objects) -> dict:
    model_field = record.instance_type._meta.get_field(name)
    return {
        "label": capfirst(model_field.verbose_name),
        "old": _display(model_field, old, objects),
        "new": _display(model_field, new, objects),
    }


def _display(model_field, value, objects) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(model_field, ForeignKey) or model_field.many_to_many:
        related = objects.get(model_field.related_model, {})
        ids = value if isinstance(value, list) else [value]
        return ", ".join(_object_label(related.get(pk), pk) for pk in ids)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(model_field, JSONField) and isinstance(value, list):
        if model_field.name == "countries":
            return ", ".join(country_name(code) for code in value)
        if model_field.name == "beneficiary_groups":
            return ", ".join(str(_label(BeneficiaryGroup, group)) for group in value)
        return ", ".join(str(item) for item in value)
    if hasattr(value, "tzinfo"):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _object_label(obj, pk) -> str:
    if obj is None:
        return f"#{pk}"
    if hasattr(obj, "get_full_name"):
        return obj.get_full_name() or obj.username
    return str(obj)


urlpatterns = [
    path("projects/<int:pk>/", detail, name="detail"),
    path("projects/<int:pk>/history/", history, name="history"),
]
