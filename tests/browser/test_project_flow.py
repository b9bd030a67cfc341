"""The officer's whole journey in chromium: submit, return, resubmit, publish, find, join.

Runs in English and in the Chinese interface; selectors use names and form actions, not
words, so the same steps drive both. Screenshots of the form, the review queue and the
library are kept in test-artifacts/screenshots/."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from framework.models import Article
from projects.models import Participation, Project, Transition
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct-horse-battery"


def person(username, role, code, language):
    user = UserFactory(username=username, role=role, party=party(code), preferred_language=language)
    if role == "focal_point":
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def sign_in(page, user):
    page.goto("/account/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    if user.role == "focal_point":
        page.wait_for_url(re.compile(r"/account/two-factor/"))
        device = TOTPDevice.objects.get(user=user)
        page.fill("#id_token", f"{totp(device.bin_key):06d}")
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/" not in url)


def post_form(page, action_suffix, button=None):
    form = page.locator(f"form[action$='{action_suffix}']")
    (form.locator(button) if button else form.locator("button[type=submit]")).first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_submit_review_publish_find_and_join(new_page, screenshot, language):
    officer = person(f"officer-{language}", "officer", "CHN", language)
    focal = person(f"focal-{language}", "focal_point", "CHN", language)
    other_officer = person(f"other-officer-{language}", "officer", "KEN", language)
    other_focal = person(f"other-focal-{language}", "focal_point", "KEN", language)
    article = Article.objects.get(framework__code="DEGD-2023", number=5)
    title = f"Paperless trade corridor pilot {language}"

    # An officer fills the form, saves a draft, then submits.
    page = new_page(language)
    sign_in(page, officer)
    page.goto("/projects/new/")
    assert page.locator("html").get_attribute("lang") == ("zh-Hans" if language == "zh-hans" else "en")
    page.check("input[name=language][value=en]")
    page.fill("#id_title_en", title)
    page.select_option("#id_cooperation_mode", "bilateral")
    page.select_option("#id_project_type", "technical_cooperation")
    page.check(f"#id_articles_{article.pk}")
    page.check(f"#id_primary_article_{article.pk}")
    page.fill("#id_start_on", "2025-03-01")
    page.fill("#id_end_on", "2026-02-28")
    screenshot(page, f"project-form-{language}")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    project = Project.objects.get(title_en=title)
    assert project.status == "draft" and project.article_links.get().is_primary

    page.goto(f"/projects/{project.pk}/edit/")
    page.click("button[name=action][value=submit]")  # no summary yet: stays a draft, problems shown
    page.wait_for_load_state()
    project.refresh_from_db()
    assert project.status == "draft"
    assert page.locator(".field-errors, .error-summary").count() > 0
    page.fill("#id_summary_en", "Exchanges electronic bills of lading between two single windows.")
    page.click("button[name=action][value=submit]")
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert project.status == "submitted"
    assert page.errors == []

    # The lead party's focal point returns it with a comment.
    reviewer = new_page(language)
    sign_in(reviewer, focal)
    reviewer.goto("/my/review/")
    assert reviewer.get_by_role("link", name=title).count() == 1
    screenshot(reviewer, f"review-queue-{language}")
    reviewer.get_by_role("link", name=title).click()
    reviewer.fill("form[action$='/transitions/return/'] textarea[name=comment]", "Name the ports involved.")
    post_form(reviewer, "/transitions/return/")
    project.refresh_from_db()
    assert project.status == "returned"

    # The officer reads the comment, fixes and resubmits.
    page.goto(f"/projects/{project.pk}/")
    assert "Name the ports involved." in page.content()
    page.goto(f"/projects/{project.pk}/edit/")
    page.fill("#id_places", "Shanghai, Mombasa")
    page.click("button[name=action][value=submit]")
    page.wait_for_url(re.compile(rf"/projects/{project.pk}/$"))
    project.refresh_from_db()
    assert project.status == "resubmitted" and project.places == "Shanghai, Mombasa"

    # The focal point publishes it: it gets its reference code and appears in the library.
    reviewer.goto(f"/projects/{project.pk}/")
    post_form(reviewer, "/transitions/publish/")
    project.refresh_from_db()
    assert project.status == "published" and re.fullmatch(r"DEGD-\d{4}-\d{4}", project.reference_code)
    visitor = new_page(language)
    visitor.goto("/projects/?q=paperless+corridor")
    assert visitor.get_by_role("link", name=title).count() == 1
    screenshot(visitor, f"library-search-{language}")

    # An officer of another party asks to join; the lead accepts; their own focal point confirms.
    joiner = new_page(language)
    sign_in(joiner, other_officer)
    joiner.goto(f"/projects/{project.pk}/")
    joiner.locator("form[action$='/join/'] >> xpath=ancestor::details").locator("summary").click()
    joiner.select_option("form[action$='/join/'] select[name=role]", "partner")
    joiner.fill("form[action$='/join/'] textarea[name=message]", "Mombasa port can take part.")
    post_form(joiner, "/join/")
    participation = Participation.objects.get(project=project, party__code="KEN")
    assert participation.status == "requested"

    page.goto(f"/projects/{project.pk}/")
    post_form(page, f"/participations/{participation.pk}/respond/", "button[value=accept]")
    participation.refresh_from_db()
    assert participation.status == "requested" and participation.lead_accepted_at  # Kenya has not consented yet

    kenya = new_page(language)
    sign_in(kenya, other_focal)
    kenya.goto(f"/projects/{project.pk}/")
    post_form(kenya, f"/participations/{participation.pk}/confirm/", "button[value=accept]")
    participation.refresh_from_db()
    assert participation.status == "active"
    kenya.goto(f"/projects/{project.pk}/")
    kenya_name = party("KEN").name_zh_hans if language == "zh-hans" else party("KEN").name_en
    assert kenya_name in kenya.locator("#participants .participant-list").inner_text()
    steps = list(Transition.objects.filter(project=project).values_list("to_status", flat=True))
    assert steps == ["submitted", "returned", "resubmitted", "published"]
    for tab in (page, reviewer, visitor, joiner, kenya):
        assert tab.errors == [], tab.errors
