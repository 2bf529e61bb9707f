import pytest

from defections.models import Case, PersonAlias, Withholding
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


# --- Russian: the query is read as English and as Russian ---------------------------------


def public_found(q):
    from django.contrib.auth.models import AnonymousUser

    return [case.person.name for case in search_cases(Case.objects.visible_to(AnonymousUser()), q)]


def test_a_russian_word_finds_the_russian_summary_in_any_of_its_forms(db):
    CaseFactory(person=PersonFactory(name="Oleg Gordievsky"),
                summary_ru="Полковник КГБ, перебежчик, бежал в Великобританию.")
    CaseFactory(person=PersonFactory(name="Other Person"), summary_ru="Дипломат ушёл в отставку.")
    assert found("перебежчики") == ["Oleg Gordievsky"]
    assert found("Великобритании") == ["Oleg Gordievsky"]
    assert found("перебежчики") == public_found("перебежчики")


def test_an_english_word_still_finds_the_english_text_by_its_stem(db):
    CaseFactory(person=PersonFactory(name="Oleg Gordievsky"), summary="He defected to Britain.",
                summary_ru="Он перешёл на сторону Британии.")
    assert found("defecting") == ["Oleg Gordievsky"]
    assert found("перешёл Британии") == ["Oleg Gordievsky"]


def test_the_russian_narrative_is_searched_and_a_withheld_one_is_not(db):
    withheld = CaseFactory(person=PersonFactory(name="Withheld Narrative"),
                           summary_ru="Дипломат.", narrative_ru="Секретная квартира на набережной.")
    CaseFactory(person=PersonFactory(name="Open Narrative"),
                narrative_ru="Квартира на набережной.")
    assert sorted(found("набережная")) == ["Open Narrative", "Withheld Narrative"]
    Withholding.objects.create(case=withheld, field="narrative", reason="Safety.")
    assert public_found("набережная") == ["Open Narrative"]
    assert public_found("секретная") == []
    # What is not withheld of that case is still found: its Russian summary.
    assert public_found("дипломаты") == ["Withheld Narrative"]


# --- highlighting in both languages ---------------------------------------------------------


def headlined(q, lang):
    from django.utils import translation

    from defections.web.highlight import summary_html, with_headlines

    with translation.override(lang):
        return [summary_html(case) for case in with_headlines(search_cases(Case.objects.all(), q), q)]


def test_the_russian_summary_is_marked_on_a_russian_page_and_the_english_on_an_english_one(db):
    CaseFactory(summary="A defector who fled to <Britain>.",
                summary_ru="Перебежчик, бежавший в <Британию>.")
    assert headlined("перебежчики", "ru") == ["<mark>Перебежчик</mark>, бежавший в &lt;Британию&gt;."]
    assert headlined("defectors", "en") == ["A <mark>defector</mark> who fled to &lt;Britain&gt;."]


def test_a_summary_not_yet_in_russian_is_marked_in_english_and_said_to_be(db):
    CaseFactory(summary="A defector.")
    html = headlined("defectors", "ru")[0]
    assert 'lang="en"' in html and "<mark>defector</mark>" in html
    assert "untranslated-note" in html


def test_a_name_is_marked_across_scripts():
    from defections.web.highlight import highlight_name

    assert highlight_name("Борис Бондарев", "Bondarev") == "Борис <mark>Бондарев</mark>"
    assert highlight_name("Boris Bondarev", "Бондарев") == "Boris <mark>Bondarev</mark>"
    assert highlight_name("Борис <Бондарев>", "Smith") == "Борис &lt;Бондарев&gt;"


# --- what the state did: responses' descriptions ---------------------------------------------


def test_a_word_of_a_response_finds_its_case_in_either_language(db):
    from defections.models import Response

    case = CaseFactory(person=PersonFactory(name="Held Person"), summary="A dissident officer.")
    CaseFactory(person=PersonFactory(name="Other Person"))
    Response.objects.create(case=case, kind="psychiatric", description="Held in a psychiatric hospital.",
                            description_ru="Помещён в психиатрическую больницу.")
    assert found("psychiatric") == ["Held Person"]
    assert found("hospitals") == ["Held Person"]
    assert found("психиатрической больнице") == ["Held Person"]
    assert public_found("psychiatric") == ["Held Person"]


RESPONSE_MARKER = "zyxwresponsemarker"


@pytest.fixture
def hidden_responses(db):
    """A response saying the marker on a draft case and on an at-risk person's published case."""
    from defections.models import Response

    draft = CaseFactory(person=PersonFactory(name="Draft Person"), status="draft")
    at_risk = CaseFactory(person=PersonFactory(name="Risk Person", at_risk=True))
    for case in (draft, at_risk):
        Response.objects.create(case=case, kind="arrest", description=f"Held ({RESPONSE_MARKER}).",
                                description_ru=f"Задержан ({RESPONSE_MARKER}ру).")
    return draft, at_risk


def test_a_hidden_response_finds_nothing_on_any_face_nor_in_a_count(client, hidden_responses):
    assert public_found(RESPONSE_MARKER) == []
    assert public_found(f"{RESPONSE_MARKER}ру") == []
    for q in (RESPONSE_MARKER, f"{RESPONSE_MARKER}ру"):
        for prefix in ("", "/ru"):
            page = client.get(f"{prefix}/cases/", {"q": q})
            assert page.status_code == 200
            html = page.content.decode()
            assert "Risk Person" not in html and "Draft Person" not in html
        answer = client.get("/api/v1/cases/", {"q": q}).json()
        assert answer["count"] == 0 and answer["results"] == []
    # staff search every response
    assert sorted(found(RESPONSE_MARKER)) == ["Risk Person"]  # published cases only here
    assert sorted(c.person.name for c in search_cases(Case.objects.all(), RESPONSE_MARKER)) == [
        "Draft Person", "Risk Person"]
