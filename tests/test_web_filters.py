"""/cases/: the shared FilterSet as a form, facet counts, search with highlighting, bad input."""

import re

import pytest
from django.urls import reverse

from defections import facets
from defections.facets import case_facets
from defections.filtersets import CaseFilterSet
from defections.models import Agency, Case, Motive, Response
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory

URL = "/cases/"


def listed(response) -> list[str]:
    """The names of the cases a list page shows, in order."""
    html = response.content.decode()
    return [re.sub(r"<[^>]+>", "", name) for name in re.findall(r'class="who"[^>]*>(.*?)</a>', html)]


def facet(response, dimension, value):
    return next(o for o in response.context["facets"][dimension] if o["value"] == value)


def test_every_filter_of_the_filterset_is_on_the_form(client, seeded):
    html = client.get(URL).content.decode()
    for name in ["q", "form", "agency", "agency_kind", "year_min", "year_max", "period",
                 "destination_country", "motive", "response", "verification", "ordering"]:
        assert f'name="{name}"' in html, name


@pytest.mark.parametrize("query", [
    "form=geographic", "form=articulated&form=final", "agency=mid", "agency_kind=diplomatic",
    "year_min=2023", "year_max=2022", "year_min=2022&year_max=2022", "period=war-since-2022",
    "destination_country=US", "motive=unknown", "response=psychiatric", "verification=reported",
    "q=Skipal", "form=geographic&year_min=2022", "ordering=-date", "ordering=name",
])
def test_the_page_lists_what_the_filterset_gives(client, seeded, query):
    """The same query string gives the same cases as the FilterSet (so as the API)."""
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    from django.http import QueryDict

    expected = CaseFilterSet(QueryDict(query), queryset=Case.objects.public()).qs
    assert sorted(listed(response)) == sorted(c.person.name for c in expected)
    assert response.context["page"].paginator.count == expected.count()


@pytest.mark.parametrize("base", ["form=articulated", "q=corruption+war", "period=war-since-2022",
                                  "agency=mid&verification=reported"])
def test_each_option_counts_what_choosing_it_gives(client, seeded, base):
    """Facet counts apply every other filter: choosing an option lists exactly its count."""
    response = client.get(f"{URL}?{base}")
    for dimension, options in response.context["facets"].items():
        others = "&".join(p for p in base.split("&") if not p.startswith(f"{dimension}="))
        for option in options:
            chosen = client.get(f"{URL}?{others}&{dimension}={option['value']}")
            assert chosen.context["page"].paginator.count == option["count"], (dimension, option)


def test_agency_counts_include_sub_agencies(client, seeded):
    response = client.get(URL)
    mid = facet(response, "agency", "mid")
    mission = facet(response, "agency", "un-geneva-mission")
    assert mission["depth"] == 1
    assert mid["count"] == mission["count"] + Case.objects.public().filter(agency__slug="mid").count()
    assert mid["count"] == 2


def test_facets_take_a_bounded_number_of_queries(db, django_assert_max_num_queries):
    from django.http import QueryDict

    parent = AgencyFactory()
    child = AgencyFactory(parent=parent)
    motive = MotiveFactory()
    for i in range(6):
        case = CaseFactory(agency=child if i % 2 else parent, date=f"{2000 + i}")
        case.motives.add(motive)
        Response.objects.create(case=case, kind="arrest")
    data = QueryDict(f"form=geographic&motive={motive.slug}&agency={parent.slug}&response=arrest")
    filterset = CaseFilterSet(data, queryset=Case.objects.public())
    with django_assert_max_num_queries(20):
        facets = case_facets(filterset, Case.objects.public())
    assert {o["value"]: o["count"] for o in facets["agency"]}[parent.slug] == 6
    assert {o["value"]: o["count"] for o in facets["motive"]}[motive.slug] == 6
    assert {o["value"]: o["count"] for o in facets["response"]}["arrest"] == 6


def test_counts_of_cases_that_can_be_none_are_empty(db):
    """A queryset that can match nothing (`.none()`) compiles to no SQL: its counts are empty,
    not an error (attack round 29)."""
    CaseFactory(date="2001")
    none = Case.objects.public().none()
    assert facets._related_counts(none, "responses__kind") == {}
    assert facets._related_counts(none, "motives__slug") == {}
    assert facets.grouped_counts(none, {"form": "form", "verification": "verification"}) == {
        "form": {}, "verification": {}}


def test_the_response_facet_counts_cases_not_responses(db):
    from django.http import QueryDict

    """Cases, not responses: two arrests of one case count it once (the facet counts the
    distinct (kind, case) pairs; facets._related_counts)."""
    twice = CaseFactory(date="2001")
    Response.objects.create(case=twice, kind="arrest")
    Response.objects.create(case=twice, kind="arrest")
    Response.objects.create(case=twice, kind="wanted-list")
    Response.objects.create(case=CaseFactory(date="2002"), kind="arrest")
    filterset = CaseFilterSet(QueryDict(""), queryset=Case.objects.public())
    counts = {o["value"]: o["count"] for o in case_facets(filterset, Case.objects.public())["response"]}
    assert counts == {"arrest": 2, "wanted-list": 1}


@pytest.mark.parametrize(("q", "name", "mark"), [
    ("Skipal", "Sergei Skripal", "Skripal"),
    ("Butsaev", "Denis Butsayev", "Butsayev"),
    ("Бондарев", "Boris Bondarev", "Bondarev"),
    ("prigozin", "Yevgeny Prigozhin", "Prigozhin"),
])
def test_search_finds_misspelt_and_cyrillic_names_and_marks_them(client, seeded, q, name, mark):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    assert listed(response)[0] == name
    assert f"<mark>{mark}</mark>" in response.content.decode()


def test_search_highlights_matching_words_in_the_summary(client, seeded):
    html = client.get(URL, {"q": "psychiatric hospital"}).content.decode() + \
        client.get(URL, {"q": "corruption"}).content.decode()
    assert "<mark>corruption</mark>" in html


def test_search_highlighting_escapes_the_text(client, db):
    CaseFactory(summary="Wrote <script>alert(1)</script> about corruption.")
    html = client.get(URL, {"q": "corruption"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html and "<mark>corruption</mark>" in html


def test_sorting_by_name_and_last_update(client, db):
    for name in ["Bravo", "Alpha", "Charlie"]:
        CaseFactory(person=PersonFactory(name=name))
    assert listed(client.get(URL, {"ordering": "name"})) == ["Alpha", "Bravo", "Charlie"]
    assert listed(client.get(URL, {"ordering": "-name"})) == ["Charlie", "Bravo", "Alpha"]
    alpha = Case.objects.get(person__name="Alpha")
    alpha.summary = "Revised."  # a save that changes nothing keeps the change time
    alpha.save()
    assert listed(client.get(URL, {"ordering": "-updated"}))[0] == "Alpha"


def test_pagination_keeps_the_filters(client, db):
    for i in range(30):
        CaseFactory(form="final", date=str(1990 + i))
    CaseFactory(form="geographic")
    response = client.get(URL, {"form": "final"})
    assert response.context["page"].paginator.count == 30
    assert len(listed(response)) == 25
    assert "?form=final&amp;page=2" in response.content.decode()
    assert len(listed(client.get(URL, {"form": "final", "page": 2}))) == 5
    assert len(listed(client.get(URL, {"form": "final", "page_size": 10}))) == 10
    assert len(listed(client.get(URL, {"form": "final", "page_size": 5000}))) == 30


def test_download_links_carry_the_same_query(client, seeded):
    html = client.get(URL, {"form": "geographic", "year_min": 2022}).content.decode()
    assert 'href="/api/v1/cases/?form=geographic&amp;year_min=2022"' in html
    assert 'href="/api/v1/cases/?form=geographic&amp;year_min=2022&amp;format=csv"' in html
    html = client.get(URL).content.decode()
    assert 'href="/api/v1/cases/?format=csv"' in html


def test_the_chart_follows_the_filters(client, seeded):
    response = client.get(URL, {"form": "geographic"})
    chart = response.context["chart"]
    geographic = Case.objects.public().filter(form="geographic")
    # The year rule: each bar counts the cases whose date touches its year.
    assert {bar["year"]: bar["total"] for bar in chart["bars"]} == {
        year: geographic.in_years(year, year).count() for year in range(chart["first"], chart["last"] + 1)
        if geographic.in_years(year, year).exists()}
    assert all(s["form"] == "geographic" for bar in chart["bars"] for s in bar["segments"])
    assert all("form=geographic" in bar["href"] for bar in chart["bars"])


@pytest.mark.parametrize("query", [
    "year_min=abc", "year_min=99999999999999999999", "year_max=-5", "year_min=2025&year_max=2020",
    "form=nope", "agency=no-such-agency", "agency_id=abc", "agency_id=99999999999999999999",
    "motive=%00", "q=a%00b", "agency=x%00y", "period=%FF%FE", "ordering=bogus",
    "updated_after=yesterday", "destination_country=ZZ", "response=nope", "verification=%00",
])
def test_bad_filters_show_an_error_not_a_500(client, seeded, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize("query", ["page=-1", "page=abc", "page=999999999999999999999", "page=%00",
                                   "unknown=1", "page_size=-3",
                                   "page_size=abc", "page_size=99999999999999999999999",
                                   "q=%27%22%3C%3E", "q=-"])
def test_odd_input_is_harmless(client, seeded, query):
    assert client.get(f"{URL}?{query}").status_code == 200


def test_a_search_past_its_bound_is_a_form_error(client, seeded):
    response = client.get(URL, {"q": "x" * 5000})
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_an_invalid_filter_still_applies_the_valid_ones(client, seeded):
    response = client.get(URL, {"form": "geographic", "year_min": "abc"})
    assert response.status_code == 400
    assert "year_min" in response.content.decode()
    assert response.context["page"].paginator.count == Case.objects.public().filter(
        form="geographic").count()


@pytest.mark.parametrize("url", ["/people/?q=%00", "/people/?page=-1", "/sources/?kind=nope",
                                 "/sources/?q=%00&page=abc", "/agencies/?x=1", "/cases/999999/",
                                 "/people/999999/", "/agencies/999999/", "/sources/999999/",
                                 "/cases/99999999999999999999/", "/people/99999999999999999999/",
                                 "/sources/99999999999999999999/", "/agencies/99999999999999999999/"])
def test_other_pages_take_bad_input(client, seeded, url):
    assert client.get(url).status_code in (200, 400, 404)


def test_motive_and_agency_options_come_from_the_data(client, seeded):
    response = client.get(URL)
    assert {o["value"] for o in response.context["facets"]["motive"]} == set(
        Motive.objects.filter(cases__in=Case.objects.public()).values_list("slug", flat=True))
    listed_agencies = {o["value"] for o in response.context["facets"]["agency"]}
    assert "minprirody" in listed_agencies
    assert Agency.objects.get(slug="fso").slug not in listed_agencies  # no published case
    assert reverse("case-list") == URL


def every_value(dimension) -> list[str]:
    """Every value a facet could offer, whether any case has it or not."""
    from django_countries import countries

    from defections import choices
    from defections.models import Period

    return {
        "form": choices.Form.values, "verification": choices.Verification.values,
        "agency_kind": choices.AgencyKind.values, "response": choices.ResponseKind.values,
        "destination_country": [code for code, _ in countries],
        "period": list(Period.objects.values_list("slug", flat=True)),
        "motive": list(Motive.objects.values_list("slug", flat=True)),
        "agency": list(Agency.objects.visible_to(None).values_list("slug", flat=True)),
    }[dimension]


@pytest.mark.parametrize("base", ["", "form=final", "year_min=2024&year_max=2024"])
def test_one_rule_for_every_facet_no_empty_options_but_the_chosen(client, seeded, base):
    """Every facet lists an option only when choosing it gives cases, or when it is chosen
    (so that it can be unticked), whatever its count."""
    from defections.facets import DIMENSIONS

    response = client.get(f"{URL}?{base}")
    facets = response.context["facets"]
    assert set(facets) == set(DIMENSIONS)
    chosen_at_zero = set()
    for dimension, options in facets.items():
        assert all(o["count"] > 0 or o["selected"] for o in options), (
            dimension, [o for o in options if not o["count"]])
        shown = {o["value"] for o in options}
        empty = next((v for v in every_value(dimension) if v not in shown), None)
        if empty is None:  # every value gives cases here
            continue
        chosen = client.get(f"{URL}?{base}&{dimension}={empty}").context["facets"][dimension]
        row = next(o for o in chosen if o["value"] == empty)
        assert row["selected"] and row["count"] == 0, dimension
        chosen_at_zero.add(dimension)
    assert len(chosen_at_zero) >= 5, chosen_at_zero


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_every_agency_option_is_named_as_the_site_names_agencies(client, seeded, prefix):
    """The name in the reader's language, the acronym after it when there is one, for every
    agency alike (not "MID" beside "Gazprombank")."""
    from django.utils import translation

    from defections import languages

    response = client.get(f"{prefix}/cases/")
    options = response.context["facets"]["agency"]
    assert options
    with translation.override("ru" if prefix else "en"):
        for option in options:
            agency = Agency.objects.get(slug=option["value"])
            name = str(languages.text(agency, "name"))
            assert option["label"] == (f"{name} ({agency.acronym})" if agency.acronym else name)
    html = response.content.decode()
    if not prefix:
        assert "Ministry of Foreign Affairs (MID)" in html
