import pytest

from defections.models import Case, PersonAlias
from defections.search import search_cases, transliterate
from tests.factories import CaseFactory, PersonFactory


def found(q):
    return [case.person.name for case in search_cases(Case.objects.public().for_list(), q)]


@pytest.mark.parametrize(
    ("q", "person"),
    [
        ("Skipal", "Sergei Skripal"),
        ("Butsaev", "Denis Butsayev"),
        ("Бондарев", "Boris Bondarev"),
        ("prigozin", "Yevgeny Prigozhin"),
        ("Буцаев", "Denis Butsayev"),
        ("kuzmin", "Maxim Kuzminov"),
        ("  sergei   SKRIPAL ", "Sergei Skripal"),
    ],
)
def test_misspelt_and_cyrillic_names_find_the_person(seeded, q, person):
    results = found(q)
    assert results and results[0] == person


def test_cyrillic_query_finds_a_person_with_no_native_name(db):
    CaseFactory(person=PersonFactory(name="Pavel Volkov"))
    assert found("Павел Волков") == ["Pavel Volkov"]


def test_aliases_are_searched(db):
    case = CaseFactory(person=PersonFactory(name="Anonymous Officer"))
    PersonAlias.objects.create(person=case.person, name="Vasily Mitrokhin")
    assert found("Mitrokhin") == ["Anonymous Officer"]


def test_full_text_over_summary(seeded):
    assert found("corruption inquiry") == ["Denis Butsayev"]
    assert found("xyzzy") == []


def test_accents_do_not_matter(db):
    CaseFactory(person=PersonFactory(name="Hélène Čapek"))
    assert found("Helene Capek") == ["Hélène Čapek"]


def test_search_sees_only_the_queryset_it_is_given(seeded):
    Case.objects.filter(person__name="Sergei Skripal").update(status="draft")
    assert found("Skripal") == []


def test_transliterate():
    assert transliterate("Щербаков Юрий") == "Shcherbakov Yuriy"
