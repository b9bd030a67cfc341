"""The catalogue in a real browser: pillars and articles in both languages, no CSP violations."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language, pillar_title", [("en", "Bridging the Digital Divide"), ("zh-hans", "弥合数字鸿沟")])
def test_browse_pillars_and_articles(new_page, screenshot, language, pillar_title):
    page = new_page(language, width=390, height=844)  # a phone
    page.goto("/")
    assert page.locator(".pillar-card").count() == 7
    page.get_by_role("link", name=pillar_title).click()
    assert page.locator("li.article-item").count() == 35
    page.locator("li.article-item a").nth(30).click()
    assert "/frameworks/DEGD-2023/articles/31/" in page.url
    screenshot(page, f"article-31-{language}")
    assert page.errors == []  # no script error and no Content-Security-Policy violation


def test_language_switch_and_parties(new_page):
    page = new_page("en")
    page.goto("/parties/")
    assert page.locator("table.data-table tbody tr").count() == 47
    page.get_by_role("button", name="中文").click()
    page.wait_for_url("**/parties/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("rowheader", name="中国", exact=True).count() == 1
    assert page.errors == []
