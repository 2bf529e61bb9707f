"""Leaks through the way hidden data orders, filters and counts the public's answers.

Of an at-risk person the public knows the name, the form and the start year of each case
(defections/visibility.py). Each test here reproduces one way the rest used to show
anyway, on the pages and in the anonymous API alike.
"""

import re
from datetime import UTC, date, datetime

import pytest

from defections.models import Agency, Case, Period
from tests.factories import AgencyFactory, CaseFactory, PersonFactory
from tests.test_api_fixtures import read_csv

pytest_plugins = ["tests.test_api_fixtures"]

NAME = "Guarded Person"


@pytest.fixture
def guarded(db):
    return PersonFactory(name=NAME, at_risk=True)


def api_ids(api, query: str) -> list[int]:
    response = api.get(f"/api/v1/cases/?{query}&page_size=500")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def page_ids(client, query: str) -> list[int]:
    response = client.get(f"/cases/?{query}&page_size=100")
    assert response.status_code == 200
    return list(dict.fromkeys(int(pk) for pk in re.findall(r'href="/cases/(\d+)/"',
                                                             response.content.decode())))


def both(api, client, query: str) -> list[int]:
    """The ids in order, checked to be the same on the API and the page."""
    ids = api_ids(api, query)
    assert page_ids(client, query) == ids, query
    return ids


# --- search rank ------------------------------------------------------------------------------


def test_search_ranks_an_at_risk_case_by_its_name_only(api, client, guarded):
    fso = CaseFactory(person=guarded, date="2020", role="FSO officer", summary="Guarded the FSO.")
    general = CaseFactory(person=guarded, date="2021", role="general", summary="A general.")
    CaseFactory(person=PersonFactory(name="Open Officer"), role="FSO officer", summary="FSO.")
    # The two cases are found by the name; the words matched only in hidden fields must not
    # reorder them: both queries give them in the order of their shown years.
    for q in [f"{NAME} or FSO", f"{NAME} or general"]:
        ids = [pk for pk in both(api, client, f"q={q}") if pk in (fso.pk, general.pk)]
        assert ids == [fso.pk, general.pk], q


# --- years ----------------------------------------------------------------------------------


def test_year_filters_use_the_shown_year_of_an_at_risk_case(api, client, guarded):
    hidden = CaseFactory(person=guarded, date="2024–2026")  # shown as "2024"
    open_case = CaseFactory(date="2024–2026")
    assert both(api, client, "year_min=2026") == [open_case.pk]
    assert both(api, client, "year_min=2025&year_max=2025") == [open_case.pk]
    assert set(both(api, client, "year_min=2024&year_max=2024")) == {hidden.pk, open_case.pk}
    assert set(both(api, client, "year_max=2024")) == {hidden.pk, open_case.pk}
    assert api.get(f"/api/v1/cases/{hidden.pk}/").json()["date"] == "2024"


def test_an_at_risk_case_sorts_as_the_first_day_of_its_shown_year(api, client, guarded):
    march = CaseFactory(date="March 2020")
    hidden = CaseFactory(person=guarded, date="December 2020")
    earlier = CaseFactory(date="1999")
    assert both(api, client, "") == [earlier.pk, hidden.pk, march.pk]
    assert both(api, client, "ordering=date") == [earlier.pk, hidden.pk, march.pk]
    assert both(api, client, "ordering=-date") == [march.pk, hidden.pk, earlier.pk]


# --- periods --------------------------------------------------------------------------------


def test_periods_count_the_same_cases_in_stats_facets_and_home(api, client, guarded):
    """Decided: a case's period is derived from its whole date, which is hidden for an
    at-risk person, so an at-risk case is counted by no period (as the period filter and
    its facet never listed it); it still counts in the total and by its year."""
    war = Period.objects.create(slug="war", name="War", start=date(2022, 2, 24))
    CaseFactory(person=guarded, date="June 2023")
    CaseFactory(date="2023")
    stats = api.get("/api/v1/stats/").json()
    assert stats["count"] == 2
    assert {row["period"]["slug"] if row["period"] else None: row["count"]
            for row in stats["by_period"]} == {"war": 1, None: 0}
    assert [row["total"] for row in stats["by_year_and_form"]] == [2]
    facet = [o["count"] for o in client.get("/cases/").context["facets"]["period"]
             if o["value"] == war.slug]
    assert facet == [1]
    # The clustering test places a case by the years it is shown in (the at-risk case's
    # public year, 2023, lies in the war), never by the hidden whole date.
    assert client.get("/").context["finding"].startswith("Only 2 cases can be placed")
    assert "(2 in them" in client.get("/").context["finding"]
    assert api.get("/api/v1/stats/?period=war").json()["count"] == 1


# --- last updated ---------------------------------------------------------------------------


def test_when_an_at_risk_case_changed_is_not_public(api, client, guarded):
    """Decided: an at-risk case has no public `updated_at`. It is left out of the JSON, the
    CSV and the page, sorts after every other case both ways, and never matches
    `updated_after`. (A sync client reads at-risk cases from the full list.)"""
    first = CaseFactory(date="2001")
    hidden = CaseFactory(person=guarded, date="2002")
    last = CaseFactory(date="2003")
    Case.objects.filter(pk=hidden.pk).update(updated_at=datetime(2999, 1, 1, tzinfo=UTC))
    Case.objects.filter(pk=first.pk).update(updated_at=datetime(2000, 1, 1, tzinfo=UTC))
    Case.objects.filter(pk=last.pk).update(updated_at=datetime(2001, 1, 1, tzinfo=UTC))
    assert both(api, client, "ordering=-updated") == [last.pk, first.pk, hidden.pk]
    assert both(api, client, "ordering=updated") == [first.pk, last.pk, hidden.pk]
    assert api_ids(api, "updated_after=2500-01-01T00:00:00Z") == []
    assert hidden.pk not in api_ids(api, "updated_after=2000-06-01T00:00:00Z")
    assert "updated_at" not in api.get(f"/api/v1/cases/{hidden.pk}/").json()
    rows = {row["id"]: row for row in read_csv(api.get("/api/v1/cases/?format=csv"))}
    assert rows[str(hidden.pk)]["updated_at"] == ""
    assert rows[str(first.pk)]["updated_at"].startswith("2000-01-01")
    html = client.get(hidden.get_absolute_url()).content.decode()
    assert "2999" not in html and "last updated" not in html.lower()
    assert "2999" not in client.get("/").content.decode()


def test_when_an_at_risk_person_changed_is_not_public(api, guarded):
    CaseFactory(person=guarded)
    other = CaseFactory().person
    guarded.save()  # the newest change
    ids = [row["id"] for row in api.get("/api/v1/people/?ordering=-updated").json()["results"]]
    assert ids == [other.pk, guarded.pk]
    ids = [row["id"] for row in
           api.get(f"/api/v1/people/?updated_after={other.updated_at.isoformat().replace('+', '%2B')}")
           .json()["results"]]
    assert ids == [other.pk]


# --- agencies -------------------------------------------------------------------------------


@pytest.fixture
def agencies(guarded):
    old = AgencyFactory(name="Old Commissariat")  # no case: listed in the line of a listed one
    ministry = AgencyFactory(name="Open Ministry", predecessor=old)
    mission = AgencyFactory(name="Open Mission", parent=ministry)
    CaseFactory(agency=mission)
    drafts_only = AgencyFactory(name="Drafted Directorate")
    CaseFactory(agency=drafts_only, status="draft")
    at_risk_only = AgencyFactory(name="Guarded Directorate", parent=ministry)
    CaseFactory(agency=at_risk_only, person=guarded)
    unused = AgencyFactory(name="Empty Office")
    return {"listed": [ministry, mission, old], "hidden": [drafts_only, at_risk_only, unused]}


def test_an_agency_is_listed_only_with_a_visible_case_in_its_tree(api, client, agencies):
    """Decided: an agency is public when public data names it (a published case, or an
    affiliation, of a person not at risk) or it is in the line of one that is: above it
    (so the tree is whole and its counts add up) or before it (its predecessors). Whether
    an agency is listed so depends on public data alone; the rest is not found or linked."""
    html = client.get("/agencies/").content.decode()
    api_names = {row["name"] for row in api.get("/api/v1/agencies/").json()["results"]}
    assert api_names == {a.name for a in agencies["listed"]}
    for agency in agencies["listed"]:
        assert agency.name in html
        assert client.get(agency.get_absolute_url()).status_code == 200
        assert api.get(f"/api/v1/agencies/{agency.pk}/").status_code == 200
    for agency in agencies["hidden"]:
        assert agency.name not in html
        assert agency.name not in client.get(agencies["listed"][0].get_absolute_url()).content.decode()
        assert client.get(agency.get_absolute_url()).status_code == 404
        assert api.get(f"/api/v1/agencies/{agency.pk}/").status_code == 404
    assert Agency.objects.count() == 6  # staff still have them all (the admin, the API)


@pytest.fixture
def named_agencies(db):
    public = AgencyFactory(name="Public Bureau", slug="public-bureau")
    CaseFactory(agency=public, date="2020")
    drafted = AgencyFactory(name="Drafted Bureau", slug="drafted-bureau")  # named by a draft only
    CaseFactory(agency=drafted, date="2020", status="draft")
    guarded = AgencyFactory(name="Guarded Bureau", slug="guarded-bureau")  # by an at-risk case only
    CaseFactory(agency=guarded, date="2020", person=PersonFactory(name="Guarded One", at_risk=True))
    return {"public": public, "drafted": drafted, "guarded": guarded}


PROBES = ["/cases/?agency={slug}", "/api/v1/cases/?agency={slug}", "/api/v1/stats/?agency={slug}",
          "/cases/?agency_id={pk}", "/api/v1/cases/?agency_id={pk}", "/api/v1/stats/?agency_id={pk}",
          "/api/v1/agencies/?parent={slug}"]


@pytest.mark.parametrize("hidden", ["drafted", "guarded"])
@pytest.mark.parametrize("probe", PROBES)
def test_a_filter_answers_a_hidden_agency_like_a_missing_one(client, named_agencies, probe, hidden):
    """The agency filters accepted any agency (200) and refused unknown ones (400): a guessed
    slug or an enumerated id told whether hidden records name that body."""
    agency = named_agencies[hidden]
    hidden_answer = client.get(probe.format(slug=agency.slug, pk=agency.pk)).status_code
    missing_answer = client.get(probe.format(slug="no-such-bureau", pk=agency.pk + 1000)).status_code
    public = named_agencies["public"]
    assert hidden_answer == missing_answer == 400
    assert client.get(probe.format(slug=public.slug, pk=public.pk)).status_code == 200


def test_staff_still_filter_by_any_agency(named_agencies):
    from tests.test_admin_support import make_user
    from tests.test_api_fixtures import client_for

    staff = client_for(make_user("ed", "Editor"))
    response = staff.get("/api/v1/cases/?agency=drafted-bureau&status=draft")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_editing_the_staff_notes_changes_nothing_the_public_sees(client, db):
    """restricted_notes is staff-only, but saving it moved the case's public change time."""
    case = CaseFactory(date="2021", summary="An open case.")
    CaseFactory(date="2020", summary="Another open case.")
    urls = [f"/api/v1/cases/{case.pk}/", case.get_absolute_url(), "/api/v1/cases/?ordering=-updated",
            "/cases/?ordering=-updated"]

    def answers():
        return {url: (client.get(url).get("ETag"), client.get(url).content) for url in urls}

    before, version = answers(), case.version
    case.restricted_notes = "Staff only: the source wants anonymity."
    case.save()
    assert answers() == before
    assert case.version != version  # a stale admin save of the notes is still refused
    case.summary = "An open case, revised."
    case.save()
    assert answers() != before
