"""The review workflow and joining, through HTTP: each action's effect, and refusals that change nothing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from projects.choices import ParticipationStatus as P
from projects.choices import ProjectStatus as S
from projects.models import Participation, Project, ReviewComment, Transition
from projects.services import participation_invite, participation_request, project_transition
from tests.conftest import verify_two_factor
from tests.factories import UserFactory, draft_project, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(draft, officer, coordinator):
    project_transition(project=draft, actor=officer, action="submit")
    return project_transition(project=draft, actor=coordinator, action="publish")


@pytest.fixture
def second_draft(officer):
    """A draft besides `published` (which is made from the `draft` fixture)."""
    return draft_project(officer=officer, title_en="Green port pilot")


def act(client, project, action, **data):
    return client.post(reverse("projects:transition", kwargs={"pk": project.pk, "action": action}), data)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def status_of(project) -> str:
    return Project.objects.get(pk=project.pk).status


def assert_login_redirect(response):
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Transitions ------------------------------------------------------------------------------


def test_full_review_flow_records_every_transition(client, draft, officer, focal_point):
    client.force_login(officer)
    response = act(client, draft, "submit")
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[draft.pk])
    assert status_of(draft) == S.SUBMITTED
    assert any("Submitted" in text for text in texts(response))

    verify_two_factor(client, focal_point)
    act(client, draft, "return", comment="Say which ports take part.")
    assert status_of(draft) == S.RETURNED

    client.force_login(officer)
    act(client, draft, "resubmit")
    assert status_of(draft) == S.RESUBMITTED

    verify_two_factor(client, focal_point)
    act(client, draft, "publish", comment="Thank you.")
    project = Project.objects.get(pk=draft.pk)
    assert project.status == S.PUBLISHED and project.reference_code

    steps = list(Transition.objects.filter(project=draft).values_list("from_status", "to_status", "actor", "comment"))
    assert steps == [
        (S.DRAFT, S.SUBMITTED, officer.pk, ""),
        (S.SUBMITTED, S.RETURNED, focal_point.pk, "Say which ports take part."),
        (S.RETURNED, S.RESUBMITTED, officer.pk, ""),
        (S.RESUBMITTED, S.PUBLISHED, focal_point.pk, "Thank you."),
    ]
    html = client.get(reverse("projects:detail", args=[draft.pk])).content.decode()
    assert "Say which ports take part." in html and "Returned for changes" in html


def test_return_without_a_comment_is_refused_with_a_message(client, draft, officer, focal_point):
    project_transition(project=draft, actor=officer, action="submit")
    verify_two_factor(client, focal_point)
    response = act(client, draft, "return", comment="  ")
    assert status_of(draft) == S.SUBMITTED
    assert Transition.objects.filter(project=draft).count() == 1
    assert "Say why, so the submitter knows what to change." in texts(response)


def test_illegal_transition_shows_a_clear_error_and_changes_nothing(client, draft, officer):
    client.force_login(officer)
    response = act(client, draft, "start")
    assert response.status_code == 302
    assert status_of(draft) == S.DRAFT and not Transition.objects.filter(project=draft).exists()
    page = client.get(response.url).content.decode()
    assert "message-error" in page
    assert "A project that is “Draft” cannot be moved to “Ongoing”." in page


def test_unknown_action_changes_nothing(client, draft, officer):
    client.force_login(officer)
    response = act(client, draft, "teleport")
    assert status_of(draft) == S.DRAFT
    assert "Unknown action." in texts(response)


def test_submitting_an_incomplete_draft_lists_the_problems(client, officer):
    project = draft_project(officer=officer, start_on=None, end_on=None)
    client.force_login(officer)
    response = act(client, project, "submit")
    assert status_of(project) == S.DRAFT
    assert "Give the start date." in texts(response)


def test_another_partys_officer_cannot_move_a_project(client, published, second_draft, other_officer):
    client.force_login(other_officer)
    assert act(client, published, "start").status_code == 403
    assert act(client, published, "withdraw").status_code == 403
    assert status_of(published) == S.PUBLISHED
    assert act(client, second_draft, "submit").status_code == 404
    assert status_of(second_draft) == S.DRAFT
    assert Transition.objects.filter(project=published).count() == 2
    assert not Transition.objects.filter(project=second_draft).exists()


def test_anonymous_transition_goes_to_sign_in_and_changes_nothing(client, published):
    assert_login_redirect(act(client, published, "start"))
    assert status_of(published) == S.PUBLISHED


def test_transitions_are_post_only(client, draft, officer):
    client.force_login(officer)
    assert client.get(reverse("projects:transition", args=[draft.pk, "submit"])).status_code == 405
    assert status_of(draft) == S.DRAFT


# --- Review comments --------------------------------------------------------------------------


def comment(client, project, text):
    return client.post(reverse("projects:comment_add", args=[project.pk]), {"text": text})


def test_lead_officer_adds_a_review_comment(client, draft, officer):
    client.force_login(officer)
    response = comment(client, draft, "Budget updated.")
    assert response.url.endswith("#review")
    assert ReviewComment.objects.get(project=draft).text == "Budget updated."


def test_empty_comment_is_refused(client, draft, officer):
    client.force_login(officer)
    response = comment(client, draft, "")
    assert texts(response) and not ReviewComment.objects.exists()


def test_comment_refused_to_other_parties_and_anonymous(client, published, second_draft, other_officer):
    client.force_login(other_officer)
    assert comment(client, published, "Nice.").status_code == 403
    assert comment(client, second_draft, "Nice.").status_code == 404
    client.logout()
    assert_login_redirect(comment(client, published, "Nice."))
    assert not ReviewComment.objects.exists()


# --- Joining ----------------------------------------------------------------------------------


def participants(client, project) -> str:
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    start = html.index('<ul class="participant-list">')
    return html[start : html.index("</ul>", start)]


def test_joining_needs_the_lead_and_the_partys_focal_point(
    client, published, officer, other_officer, other_focal_point
):
    client.force_login(other_officer)
    response = client.post(
        reverse("projects:join", args=[published.pk]), {"role": "partner", "message": "We can help."}
    )
    assert response.url.endswith("#participants")
    request = Participation.objects.get(project=published, party=party("KEN"))
    assert request.status == P.REQUESTED and request.message == "We can help."

    client.force_login(officer)
    page = client.get(reverse("projects:detail", args=[published.pk])).content.decode()
    assert reverse("projects:respond", args=[request.pk]) in page and "We can help." in page
    client.post(reverse("projects:respond", args=[request.pk]), {"decision": "accept"})
    request.refresh_from_db()
    assert request.status == P.REQUESTED and request.lead_accepted_at
    assert "Kenya" not in participants(client, published)

    verify_two_factor(client, other_focal_point)
    page = client.get(reverse("projects:detail", args=[published.pk])).content.decode()
    assert reverse("projects:confirm", args=[request.pk]) in page
    response = client.post(reverse("projects:confirm", args=[request.pk]), {"decision": "accept"})
    request.refresh_from_db()
    assert request.status == P.ACTIVE
    assert "Kenya now takes part in the project." in texts(response)
    assert "Kenya" in participants(client, published)


def test_lead_can_decline_a_request(client, published, officer, other_officer):
    request = participation_request(project=published, actor=other_officer, role="partner")
    client.force_login(officer)
    client.post(reverse("projects:respond", args=[request.pk]), {"decision": "decline"})
    assert Participation.objects.get(pk=request.pk).status == P.DECLINED


def test_join_refused_to_the_lead_party_on_drafts_and_to_anonymous(
    client, published, second_draft, officer, other_officer
):
    client.force_login(officer)
    assert client.post(reverse("projects:join", args=[published.pk]), {"role": "partner"}).status_code == 403
    client.force_login(other_officer)
    assert client.post(reverse("projects:join", args=[second_draft.pk]), {"role": "partner"}).status_code == 404
    client.logout()
    assert_login_redirect(client.post(reverse("projects:join", args=[published.pk]), {"role": "partner"}))
    assert not Participation.objects.exclude(role="lead").exists()


def test_asking_twice_shows_a_message_and_changes_nothing(client, published, other_officer):
    participation_request(project=published, actor=other_officer, role="partner")
    client.force_login(other_officer)
    response = client.post(reverse("projects:join", args=[published.pk]), {"role": "supporter"})
    assert texts(response) == ["Your party already takes part in, or has a pending request for, this project."]
    assert Participation.objects.get(project=published, party=party("KEN")).role == "partner"


def test_join_form_shown_only_to_other_parties(client, published, officer, other_officer):
    client.force_login(other_officer)
    assert reverse("projects:join", args=[published.pk]) in client.get(published.get_absolute_url()).content.decode()
    client.force_login(officer)
    assert (
        reverse("projects:join", args=[published.pk]) not in client.get(published.get_absolute_url()).content.decode()
    )


def test_lead_invites_and_the_invited_focal_point_accepts(client, published, officer, other_focal_point):
    client.force_login(officer)
    page = client.get(published.get_absolute_url()).content.decode()
    assert f'<option value="{party("KEN").pk}">' in page and f'<option value="{party("CHN").pk}">' not in page
    response = client.post(
        reverse("projects:invite", args=[published.pk]), {"party": party("KEN").pk, "role": "beneficiary"}
    )
    invitation = Participation.objects.get(project=published, party=party("KEN"))
    assert invitation.status == P.INVITED and texts(response)
    page = client.get(published.get_absolute_url()).content.decode()
    assert f'<option value="{party("KEN").pk}">' not in page  # already invited

    verify_two_factor(client, other_focal_point)
    client.post(reverse("projects:confirm", args=[invitation.pk]), {"decision": "accept"})
    assert Participation.objects.get(pk=invitation.pk).status == P.ACTIVE


def test_invite_refused_to_other_parties_and_anonymous(client, published, other_officer):
    data = {"party": party("THA").pk, "role": "partner"}
    client.force_login(other_officer)
    assert client.post(reverse("projects:invite", args=[published.pk]), data).status_code == 403
    client.logout()
    assert_login_redirect(client.post(reverse("projects:invite", args=[published.pk]), data))
    assert not Participation.objects.filter(party=party("THA")).exists()


def test_respond_refused_to_third_parties_and_anonymous(client, published, officer, other_officer):
    request = participation_request(project=published, actor=other_officer, role="partner")
    url = reverse("projects:respond", args=[request.pk])
    client.force_login(UserFactory(role="officer", party=party("THA")))
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.force_login(other_officer)  # the requesting party cannot answer for the lead
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.logout()
    assert_login_redirect(client.post(url, {"decision": "accept"}))
    request.refresh_from_db()
    assert request.status == P.REQUESTED and request.lead_accepted_at is None


def test_confirm_refused_to_officers_other_parties_and_anonymous(
    client, published, officer, other_officer, focal_point
):
    invitation = participation_invite(project=published, actor=officer, party=party("KEN"), role="partner")
    url = reverse("projects:confirm", args=[invitation.pk])
    client.force_login(other_officer)  # an officer cannot give the party's consent
    assert client.post(url, {"decision": "accept"}).status_code == 403
    verify_two_factor(client, focal_point)  # the lead's focal point cannot consent for Kenya
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.force_login(UserFactory(role="officer", party=party("THA")))
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.logout()
    assert_login_redirect(client.post(url, {"decision": "accept"}))
    invitation.refresh_from_db()
    assert invitation.status == P.INVITED and invitation.party_confirmed_at is None


def test_invitation_on_a_draft_is_404_for_outsiders(client, draft, officer):
    invitation = participation_invite(project=draft, actor=officer, party=party("KEN"), role="partner")
    verify_two_factor(client, UserFactory(role="focal_point", party=party("THA")))
    assert client.post(reverse("projects:confirm", args=[invitation.pk]), {"decision": "accept"}).status_code == 404
    assert Participation.objects.get(pk=invitation.pk).status == P.INVITED


def test_participant_withdraws_and_others_cannot(client, published, officer, other_officer, other_focal_point):
    request = participation_request(project=published, actor=other_focal_point, role="partner")
    client.force_login(officer)
    client.post(reverse("projects:respond", args=[request.pk]), {"decision": "accept"})
    assert Participation.objects.get(pk=request.pk).status == P.ACTIVE
    url = reverse("projects:withdraw", args=[request.pk])
    assert client.post(url).status_code == 403  # the lead cannot withdraw Kenya
    client.force_login(UserFactory(role="officer", party=party("THA")))
    assert client.post(url).status_code == 403
    client.logout()
    assert_login_redirect(client.post(url))
    assert Participation.objects.get(pk=request.pk).status == P.ACTIVE

    client.force_login(other_officer)
    response = client.post(url)
    assert Participation.objects.get(pk=request.pk).status == P.WITHDRAWN
    assert response.url == reverse("projects:detail", args=[published.pk]) + "#participants"
    assert "Kenya" not in participants(client, published)


def test_lead_party_cannot_leave_its_own_project(client, published, officer):
    lead = Participation.objects.get(project=published, role="lead")
    client.force_login(officer)
    response = client.post(reverse("projects:withdraw", args=[lead.pk]))
    assert "The lead party cannot leave its own project; withdraw the project instead." in texts(response)
    assert Participation.objects.get(pk=lead.pk).status == P.ACTIVE


def test_bad_decision_value_changes_nothing(client, published, officer, other_officer):
    request = participation_request(project=published, actor=other_officer, role="partner")
    client.force_login(officer)
    response = client.post(reverse("projects:respond", args=[request.pk]), {"decision": "maybe"})
    assert response.status_code == 302 and texts(response)
    assert Participation.objects.get(pk=request.pk).lead_accepted_at is None
