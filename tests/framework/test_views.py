import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, expected",
    [("en", "Fostering an Open and Secure Environment"), ("zh-hans", "营造开放安全的环境")],
)
def test_home_shows_the_seven_pillars_in_each_language(client, language, expected):
    client.cookies["opl_language"] = language
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert html.count('class="card pillar-card') == 7


def test_framework_overview_lists_parts_pillars_and_every_article(client):
    client.cookies["opl_language"] = "zh-hans"
    html = client.get("/frameworks/DEGD-2023/").content.decode()
    assert "第1部分" in html and "数字领域经贸合作" in html
    for number in range(1, 36):
        assert f"/frameworks/DEGD-2023/articles/{number}/" in html
    assert 'lang="zh-Hans"' in html


def test_article_page_shows_text_and_pillar(client):
    client.cookies["opl_language"] = "en"
    response = client.get("/frameworks/DEGD-2023/articles/5/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pillar 2" in html
    assert "/frameworks/DEGD-2023/articles/4/" in html and "/frameworks/DEGD-2023/articles/6/" in html


def test_article_page_in_chinese_shows_the_original(client):
    from framework.models import Article

    article = Article.objects.get(framework__code="DEGD-2023", number=31)
    client.cookies["opl_language"] = "zh-hans"
    html = client.get(article.get_absolute_url()).content.decode()
    assert article.text_zh_hans in html
    assert "第31条" in html


def test_unknown_article_is_404_page(client):
    assert client.get("/frameworks/DEGD-2023/articles/99/").status_code == 404


def test_party_list_filters(client):
    html = client.get("/parties/", {"status": "supporter"}).content.decode()
    assert "UNCTAD" in html and "ITC" in html and "<code>CHN</code>" not in html
    html = client.get("/parties/", {"framework": "BRDE-2017"}).content.decode()
    assert "<code>TUR</code>" in html and "<code>KEN</code>" not in html
