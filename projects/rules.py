"""Who may do what to a project (django `rules` predicates).

Officers change only their own party's drafts and returned projects; focal points review
their own party's; coordinators everything; anonymous users see only published projects.
"""

import rules

from .choices import EDITABLE_STATUSES, IN_REVIEW_STATUSES, PUBLIC_STATUSES, ParticipationStatus, ProjectStatus


@rules.predicate
def is_coordinator(user):
    return bool(user.is_authenticated and (user.is_superuser or user.is_coordinator))


@rules.predicate
def is_officer(user):
    return bool(user.is_authenticated and user.is_officer)


@rules.predicate
def is_partner_system(user):
    """A partner system's account (behind an API key) acts like an officer of its party."""
    return bool(user.is_authenticated and getattr(user, "role", None) == "partner_system")


@rules.predicate
def is_focal_point(user):
    return bool(user.is_authenticated and user.is_focal_point)


@rules.predicate
def in_lead_party(user, project):
    return bool(user.is_authenticated and user.party_id and user.party_id == project.lead_party_id)


@rules.predicate
def in_active_participant(user, project):
    if not (user.is_authenticated and user.party_id):
        return False
    return any(
        p.party_id == user.party_id and p.status == ParticipationStatus.ACTIVE for p in project.participations.all()
    )


@rules.predicate
def has_pending_invitation(user, project):
    """An invited party must be able to read what it is invited to, even before publication."""
    if not (user.is_authenticated and user.party_id):
        return False
    return any(
        p.party_id == user.party_id and p.status == ParticipationStatus.INVITED for p in project.participations.all()
    )


@rules.predicate
def is_public(user, project):
    return project.status in PUBLIC_STATUSES


@rules.predicate
def is_editable(user, project):
    return project.status in EDITABLE_STATUSES


@rules.predicate
def in_review(user, project):
    return project.status in IN_REVIEW_STATUSES


@rules.predicate
def is_running(user, project):
    return project.status in (ProjectStatus.PUBLISHED, ProjectStatus.ONGOING)


lead_member = in_lead_party & (is_officer | is_focal_point | is_partner_system)
participant_member = in_active_participant & (is_officer | is_focal_point | is_partner_system)

rules.add_perm(
    "projects.view_project",
    is_public | is_coordinator | in_lead_party | in_active_participant | has_pending_invitation,
)
rules.add_perm("projects.view_restricted", is_coordinator | in_lead_party | in_active_participant)
rules.add_perm("projects.view_history", is_coordinator | in_lead_party)
rules.add_perm("projects.change_project", (lead_member & is_editable) | is_coordinator)
rules.add_perm("projects.submit_project", lead_member & is_editable)
rules.add_perm("projects.withdraw_project", in_lead_party & (is_officer | is_partner_system))
rules.add_perm("projects.review_project", ((in_lead_party & is_focal_point) | is_coordinator) & in_review)
rules.add_perm("projects.run_project", lead_member | is_coordinator)
rules.add_perm("projects.cancel_project", is_coordinator)
rules.add_perm("projects.track_project", ((lead_member | participant_member) & is_running) | is_coordinator)
rules.add_perm("projects.report_progress", ((lead_member | participant_member) & is_running) | is_coordinator)
rules.add_perm("projects.manage_participants", (lead_member & (is_running | is_editable)) | is_coordinator)
rules.add_perm("projects.comment_project", is_coordinator | (in_lead_party & (is_officer | is_focal_point)))


@rules.predicate
def can_ask_to_join(user, project):
    """Another party's officer or focal point, on a published or ongoing project."""
    if not (user.is_authenticated and user.party_id and (user.is_officer or user.is_focal_point)):
        return False
    return project.status in (ProjectStatus.PUBLISHED, ProjectStatus.ONGOING) and user.party_id != project.lead_party_id


rules.add_perm("projects.ask_to_join", can_ask_to_join)
