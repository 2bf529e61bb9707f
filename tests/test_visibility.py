"""The at-risk rule holds the same on the pages and in the anonymous API."""

import pytest

from defections.models import PersonAlias
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory

PARAMS_THAT_REVEAL = ["agency={agency}", "motive={motive}", "destination_country=FR",
                      "q=Тайный", "q=Secretalias", "verification=reported",
                      "q=засекреченный", "q=Женеве"]  # words of its Russian summary and narrative
PARAMS_THAT_MAY_SHOW = ["form=geographic", "year_min=2023&year_max=2023", "q=Guarded Person"]


@pytest.fixture
def at_risk(db):
    agency = AgencyFactory(slug="hidden-agency")
    motive = MotiveFactory(slug="hidden-motive")
    person = PersonFactory(name="Guarded Person", native_name="Тайный Человек", at_risk=True,
                           bio="Hidden biography.", bio_ru="Скрытая биография.")
    PersonAlias.objects.create(person=person, name="Secretalias")
    case = CaseFactory(person=person, agency=agency, destination_country="FR", date="March 2023",
                       summary_ru="Засекреченного офицера вывезли.", narrative_ru="Жил в Женеве.")
    case.motives.add(motive)
    return {"case": case, "agency": agency.slug, "motive": motive.slug}


@pytest.mark.parametrize("template", PARAMS_THAT_REVEAL)
def test_filters_on_hidden_details_do_not_list_the_case(client, at_risk, template):
    query = template.format(**at_risk)
    case_url = at_risk["case"].get_absolute_url()
    page = client.get(f"/cases/?{query}")
    api = client.get(f"/api/v1/cases/?{query}")
    if "agency" in query:
        # Only the hidden case names the agency: naming it is a 400, as naming a missing one.
        assert page.status_code == api.status_code == 400 and "agency" in api.json()
        return
    assert case_url not in page.content.decode()
    assert at_risk["case"].pk not in [row["id"] for row in api.json()["results"]]


@pytest.mark.parametrize("query", PARAMS_THAT_MAY_SHOW)
def test_name_form_and_year_still_find_the_case(client, at_risk, query):
    assert at_risk["case"].get_absolute_url() in client.get(f"/cases/?{query}").content.decode()
    ids = [row["id"] for row in client.get(f"/api/v1/cases/?{query}").json()["results"]]
    assert at_risk["case"].pk in ids


def test_people_search_by_hidden_names_finds_nobody(client, at_risk):
    for q in ["Тайный", "Secretalias"]:
        assert client.get(f"/api/v1/people/?q={q}").json()["results"] == []
    assert [p["name"] for p in client.get("/api/v1/people/?q=Guarded").json()["results"]] == [
        "Guarded Person"]


def test_stats_do_not_count_the_hidden_agency(client, at_risk):
    stats = client.get("/api/v1/stats/").json()
    assert stats["count"] == 1  # form and year are public: the case counts
    assert stats["by_agency"] == []  # its agency is not


def test_the_russian_texts_of_an_at_risk_case_are_redacted_as_the_english(client, at_risk):
    from django.contrib.auth.models import AnonymousUser

    from defections.models import Case
    from defections.redaction import redact

    anonymous = AnonymousUser()
    case = redact(Case.objects.visible_to(anonymous).get(pk=at_risk["case"].pk), anonymous)
    assert (case.summary, case.summary_ru, case.narrative_ru) == ("", "", "")
    assert (case.person.bio, case.person.bio_ru) == ("", "")
    for url in [at_risk["case"].get_absolute_url(), at_risk["case"].person.get_absolute_url()]:
        for page in [url, "/ru" + url]:
            text = client.get(page).content.decode()
            for word in ["Засекреченного", "Женеве", "Скрытая биография", "Hidden biography"]:
                assert word not in text, (page, word)
    answer = client.get(f"/api/v1/people/{at_risk['case'].person_id}/?lang=all").content.decode()
    assert "Скрытая" not in answer and "Hidden biography" not in answer
