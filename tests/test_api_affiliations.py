"""/api/v1/affiliations/: careers, read through the visibility door and written through the
permission door like every other resource."""

import json

import pytest

from defections.models import Affiliation
from tests.factories import AgencyFactory, CaseFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import MARKER, all_pages, client_for, read_csv

pytest_plugins = ["tests.test_api_fixtures"]


@pytest.fixture
def careers(db):
    """The career of a person with a published case, of an at-risk one, and of a draft's."""
    shown = CaseFactory(status="published").person
    at_risk = CaseFactory(status="published", person=PersonFactory(at_risk=True)).person
    draft = CaseFactory(status="draft").person
    return {name: Affiliation.objects.create(person=person, agency=AgencyFactory(), role=f"{name} {MARKER}",
                                             date="1990s")
            for name, person in [("shown", shown), ("at_risk", at_risk), ("draft", draft)]}


def test_the_public_reads_only_the_careers_of_people_whose_details_it_sees(api, careers):
    listed = all_pages(api, "/api/v1/affiliations/")
    assert [a["id"] for a in listed] == [careers["shown"].pk]
    assert listed[0]["date"] == "1990s" and listed[0]["person"]["id"] == careers["shown"].person_id
    for name in ("at_risk", "draft"):
        assert api.get(f"/api/v1/affiliations/{careers[name].pk}/").status_code == 404
    rows = read_csv(api.get("/api/v1/affiliations/?format=csv"))
    assert [row["id"] for row in rows] == [str(careers["shown"].pk)]
    assert [row["role"] for row in rows] == [careers["shown"].role]


def test_staff_read_every_career(careers):
    staff = client_for(make_user("career-reader", "Researcher"))
    assert {a["id"] for a in all_pages(staff, "/api/v1/affiliations/")} == {a.pk for a in careers.values()}


def test_a_researcher_writes_a_career_with_a_date_as_text(db):
    researcher = client_for(make_user("career-writer", "Researcher"))
    person, agency = CaseFactory(status="draft").person, AgencyFactory()
    body = {"person": person.pk, "agency": agency.pk, "role": "Colonel", "date": "1936–1938"}
    created = researcher.post("/api/v1/affiliations/", body, format="json")
    assert created.status_code == 201, created.json()
    affiliation = Affiliation.objects.get(pk=created.json()["id"])
    assert (affiliation.date_start.year, affiliation.date_end.year) == (1936, 1938)
    changed = researcher.patch(created.json()["api_url"], {"role": "General"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "General"
    bad = researcher.patch(created.json()["api_url"], {"date": "Marchember"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"date"}
    assert client_for(make_user("career-nobody")).post(
        "/api/v1/affiliations/", {"person": person.pk, "agency": agency.pk}, format="json").status_code == 403


def test_a_researcher_cannot_change_the_career_of_a_person_the_public_sees(careers):
    researcher = client_for(make_user("career-changer", "Researcher"))
    response = researcher.patch(f"/api/v1/affiliations/{careers['shown'].pk}/", {"role": "Rewritten"},
                                format="json")
    assert response.status_code == 403
    editor = client_for(make_user("career-editor", "Editor"))
    assert editor.patch(f"/api/v1/affiliations/{careers['shown'].pk}/", {"role": "Rewritten"},
                        format="json").status_code == 200


def test_a_persons_json_lists_their_career_unless_they_are_at_risk(api, careers):
    shown = api.get(f"/api/v1/people/{careers['shown'].person_id}/").json()
    assert [(a["id"], a["role"], a["date"]) for a in shown["affiliations"]] == [
        (careers["shown"].pk, careers["shown"].role, "1990s")]
    assert shown["affiliations"][0]["agency"]["id"] == careers["shown"].agency_id
    guarded = api.get(f"/api/v1/people/{careers['at_risk'].person_id}/").json()
    assert "affiliations" not in guarded and MARKER not in str(guarded)
    [row] = [row for row in read_csv(api.get("/api/v1/people/?format=csv"))
             if row["id"] == str(careers["shown"].person_id)]
    assert json.loads(row["affiliations"])[0]["role"] == careers["shown"].role


def test_a_career_change_is_an_update_of_the_person_in_the_change_feed(api, careers):
    until = api.get("/api/v1/changes/").json()["until"]
    editor = client_for(make_user("career-feed-editor", "Editor"))
    assert editor.patch(f"/api/v1/affiliations/{careers['shown'].pk}/", {"role": "Colonel"},
                        format="json").status_code == 200
    entries = api.get("/api/v1/changes/", {"since": until}).json()["results"]
    assert {"type": "person", "id": careers["shown"].person_id, "action": "updated"} in [
        {key: entry[key] for key in ("type", "id", "action")} for entry in entries]
