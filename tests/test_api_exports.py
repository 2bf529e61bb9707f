"""Every list in JSON and CSV: many-valued cells as JSON arrays that split whatever commas
the values hold, native names in the case CSV, the data licence on every answer."""

import json

import pytest

from defections.models import Affiliation, Citation, Period, PersonAlias
from defections.publisher import DATA_LICENCE
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import ENDPOINTS, read_csv

pytest_plugins = ["tests.test_api_fixtures"]

COMMAS = 'Arrested, tried; "sentenced", in absentia'


@pytest.fixture
def commas(db):
    person = PersonFactory(name="Ivan Primerov", native_name="Иван Примеров", citizenship=["RU", "UA"])
    PersonAlias.objects.create(person=person, name="Primerov, Ivan")
    agency = AgencyFactory(name="Main Directorate", native_name="Главное управление", acronym="GU")
    case = CaseFactory(status="published", person=person, agency=agency)
    case.motives.add(MotiveFactory(slug="first-motive"), MotiveFactory(slug="second-motive"))
    for title in [COMMAS, "Plain"]:
        Citation.objects.create(case=case, source=SourceFactory(title=title), quote=COMMAS, locator="p. 1")
    Period.objects.create(slug="invented", name="An invented period", start="2190-01-01")
    Affiliation.objects.create(person=person, agency=agency, role="Colonel, retired", date="1990s")
    return case


def test_the_case_csv_has_native_names_and_splits_its_lists(api, commas):
    [row] = read_csv(api.get("/api/v1/cases/?format=csv"))
    assert row["person.native_name"] == "Иван Примеров" and row["agency.native_name"] == "Главное управление"
    assert json.loads(row["motives"]) == ["first-motive", "second-motive"]
    citations = json.loads(row["citations"])
    assert [c["source"]["title"] for c in citations][-2:] == [COMMAS, "Plain"]
    assert citations[-2]["quote"] == COMMAS


def test_the_people_csv_splits_aliases_and_citizenship(api, commas):
    [row] = read_csv(api.get("/api/v1/people/?format=csv"))
    assert json.loads(row["aliases"]) == ["Primerov, Ivan"]
    assert json.loads(row["citizenship"]) == ["RU", "UA"]
    assert json.loads(row["cases"])[0]["id"] == commas.pk


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_list_answers_json_and_csv_with_the_licence(api, commas, endpoint):
    licence = f'<{DATA_LICENCE["url"]}>; rel="license"'
    answer = api.get(f"/api/v1/{endpoint}/")
    assert answer.status_code == 200 and licence in answer["Link"]
    count = answer.json()["count"]
    csv_answer = api.get(f"/api/v1/{endpoint}/?format=csv")
    assert csv_answer["Content-Type"] == "text/csv; charset=utf-8" and licence in csv_answer["Link"]
    assert len(read_csv(csv_answer)) == count > 0
    paged = api.get(f"/api/v1/{endpoint}/?format=csv&page_size=1")
    if count > 1:
        assert 'rel="next"' in paged["Link"] and licence in paged["Link"]


def test_the_sources_csv_keeps_a_title_with_commas_whole(api, commas):
    rows = read_csv(api.get("/api/v1/sources/?format=csv"))
    assert COMMAS in [row["title"] for row in rows]
    assert "url" in rows[0] and "api_url" in rows[0]


@pytest.mark.parametrize(("page", "api_list"), [("/people/?q=Primerov", "/api/v1/people/?q=Primerov"),
                                                ("/sources/?q=Plain", "/api/v1/sources/?q=Plain"),
                                                ("/agencies/", "/api/v1/agencies/")])
def test_each_list_page_links_its_csv_and_json(client, api, commas, page, api_list):
    html = client.get(page).content.decode()
    separator = "&" if "?" in api_list else "?"
    assert f'href="{api_list}{separator.replace("&", "&amp;")}format=csv" download>Download CSV' in html
    assert f'href="{api_list}">JSON' in html
    assert len(read_csv(api.get(f"{api_list}{separator}format=csv"))) >= 1
