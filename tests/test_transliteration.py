"""A name however it was transliterated finds the person, and nobody else.

Each surname below is stored in one spelling; each query is another spelling of it found in
print (BGN/PCGN, ISO 9, passports, the Library of Congress, German). The people are created
together, so each query also shows it does not bring back a clearly different surname
(above all Bondarev for "Bonia", which plain trigram word similarity did).
"""

import pytest

from defections.models import Case
from defections.search import search_cases
from tests.factories import CaseFactory, PersonFactory

PEOPLE = ["Sergei Skripal", "Viktoria Bonya", "Boris Bondarev", "Alexander Litvinenko",
          "Oleg Gordievsky", "Vladimir Rezun", "Vitaly Yurchenko", "Vasili Mitrokhin",
          "Yevgeny Prigozhin", "Denis Butsayev", "Maxim Kuzminov"]


@pytest.fixture
def people(db):
    for name in PEOPLE:
        CaseFactory(person=PersonFactory(name=name), summary="A case.")


def found(q):
    return [case.person.name for case in search_cases(Case.objects.public().for_list(), q)]


@pytest.mark.parametrize(("q", "person"), [
    ("Skripal", "Sergei Skripal"), ("Skrypal", "Sergei Skripal"), ("Skripal'", "Sergei Skripal"),
    ("Bonya", "Viktoria Bonya"), ("Bonia", "Viktoria Bonya"), ("Boniya", "Viktoria Bonya"),
    ("Bonja", "Viktoria Bonya"),
    ("Litvinenko", "Alexander Litvinenko"), ("Litvinenco", "Alexander Litvinenko"),
    ("Aleksandr Litvinenko", "Alexander Litvinenko"),
    ("Gordievsky", "Oleg Gordievsky"), ("Gordievskiy", "Oleg Gordievsky"),
    ("Gordievskij", "Oleg Gordievsky"), ("Gordijewski", "Oleg Gordievsky"),
    ("Rezun", "Vladimir Rezun"), ("Resun", "Vladimir Rezun"),
    ("Yurchenko", "Vitaly Yurchenko"), ("Iurchenko", "Vitaly Yurchenko"),
    ("Jurtschenko", "Vitaly Yurchenko"), ("Jurchenko", "Vitaly Yurchenko"),
    ("Vitaliy Yurchenko", "Vitaly Yurchenko"),
    ("Mitrokhin", "Vasili Mitrokhin"), ("Mitrochin", "Vasili Mitrokhin"),
    ("Vasiliy Mitrokhin", "Vasili Mitrokhin"),
    ("Evgeny Prigozhin", "Yevgeny Prigozhin"), ("Jewgeni Prigoschin", "Yevgeny Prigozhin"),
    ("prigozin", "Yevgeny Prigozhin"),
    ("Butsaev", "Denis Butsayev"), ("Bondarev", "Boris Bondarev"), ("Bondaryev", "Boris Bondarev"),
    ("Skipal", "Sergei Skripal"), ("kuzmin", "Maxim Kuzminov"),
    ("Бонья", "Viktoria Bonya"), ("Гордиевский", "Oleg Gordievsky"), ("Юрченко", "Vitaly Yurchenko"),
])
def test_a_transliteration_variant_finds_the_person_and_no_other(people, q, person):
    assert found(q) == [person]
