"""Who hears about an event, by role. The actor is never told about their own action.

- Milestone and progress-report reminders: the lead party's officers and focal points (they
  record milestones and reports for the project).
- A party joined the framework: the coordinators and every party's focal points (they look for
  partners).
- An API key created or about to expire: the coordinators (they issue keys) and the focal points
  of the key's party (they answer for their partner system). The partner-system account itself
  is not told: it is a machine account, and its key's secret is never sent by e-mail.
- The weekly digest: the coordinators.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q

from projects.choices import ParticipationStatus, ProjectStatus
from registry.models import Role

from .models import EventKind, OutboxEvent

K = EventKind
STAFF = (Role.OFFICER, Role.FOCAL_POINT)


def _people(*, parties=(), roles=STAFF):
    return Q(party__in=list(parties), role__in=list(roles))


def _active_parties(project):
    """The lead party and every party taking part with both consents."""
    ids = set(project.participations.filter(status=ParticipationStatus.ACTIVE).values_list("party_id", flat=True))
    return ids | {project.lead_party_id}


def _submitter(project):
    transition = (
        project.transitions.filter(to_status__in=[ProjectStatus.SUBMITTED, ProjectStatus.RESUBMITTED])
        .order_by("-at", "-pk")
        .first()
    )
    return transition.actor_id if transition else project.created_by_id


REMINDERS = (K.MILESTONE_DUE_SOON, K.MILESTONE_OVERDUE, K.REPORT_DUE_SOON, K.REPORT_OVERDUE)
KEYS = (K.API_KEY_CREATED, K.API_KEY_EXPIRING)


def _who_without_project(event: OutboxEvent) -> Q:
    coordinators = Q(role=Role.COORDINATOR)
    if event.kind == K.PARTY_JOINED:
        return coordinators | Q(role=Role.FOCAL_POINT, party__isnull=False)
    if event.kind in KEYS:
        return coordinators | _people(parties=[event.party_id], roles=[Role.FOCAL_POINT])
    if event.kind == K.WEEKLY_DIGEST:
        return coordinators
    return Q(pk__in=[])


def _who(event: OutboxEvent) -> Q:
    project, participation, kind = event.project, event.participation, event.kind
    if project is None:
        return _who_without_project(event)
    lead = [project.lead_party_id]
    if kind in (K.PROJECT_SUBMITTED, K.PROJECT_RESUBMITTED):
        return _people(parties=lead, roles=[Role.FOCAL_POINT])
    if kind == K.PROJECT_RETURNED:
        return Q(pk=_submitter(project)) | _people(parties=lead, roles=[Role.OFFICER])
    if kind == K.PROJECT_PUBLISHED:
        return _people(parties=_active_parties(project), roles=[Role.OFFICER]) | Q(role=Role.COORDINATOR)
    if kind in REMINDERS:
        return _people(parties=lead)
    if kind in (K.PROJECT_STATUS_CHANGED, K.REVIEW_COMMENT):
        parties = lead if kind == K.REVIEW_COMMENT else _active_parties(project)
        return _people(parties=parties)
    if participation is None:
        return Q(pk__in=[])
    if kind == K.JOIN_REQUESTED:
        who = _people(parties=lead)
        if participation.party_confirmed_at is None:  # the party's own consent is still needed
            who |= _people(parties=[participation.party_id], roles=[Role.FOCAL_POINT])
        return who
    if kind == K.INVITATION:
        return _people(parties=[participation.party_id], roles=[Role.FOCAL_POINT])
    if kind in (K.JOIN_ACCEPTED, K.JOIN_DECLINED):
        # "The other side": the lead party answered the joining party, or the other way round.
        side = participation.party_id if event.payload.get("by") == "lead" else project.lead_party_id
        return _people(parties=[side])
    return Q(pk__in=[])


def recipients_for(event: OutboxEvent):
    """Active people to tell about `event`, without its actor."""
    people = get_user_model().objects.filter(_who(event), is_active=True)
    if event.actor_id:
        people = people.exclude(pk=event.actor_id)
    return people.order_by("pk")
