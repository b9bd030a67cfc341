"""Who is told about what, by role; never the actor."""

import pytest

from notifications.models import EventKind, OutboxEvent
from notifications.recipients import recipients_for
from projects.services import (
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    project_transition,
)
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db


def told(kind):
    event = OutboxEvent.objects.filter(kind=kind).latest("pk")
    return {person.username for person in recipients_for(event)}


@pytest.fixture
def people(officer, focal_point, other_officer, other_focal_point, coordinator):
    UserFactory(role="officer", party=party("CHN"), username="officer_chn_two")
    UserFactory(role="officer", party=party("CHN"), username="officer_chn_gone", is_active=False)
    UserFactory(role="focal_point", party=party("THA"), username="focal_tha")


def test_returned_goes_to_the_submitter_and_the_lead_party_officers(people, submitted, focal_point):
    project_transition(project=submitted, actor=focal_point, action="return", comment="Add the budget.")
    assert told(EventKind.PROJECT_RETURNED) == {"officer_chn", "officer_chn_two"}  # not the inactive one


def test_resubmitted_goes_to_the_lead_party_focal_points(people, submitted, focal_point, officer):
    project_transition(project=submitted, actor=focal_point, action="return", comment="Add the budget.")
    project_transition(project=submitted, actor=officer, action="resubmit")
    assert told(EventKind.PROJECT_RESUBMITTED) == {"focal_chn"}


def test_joining_tells_the_other_side(people, submitted, coordinator, officer, other_officer, other_focal_point):
    project = project_transition(project=submitted, actor=coordinator, action="publish")
    request = participation_request(project=project, actor=other_officer, role="partner")
    # The lead party, and Kenya's focal point, whose consent the officer's request still needs.
    assert told(EventKind.JOIN_REQUESTED) == {"officer_chn", "officer_chn_two", "focal_chn", "focal_ken"}
    participation_respond(participation=request, actor=officer, accept=True)
    assert told(EventKind.JOIN_ACCEPTED) == {"officer_ken", "focal_ken"}
    participation_confirm(participation=request, actor=other_focal_point, accept=True)
    assert told(EventKind.JOIN_ACCEPTED) == {"officer_chn", "officer_chn_two", "focal_chn"}


def test_a_focal_point_request_does_not_ask_its_own_party_again(people, submitted, coordinator, other_focal_point):
    project = project_transition(project=submitted, actor=coordinator, action="publish")
    participation_request(project=project, actor=other_focal_point, role="partner")
    assert told(EventKind.JOIN_REQUESTED) == {"officer_chn", "officer_chn_two", "focal_chn"}


def test_an_invitation_goes_to_the_invited_party_focal_points(people, submitted, coordinator, officer):
    project = project_transition(project=submitted, actor=coordinator, action="publish")
    participation_invite(project=project, actor=officer, party=party("THA"), role="supporter")
    assert told(EventKind.INVITATION) == {"focal_tha"}


def test_a_status_change_goes_to_the_active_parties(people, submitted, coordinator, officer):
    project = project_transition(project=submitted, actor=coordinator, action="publish")
    project_transition(project=project, actor=officer, action="start")
    assert told(EventKind.PROJECT_STATUS_CHANGED) == {"officer_chn_two", "focal_chn"}
