"""The catalogue and the parties match the source documents in fixtures/sources/."""

import re
from pathlib import Path

import pytest

from framework.models import Article, Framework, Part, Pillar
from registry.models import Party, PartyKind, PartyStatus

SOURCES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
pytestmark = pytest.mark.django_db

# Which articles each pillar holds, read off the Chinese original.
DEGD_PILLAR_ARTICLES = {
    1: range(1, 4),
    2: range(4, 9),
    3: range(9, 12),
    4: range(12, 14),
    5: range(14, 18),
    6: range(18, 21),
    7: range(21, 27),
}
DEGD_PART_OF_PILLAR = {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 2}
DEGD_PART_ARTICLES = {1: range(1, 14), 2: range(14, 27), 3: range(27, 31), 4: range(31, 36)}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def source_body(name: str) -> str:
    """The source text with whitespace and page-number lines (digits alone) removed."""
    lines = (SOURCES / name).read_text(encoding="utf-8").splitlines()
    return squeeze("".join(line for line in lines if not line.strip().isdigit()))


def test_three_frameworks_with_their_article_counts():
    counts = {f.code: f.articles.count() for f in Framework.objects.all()}
    assert counts == {"DEGD-2023": 35, "BRDE-2017": 15, "BRDE-BJ-2023": 20}
    assert list(Framework.objects.filter(is_primary=True).values_list("code", flat=True)) == ["DEGD-2023"]


def test_degd_structure_parts_pillars_articles():
    degd = Framework.objects.get(code="DEGD-2023")
    assert list(Part.objects.filter(framework=degd).values_list("number", flat=True)) == [1, 2, 3, 4]
    assert {p.number: p.part.number for p in Pillar.objects.filter(framework=degd)} == DEGD_PART_OF_PILLAR
    articles = Article.objects.filter(framework=degd).select_related("part", "pillar")
    assert sorted(a.number for a in articles) == list(range(1, 36))
    for article in articles:
        pillar = article.pillar.number if article.pillar else None
        expected_pillar = next((n for n, numbers in DEGD_PILLAR_ARTICLES.items() if article.number in numbers), None)
        assert pillar == expected_pillar, article.number
        expected_part = next(n for n, numbers in DEGD_PART_ARTICLES.items() if article.number in numbers)
        assert article.part.number == expected_part, article.number


def test_degd_titles_match_the_original():
    degd = Framework.objects.get(code="DEGD-2023")
    assert degd.title_zh_hans == "数字经济和绿色发展国际经贸合作框架倡议"
    assert Part.objects.get(framework=degd, number=3).title_zh_hans == "能力建设"
    assert Pillar.objects.get(framework=degd, number=1).title_zh_hans == "营造开放安全的环境"
    assert Pillar.objects.get(framework=degd, number=7).title_zh_hans == "鼓励绿色技术和服务的交流与投资合作"


@pytest.mark.parametrize(
    "code, source",
    [
        ("DEGD-2023", "000_c1423fca75a50f13.txt"),
        ("BRDE-BJ-2023", "002_bf54f53887da828b.txt"),
        ("BRDE-2017", "004_a4a48583470fe25d.txt"),
    ],
)
def test_every_chinese_text_is_the_source_word_for_word(code, source):
    body = source_body(source)
    framework = Framework.objects.get(code=code)
    assert squeeze(framework.preamble_zh_hans) in body
    for article in framework.articles.all():
        assert article.text_zh_hans, article
        assert squeeze(article.text_zh_hans) in body, f"{code} article {article.number}"


def test_articles_follow_each_other_in_the_source():
    """Article n's text starts right after the number n. in the original (no text lost between)."""
    body = source_body("000_c1423fca75a50f13.txt")
    for article in Article.objects.filter(framework__code="DEGD-2023"):
        assert f"{article.number}.{squeeze(article.text_zh_hans)}" in body, article.number


def test_english_of_the_2017_initiative_is_the_source_translation():
    body = source_body("004_a4a48583470fe25d.txt")
    for article in Article.objects.filter(framework__code="BRDE-2017"):
        assert squeeze(article.text_en) in body, article.number


@pytest.mark.parametrize("field", ["text_zh_hans", "text_en"])
def test_texts_are_complete_and_free_of_layout_artefacts(field):
    for article in Article.objects.all():
        text = getattr(article, field)
        assert len(text) >= 20, (article, field)
        assert text == text.strip(), (article, field)
        assert "⚫" not in text and "\t" not in text and "\r" not in text
        assert "\n" not in text.replace("\n\n", ""), (article, "single line break")
        assert not re.match(r"^\d+\s*[.．、]", text), (article, "leading article number")
        if field == "text_zh_hans":
            # A line join never leaves a space between two Chinese characters.
            assert not re.search(r"[\u4e00-\u9fff，。；、]\s+[\u4e00-\u9fff]", text), article
            assert text[-1] in "。；！", (article, "ends mid-sentence")


def test_english_translations_are_given_for_every_title():
    for model in (Framework, Part, Pillar):
        for item in model.objects.all():
            assert item.title_en and item.title_zh_hans, item


def test_the_35_founding_countries_and_3_supporters():
    degd = Party.objects.filter(frameworks__code="DEGD-2023")
    participants = degd.filter(status=PartyStatus.PARTICIPANT, kind=PartyKind.COUNTRY)
    assert participants.count() == 35
    assert {str(d) for d in participants.values_list("joined_on", flat=True)} == {"2023-10-18"}
    announcement = (SOURCES / "001_558d9deac6a9a34a.txt").read_text(encoding="utf-8")
    named = re.search(r"中国与(.+?)共同发布", announcement).group(1).split("、")
    assert len(named) == 34
    assert set(participants.values_list("name_zh_hans", flat=True)) == {"中国", *named}
    supporters = degd.filter(status=PartyStatus.SUPPORTER)
    assert set(supporters.values_list("code", flat=True)) == {"UNCTAD", "UNIDO", "ITC"}
    assert all(p.kind == PartyKind.INTERNATIONAL_ORGANIZATION for p in supporters)


def test_signatories_of_the_related_initiatives():
    beijing = set(Party.objects.filter(frameworks__code="BRDE-BJ-2023").values_list("code", flat=True))
    assert len(beijing) == 14 and "PSE" in beijing and "CHN" in beijing
    wuzhen = set(Party.objects.filter(frameworks__code="BRDE-2017").values_list("code", flat=True))
    assert wuzhen == {"ARE", "CHN", "LAO", "SAU", "SRB", "THA", "TUR"}
    outside = Party.objects.exclude(frameworks__code="DEGD-2023")
    assert outside.exists()
    assert set(outside.values_list("status", flat=True)) == {PartyStatus.NON_PARTICIPANT}
    assert not outside.filter(joined_on__isnull=False).exists()


def test_country_codes_are_well_formed():
    for country in Party.objects.filter(kind=PartyKind.COUNTRY):
        assert re.fullmatch(r"[A-Z]{3}", country.code)
        assert re.fullmatch(r"[A-Z]{2}", country.iso_alpha2)
        assert re.fullmatch(r"\d{3}", country.iso_numeric)
