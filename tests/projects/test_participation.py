import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.choices import ParticipationStatus as P
from projects.models import Participation
from projects.selectors import active_participations, party_projects, pending_participations
from projects.services import (
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    participation_withdraw,
    project_transition,
)
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(draft, officer, coordinator):
    project_transition(project=draft, actor=officer, action="submit")
    return project_transition(project=draft, actor=coordinator, action="publish")


def test_officer_request_needs_the_lead_and_their_own_focal_point(published, officer, other_officer, other_focal_point):
    request = participation_request(project=published, actor=other_officer, role="partner", message="We can help.")
    assert request.status == P.REQUESTED
    request = participation_respond(participation=request, actor=officer, accept=True)
    assert request.status == P.REQUESTED  # the lead agreed; Kenya's focal point has not yet
    assert [p.party.code for p in active_participations(published)] == ["CHN"]
    assert request in pending_participations(actor=other_focal_point)
    request = participation_confirm(participation=request, actor=other_focal_point, accept=True)
    assert request.status == P.ACTIVE
    assert published in party_projects(actor=other_officer)


def test_focal_point_request_is_the_party_consent(published, focal_point, other_focal_point):
    request = participation_request(project=published, actor=other_focal_point, role="supporter")
    request = participation_respond(participation=request, actor=focal_point, accept=True)
    assert request.status == P.ACTIVE


def test_lead_can_decline_a_request(published, officer, other_officer):
    request = participation_request(project=published, actor=other_officer, role="partner")
    assert participation_respond(participation=request, actor=officer, accept=False).status == P.DECLINED


def test_invitation_is_accepted_only_by_the_invited_party_focal_point(
    published, officer, other_officer, other_focal_point
):
    invitation = participation_invite(project=published, actor=officer, party=party("KEN"), role="beneficiary")
    assert invitation.status == P.INVITED
    with pytest.raises(PermissionDenied):
        participation_confirm(participation=invitation, actor=other_officer, accept=True)
    with pytest.raises(PermissionDenied):
        participation_confirm(participation=invitation, actor=officer, accept=True)
    assert Participation.objects.get(pk=invitation.pk).status == P.INVITED
    assert participation_confirm(participation=invitation, actor=other_focal_point, accept=True).status == P.ACTIVE


def test_third_party_cannot_answer_for_the_lead(published, other_officer):
    request = participation_request(project=published, actor=other_officer, role="partner")
    outsider = UserFactory(role="focal_point", party=party("THA"))
    with pytest.raises(PermissionDenied):
        participation_respond(participation=request, actor=outsider, accept=True)
    with pytest.raises(PermissionDenied):
        participation_invite(project=published, actor=outsider, party=party("SRB"), role="partner")
    assert Participation.objects.get(pk=request.pk).lead_accepted_at is None


def test_cannot_ask_to_join_a_draft_or_own_project(draft, published, officer, other_officer):
    from tests.factories import draft_project

    with pytest.raises(PermissionDenied):
        participation_request(project=published, actor=officer, role="partner")
    with pytest.raises(PermissionDenied):
        participation_request(project=draft_project(officer=officer), actor=other_officer, role="partner")


def test_double_request_and_lead_role_are_refused(published, other_officer):
    participation_request(project=published, actor=other_officer, role="partner")
    with pytest.raises(ValidationError):
        participation_request(project=published, actor=other_officer, role="partner")


def test_participant_can_withdraw_but_not_the_lead(published, officer, other_focal_point):
    request = participation_request(project=published, actor=other_focal_point, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    assert participation_withdraw(participation=request, actor=other_focal_point).status == P.WITHDRAWN
    lead = published.participations.get(role="lead")
    with pytest.raises(ValidationError):
        participation_withdraw(participation=lead, actor=officer)
