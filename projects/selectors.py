"""Reads of the library, each with the visibility and disclosure rules applied."""

from django.db.models import Prefetch, Q
from django.http import Http404

from framework.models import Article

from .choices import IN_REVIEW_STATUSES, ParticipationStatus, ProjectStatus
from .models import Document, Participation, Project, ProjectArticle, reporting_health

LIST_RELATED = ("lead_party", "lead_organization")


def article_links_prefetch():
    return Prefetch(
        "article_links",
        queryset=ProjectArticle.objects.select_related("article__framework", "article__pillar", "article__part"),
    )


def participations_prefetch():
    return Prefetch("participations", queryset=Participation.objects.select_related("party").order_by("-role"))


def with_list_data(queryset):
    """What a project list shows: lead party, articles (hence pillars), participants, themes, health."""
    return (
        queryset.select_related(*LIST_RELATED)
        .prefetch_related(article_links_prefetch(), participations_prefetch(), "themes", "sdgs")
        .with_reporting()
    )


def project_get(*, pk: int, actor) -> Project:
    """The project if `actor` may see it; 404 otherwise (never reveal that it exists)."""
    queryset = with_list_data(Project.objects.all()).prefetch_related(
        "milestones", "external_ids", Prefetch("documents", queryset=Document.objects.order_by("uploaded_at"))
    )
    project = queryset.filter(pk=pk).first()
    if project is None or not actor.has_perm("projects.view_project", project):
        raise Http404
    return project


def project_for_update(*, pk: int, actor, permission: str = "projects.change_project") -> Project:
    """For write views: 404 when the project is invisible to `actor`, the object otherwise.

    The caller's service still checks `permission` (and raises PermissionDenied)."""
    project = Project.objects.select_related("lead_party").prefetch_related("participations").filter(pk=pk).first()
    if project is None or not actor.has_perm("projects.view_project", project):
        raise Http404
    return project


def health_of(project: Project):
    started = project.start_on
    return reporting_health(
        status=project.status,
        last_report_on=getattr(project, "last_report_on", None),
        has_overdue_milestone=getattr(project, "has_overdue_milestone", False),
        started_on=started,
    )


def can_see_restricted(actor, project) -> bool:
    return actor.has_perm("projects.view_restricted", project)


def visible_documents(actor, project):
    documents = list(project.documents.all())
    if can_see_restricted(actor, project):
        return documents
    return [document for document in documents if not document.restricted]


def active_participations(project):
    """Only parties that have consented are shown as participating."""
    return [p for p in project.participations.all() if p.status == ParticipationStatus.ACTIVE]


def my_drafts(*, actor):
    if not actor.is_authenticated or not actor.party_id:
        return Project.objects.none()
    statuses = (ProjectStatus.DRAFT, ProjectStatus.RETURNED)
    return with_list_data(Project.objects.filter(lead_party_id=actor.party_id, status__in=statuses)).order_by(
        "-updated_at"
    )


def party_projects(*, actor):
    """Every project the actor's party leads or actively takes part in."""
    if not actor.is_authenticated or not actor.party_id:
        return Project.objects.none()
    mine = Q(lead_party_id=actor.party_id) | Q(
        participations__party_id=actor.party_id, participations__status=ParticipationStatus.ACTIVE
    )
    return with_list_data(Project.objects.filter(mine).distinct()).order_by("-updated_at")


def review_queue(*, actor):
    """Submitted and resubmitted projects the actor reviews: their party's (focal points) or all (coordinators)."""
    queryset = Project.objects.filter(status__in=IN_REVIEW_STATUSES)
    if actor.is_authenticated and (actor.is_superuser or actor.is_coordinator):
        return with_list_data(queryset).order_by("submitted_at")
    if actor.is_authenticated and actor.is_focal_point:
        return with_list_data(queryset.filter(lead_party_id=actor.party_id)).order_by("submitted_at")
    return Project.objects.none()


def pending_participations(*, actor):
    """Invitations and requests waiting for the actor's party: its focal point's confirmation
    (invitations, its officers' requests) or the lead's answer (requests to join its projects)."""
    if not actor.is_authenticated or not actor.party_id:
        return Participation.objects.none()
    waiting = Q(project__lead_party_id=actor.party_id, status=ParticipationStatus.REQUESTED, lead_accepted_at=None)
    if actor.is_focal_point:
        waiting |= Q(
            party_id=actor.party_id,
            status__in=(ParticipationStatus.INVITED, ParticipationStatus.REQUESTED),
            party_confirmed_at=None,
        )
    return Participation.objects.filter(waiting).select_related("project", "party").order_by("created_at")


def article_projects(*, article: Article):
    """Published projects tagged to one article (for the article page)."""
    return with_list_data(Project.objects.public().filter(article_links__article=article).distinct()).order_by(
        "-published_at"
    )
