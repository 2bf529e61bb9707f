"""The at-risk rule holds the same on the pages and in the anonymous API."""

import pytest

from defections.models import PersonAlias
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory

PARAMS_THAT_REVEAL = ["agency={agency}", "motive={motive}", "destination_country=FR",
                      "q=Тайный", "q=Secretalias", "verification=reported"]
PARAMS_THAT_MAY_SHOW = ["form=geographic", "year_min=2023&year_max=2023", "q=Guarded Person"]


@pytest.fixture
def at_risk(db):
    agency = AgencyFactory(slug="hidden-agency")
    motive = MotiveFactory(slug="hidden-motive")
    person = PersonFactory(name="Guarded Person", native_name="Тайный Человек", at_risk=True)
    PersonAlias.objects.create(person=person, name="Secretalias")
    case = CaseFactory(person=person, agency=agency, destination_country="FR", date="March 2023")
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
