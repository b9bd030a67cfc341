"""The project lifecycle: draft → submitted → returned ↔ resubmitted → published → ongoing → completed,
and withdrawn or cancelled. Every transition is checked, recorded, and all-or-nothing."""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feed.services import change_record
from notifications import events

from ..choices import FINAL_STATUSES, IN_REVIEW_STATUSES, ProjectStatus
from ..models import Project, ReferenceSequence, ReviewComment, Transition
from .editing import submission_problems


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: tuple
    target: str
    permission: str
    comment_required: bool = False


S = ProjectStatus
TRANSITIONS = {
    a.name: a
    for a in (
        Action("submit", _("Submit for review"), (S.DRAFT,), S.SUBMITTED, "projects.submit_project"),
        Action("resubmit", _("Resubmit"), (S.RETURNED,), S.RESUBMITTED, "projects.submit_project"),
        Action("return", _("Return for changes"), IN_REVIEW_STATUSES, S.RETURNED, "projects.review_project", True),
        Action("publish", _("Publish"), IN_REVIEW_STATUSES, S.PUBLISHED, "projects.review_project"),
        Action("start", _("Mark as ongoing"), (S.PUBLISHED,), S.ONGOING, "projects.run_project"),
        Action("complete", _("Mark as completed"), (S.ONGOING,), S.COMPLETED, "projects.run_project"),
        Action(
            "withdraw",
            _("Withdraw"),
            (S.DRAFT, S.SUBMITTED, S.RETURNED, S.RESUBMITTED, S.PUBLISHED, S.ONGOING),
            S.WITHDRAWN,
            "projects.withdraw_project",
        ),
        Action(
            "cancel",
            _("Cancel"),
            tuple(s for s in S if s not in FINAL_STATUSES),
            S.CANCELLED,
            "projects.cancel_project",
            True,
        ),
    )
}


def allowed_actions(*, project: Project, actor) -> list[Action]:
    """The transitions `actor` may take on `project` now (for buttons)."""
    return [
        action
        for action in TRANSITIONS.values()
        if project.status in action.sources and actor.has_perm(action.permission, project)
    ]


def project_transition(*, project: Project, actor, action: str, comment: str = "", now=None) -> Project:
    """Move a project along its lifecycle; an illegal or unauthorized move raises and changes nothing."""
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationError(_("Unknown action."))
    comment = comment.strip()
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if not actor.has_perm("projects.view_project", project):
            raise PermissionDenied  # outsiders learn nothing about the project's state
        if project.status not in step.sources:
            raise ValidationError(
                _("A project that is “%(status)s” cannot be moved to “%(target)s”.")
                % {"status": project.get_status_display(), "target": S(step.target).label}
            )
        if not actor.has_perm(step.permission, project):
            raise PermissionDenied
        if step.comment_required and not comment:
            raise ValidationError({"comment": [_("Say why, so the submitter knows what to change.")]})
        if step.target in (S.SUBMITTED, S.RESUBMITTED):
            problems = submission_problems(project)
            if problems:
                raise ValidationError(problems)
        now = now or timezone.now()
        previous = project.status
        project.status = step.target
        changed = ["status", "updated_at"]
        if step.target in (S.SUBMITTED, S.RESUBMITTED):
            project.submitted_at = now
            changed.append("submitted_at")
        if step.target == S.PUBLISHED:
            project.published_at = now
            changed.append("published_at")
            if not project.reference_code:
                project.reference_code = _next_reference_code(project, now.year)
                changed.append("reference_code")
        project.save(update_fields=changed)
        Transition.objects.create(
            project=project, from_status=previous, to_status=step.target, actor=actor, comment=comment, at=now
        )
        if comment:
            ReviewComment.objects.create(project=project, author=actor, text=comment)
        events.record(events.transition_kind(action), project=project, actor=actor, payload={"to": step.target})
        change_record(project_id=project.pk)
    return project


def reference_prefix(project: Project) -> str:
    """DEGD for DEGD-2023, BRDE-BJ for BRDE-BJ-2023: the primary article's framework, without its year."""
    primary = project.article_links.select_related("article__framework").filter(is_primary=True).first()
    code = primary.article.framework.code if primary else "OPL"
    return re.sub(r"-\d{4}$", "", code)


def _next_reference_code(project: Project, year: int) -> str:
    prefix = reference_prefix(project)
    updated = ReferenceSequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    if not updated:
        try:
            with transaction.atomic():
                ReferenceSequence.objects.create(prefix=prefix, year=year, last=1)
        except IntegrityError:  # created concurrently: take the next number instead
            ReferenceSequence.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    number = ReferenceSequence.objects.get(prefix=prefix, year=year).last
    return f"{prefix}-{year}-{number:04d}"
