"""Category tags, category proposals and `!ideen` arguments, without a chat."""

import pytest

from bot.config import Department, example_departments_file, load_departments
from bot.errors import UsageError
from handlers.ideas.categories import IdeaCategories
from handlers.ideas.listing import ListingRequest, SingleIdea, parse_listing

EXAMPLE = example_departments_file()


@pytest.fixture(scope="module")
def categories() -> IdeaCategories:
    problems: list[str] = []
    departments = load_departments(EXAMPLE, problems)
    assert problems == []
    return IdeaCategories(departments)


@pytest.mark.parametrize("tag", ["#mobilitaet", "#mobilität", "#Mobilitaet", "#verkehr"])
def test_a_leading_tag_names_the_category_and_is_removed(categories, tag):
    choice = categories.choose(f"{tag} Mehr Radständer am Bahnhof")
    assert (choice.category, choice.explicit) == ("mobilitaet", True)
    assert choice.text == "Mehr Radständer am Bahnhof"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mehr Radständer am Bahnhof", "mobilitaet"),
        ("Mehr Bäume pflanzen gegen die Hitze im Sommer", "umwelt"),
        ("Kostenloses WLAN in allen Bussen und im Bürgerbüro Online-Termine", "digitales"),
        ("Mehr Kita-Plätze und eine bessere Ausstattung der Schulen", "bildung"),
    ],
)
def test_without_a_tag_a_category_is_proposed(categories, text, category):
    choice = categories.choose(text)
    assert (choice.category, choice.explicit, choice.text) == (category, False, text)


def test_text_without_known_words_gets_no_category(categories):
    assert categories.choose("Blubb blabb blobb").category is None


def test_an_unknown_tag_is_an_error_naming_the_categories(categories):
    with pytest.raises(UsageError) as raised:
        categories.choose("#quatsch Mehr Radständer")
    assert raised.value.key == "ideas.unknown_category"
    assert "mobilitaet" in raised.value.params["categories"]


def test_a_number_tag_is_text(categories):
    choice = categories.choose("#12 finde ich gut, noch mehr davon")
    assert choice.text.startswith("#12") and not choice.explicit


def test_without_departments_nothing_is_a_category():
    none = IdeaCategories(())
    assert none.choose("#mobilitaet Mehr Radständer").category is None
    assert none.choose("#mobilitaet Mehr Radständer").text == "#mobilitaet Mehr Radständer"
    assert none.find("mobilitaet") is None


def test_a_single_department_is_every_idea_category():
    single = IdeaCategories((Department("umwelt", "Umwelt", {"matrix": "!u:x"}),))
    assert single.choose("Mehr Radständer").category == "umwelt"
    assert single.find("umwelt") == "umwelt"
    with pytest.raises(UsageError):
        single.choose("#mobilitaet Mehr Radständer")


def find(word: str) -> str | None:
    return {"mobilitaet": "mobilitaet", "mobilität": "mobilitaet"}.get(word.casefold())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ListingRequest()),
        ("", ListingRequest()),
        ("neu", ListingRequest("new")),
        ("top", ListingRequest("top")),
        ("TOP seite 3", ListingRequest("top", page=3)),
        ("mine page 2", ListingRequest("mine", page=2)),
        ("meine", ListingRequest("mine")),
        ("Mobilität", ListingRequest("category", "mobilitaet")),
        ("seite 2 mobilitaet", ListingRequest("category", "mobilitaet", 2)),
        ("12", SingleIdea(12)),
        ("#12", SingleIdea(12)),
    ],
)
def test_listing_arguments(raw, expected):
    assert parse_listing(raw, find) == expected


@pytest.mark.parametrize(
    "raw", ["quatsch", "top neu", "seite", "seite null", "seite 0", "page -1", "12 13", "top 2"]
)
def test_bad_listing_arguments_are_usage_errors(raw):
    with pytest.raises(UsageError) as raised:
        parse_listing(raw, find)
    assert raised.value.key == "ideas.bad_listing"
