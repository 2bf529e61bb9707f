"""The REST API: endpoints, visibility, writes and the workflow, formats, pagination."""

import json

import pytest
from rest_framework.throttling import AnonRateThrottle

from defections.models import Affiliation, Agency, Case, Citation, Person, Response
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, SourceFactory
from tests.test_api_fixtures import ENDPOINTS, MARKER, all_pages, read_csv

pytest_plugins = ["tests.test_api_fixtures"]


# --- reading ----------------------------------------------------------------------------------


def test_case_json_has_the_contract_fields(api, seeded):
    case = Case.objects.public().exclude(agency=None).filter(citations__isnull=False).first()
    data = api.get(f"/api/v1/cases/{case.pk}/").json()
    for field in ["id", "api_url", "person", "form", "date", "date_start", "date_end", "date_precision",
                  "agency", "role", "destination_country", "motives", "responses", "verification",
                  "status", "summary", "citations", "period", "updated_at"]:
        assert field in data, field
    assert data["person"] == {"id": case.person_id, "name": case.person.name,
                              "native_name": case.person.native_name}
    assert set(data["agency"]) == {"id", "name", "acronym", "native_name"}
    assert data["api_url"].endswith(f"/api/v1/cases/{case.pk}/")
    assert data["date"] == case.date
    assert data["citations"] and {"source", "locator", "quote", "claim"} <= set(data["citations"][0])
    assert "restricted_notes" not in data


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_list_and_detail_answers(api, seeded, endpoint):
    person = Case.objects.public().filter(person__at_risk=False).first().person
    Affiliation.objects.create(person=person, agency=AgencyFactory(), role="An invented post")  # none seeded
    page = api.get(f"/api/v1/{endpoint}/")
    assert page.status_code == 200
    body = page.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"]) > 0
    detail = api.get(body["results"][0]["api_url"])
    assert detail.status_code == 200
    assert detail.json() == body["results"][0]
    assert api.get(f"/api/v1/{endpoint}/999999999/").status_code == 404


def test_stats_count_by_year_form_agency_and_period(api, seeded):
    data = api.get("/api/v1/stats/").json()
    public = Case.objects.public()
    assert data["count"] == public.count()
    # The year rule: a year counts the cases the list's year filter gives for it.
    for row in data["by_year_and_form"]:
        year = {"year_min": row["year"], "year_max": row["year"]}
        assert row["total"] == api.get("/api/v1/cases/", year).json()["count"]
        assert row["spanning"] == public.in_years(**year).exclude(
            date_start__year=row["year"], date_end__year=row["year"]).count()
    assert data["undated"] == public.filter(date_start=None).count()
    assert sum(row["count"] for row in data["by_agency"]) == data["count"]
    assert sum(row["count"] for row in data["by_period"]) == data["count"]
    war = next(row for row in data["by_period"]
               if row["period"] and row["period"]["slug"] == "war-since-2022")
    assert war["count"] == public.filter(period__slug="war-since-2022").count()
    filtered = api.get("/api/v1/stats/", {"form": "geographic"}).json()
    assert filtered["count"] == public.filter(form="geographic").count()
    assert all(row["articulated"] == 0 for row in filtered["by_year_and_form"])
    assert api.get("/api/v1/stats/", {"form": "lateral"}).status_code == 400


def test_periods_and_agencies_carry_their_fields(api, seeded):
    period = api.get("/api/v1/periods/").json()["results"][0]
    assert {"id", "api_url", "slug", "name", "start", "end", "description"} <= set(period)
    mission = Agency.objects.visible_to(None).exclude(parent=None).first()
    data = api.get(f"/api/v1/agencies/{mission.pk}/").json()
    assert data["parent"] == {"id": mission.parent.pk, "name": mission.parent.name,
                              "acronym": mission.parent.acronym, "native_name": mission.parent.native_name}


# --- visibility -------------------------------------------------------------------------------


def anonymous_urls(api):
    """Every list page (JSON and CSV), every detail it links, and the stats."""
    urls = ["/api/v1/stats/"]
    for endpoint in ENDPOINTS:
        for params in ["", "?format=csv", "?status=draft&status=review&status=retracted"]:
            urls.append(f"/api/v1/{endpoint}/{params}")
        for record in all_pages(api, f"/api/v1/{endpoint}/", page_size=2):
            urls += [record["api_url"], record["api_url"] + "?format=csv"]
    return urls


def test_nothing_unpublished_restricted_or_at_risk_reaches_anonymous_clients(api, secrets):
    urls = anonymous_urls(api)
    assert len(urls) > 40
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert MARKER.encode() not in body, url
    for case in secrets["hidden"].values():
        gone = 410 if case.retracted_at else 404  # a published case retracted: its notice
        assert api.get(f"/api/v1/cases/{case.pk}/").status_code == gone
        assert api.get(f"/api/v1/people/{case.person_id}/").status_code == 404
    guarded = api.get(f"/api/v1/cases/{secrets['at_risk'].pk}/").json()
    assert guarded == {"id": secrets["at_risk"].pk, "api_url": guarded["api_url"], "form": "geographic",
                       "person": {"id": secrets["at_risk"].person_id, "name": "Guarded Person",
                                  "native_name": ""},
                       "date": "2024"}


def test_a_user_without_view_permission_sees_what_the_public_sees(nobody, secrets):
    for url in anonymous_urls(nobody):
        response = nobody.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert MARKER.encode() not in body, url


def test_staff_read_drafts_restricted_notes_and_filter_by_status(researcher, secrets):
    drafts = all_pages(researcher, "/api/v1/cases/", status="draft")
    assert [case["id"] for case in drafts] == [secrets["hidden"]["draft"].pk]
    assert drafts[0]["restricted_notes"] == ""
    guarded = researcher.get(f"/api/v1/cases/{secrets['at_risk'].pk}/").json()
    assert guarded["summary"] == f"summary {MARKER}" and guarded["restricted_notes"] == MARKER
    person = researcher.get(f"/api/v1/people/{secrets['at_risk'].person_id}/").json()
    assert person["native_name"] == MARKER


# --- filters ----------------------------------------------------------------------------------


def test_invalid_filter_is_a_400_naming_the_parameter(api, db):
    for query, name in [("form=lateral", "form"), ("year_min=abc", "year_min"),
                        ("agency=nowhere", "agency"), ("updated_after=yesterday", "updated_after"),
                        ("ordering=salary", "ordering"), ("q=a%00b", "q"), ("agency=a%00", "agency")]:
        response = api.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "application/json"
        assert name in response.json(), (query, response.json())
    csv_error = api.get("/api/v1/cases/?format=csv&form=lateral")
    assert csv_error.status_code == 400 and "form" in csv_error.json()


def test_a_time_offset_postgresql_refuses_is_moved_to_utc(api, seeded):
    response = api.get("/api/v1/cases/", {"updated_after": "2000-01-01T00:00:00+19:22"})
    assert response.status_code == 200
    assert api.get("/api/v1/cases/", {"updated_after": "0001-01-01T00:00:00+19:22"}).status_code == 400


def test_updated_after_returns_what_changed_since(api, seeded):
    case = Case.objects.public().first()
    case.summary += " Revised."  # a save that changes nothing keeps the change time
    case.save()
    since = case.updated_at.isoformat()
    ids = [row["id"] for row in all_pages(api, "/api/v1/cases/", updated_after=since)]
    assert ids == [case.pk]


def test_ordering(api, seeded):
    names = [row["person"]["name"] for row in all_pages(api, "/api/v1/cases/", ordering="-name")]
    assert names == sorted(names, reverse=True)


# --- pagination -------------------------------------------------------------------------------


def test_pages_and_their_links(api, seeded):
    total = Case.objects.public().count()
    first = api.get("/api/v1/cases/", {"page_size": 3}).json()
    assert first["count"] == total and len(first["results"]) == 3 and first["previous"] is None
    ids = [row["id"] for row in all_pages(api, "/api/v1/cases/", page_size=3)]
    assert ids == list(Case.objects.public().order_by("date_start", "pk").values_list("pk", flat=True))
    assert len(api.get("/api/v1/cases/", {"page_size": 100000}).json()["results"]) == total


@pytest.mark.parametrize("page", ["-1", "0", "abc", "99", str(10**30)])
def test_bad_pages_are_404_with_a_message(api, seeded, page):
    response = api.get("/api/v1/cases/", {"page": page})
    assert response.status_code == 404 and "detail" in response.json()


def test_count_above_the_exact_limit_is_the_planner_estimate(api, seeded, monkeypatch):
    from defections.api.pagination import BoundedCountPaginator

    monkeypatch.setattr(BoundedCountPaginator, "exact_count_limit", 2)
    body = api.get("/api/v1/cases/", {"page_size": 4}).json()
    assert body["count"] >= 3  # an estimate, never below what was counted exactly
    ids = [row["id"] for row in all_pages(api, "/api/v1/cases/", page_size=4)]
    assert len(ids) == Case.objects.public().count()  # next links do not depend on the count


# --- query counts -----------------------------------------------------------------------------

# cases: the count, the page's ids, and the page's JSON written by PostgreSQL in one query
# (defections/json_lines.py)
QUERIES = {"cases": 3, "people": 5, "agencies": 2, "sources": 2, "periods": 2, "affiliations": 2}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_list_takes_a_fixed_number_of_queries(api, secrets, endpoint,
                                                   django_assert_num_queries):
    for _ in range(30):
        case = CaseFactory(agency=AgencyFactory(), date="2020")
        case.motives.add(MotiveFactory())
        Response.objects.create(case=case, kind="arrest")
        Citation.objects.create(case=case, source=SourceFactory())
    for size in (1, 500):
        with django_assert_num_queries(QUERIES[endpoint]):
            assert api.get(f"/api/v1/{endpoint}/", {"page_size": size}).status_code == 200


# --- CSV --------------------------------------------------------------------------------------


def test_csv_list_has_a_header_and_one_row_per_case(api, seeded):
    response = api.get("/api/v1/cases/?format=csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert len(rows) == Case.objects.public().count()
    assert {"id", "person.name", "agency.acronym", "form", "date", "motives", "citations"} <= set(rows[0])
    butsayev = next(row for row in rows if row["person.name"] == "Denis Butsayev")
    case = Case.objects.get(pk=butsayev["id"])
    assert json.loads(butsayev["motives"]) == list(case.motives.values_list("slug", flat=True))
    assert butsayev["date"] == case.date


def test_csv_pages_with_a_link_header(api, seeded):
    response = api.get("/api/v1/cases/", {"format": "csv", "page_size": 2})
    assert len(read_csv(response)) == 2
    assert 'rel="next"' in response["Link"] and "page=2" in response["Link"]
    last = api.get("/api/v1/cases/", {"format": "csv", "page_size": 2, "page": 99})
    assert read_csv(last) == [] and 'rel="next"' not in last["Link"]


def test_csv_by_accept_header_and_for_a_detail(api, seeded):
    response = api.get("/api/v1/agencies/", HTTP_ACCEPT="text/csv")
    assert len(read_csv(response)) == Agency.objects.visible_to(None).count()
    person = Person.objects.public().first()
    rows = read_csv(api.get(f"/api/v1/people/{person.pk}/?format=csv"))
    assert [row["name"] for row in rows] == [person.name]


def test_csv_export_streams_over_an_iterator(api, seeded, monkeypatch):
    """No list of all records in memory: the rows come from QuerySet.iterator in chunks."""
    from django.db.models.query import QuerySet

    from defections.api.views import CSV_LINES_CHUNK

    chunk_sizes = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    response = api.get("/api/v1/cases/?format=csv")
    assert chunk_sizes == [CSV_LINES_CHUNK]  # the ids, read a chunk of lines at a time
    assert len(read_csv(response)) == Case.objects.public().count()


# --- conditional GET and throttling -----------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/periods/", "/api/v1/stats/"])
def test_etag_and_not_modified(api, seeded, url):
    first = api.get(url)
    etag = first["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    case = Case.objects.public().exclude(form="final").first()
    case.form = "final"
    case.save()
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == (200 if "periods" not in url else 304)


def test_detail_etag(api, seeded):
    url = f"/api/v1/cases/{Case.objects.public().first().pk}/"
    assert api.get(url, HTTP_IF_NONE_MATCH=api.get(url)["ETag"]).status_code == 304


def test_anonymous_clients_are_throttled_with_retry_after(api, db, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    codes = [api.get("/api/v1/periods/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/v1/periods/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "detail" in response.json()


# --- schema and docs --------------------------------------------------------------------------


def test_schema_describes_filters_enums_bounds_and_errors(api, db):
    schema = api.get("/api/v1/schema/?format=json").json()
    cases = schema["paths"]["/api/v1/cases/"]["get"]
    names = {p["name"] for p in cases["parameters"]}
    assert {"form", "agency", "agency_id", "agency_kind", "year_min", "year_max", "period",
            "destination_country", "motive", "response", "verification", "status", "q",
            "updated_after", "ordering", "page", "page_size", "format"} <= names
    page_size = next(p for p in cases["parameters"] if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 500
    country = next(p for p in cases["parameters"] if p["name"] == "destination_country")
    assert "enum" not in country["schema"]["items"]  # 249 codes: described (tests/test_api_docs.py)
    assert "ISO 3166-1 alpha-2" in country["description"]
    assert {"200", "304", "400", "404", "429"} <= set(cases["responses"])
    assert "Leaving the country in protest" in schema["components"]["schemas"]["FormEnum"]["description"]
    stats = {p["name"] for p in schema["paths"]["/api/v1/stats/"]["get"]["parameters"]}
    assert {"form", "year_min", "q"} <= stats
    post = schema["paths"]["/api/v1/cases/"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(post)


def test_docs_page_uses_local_assets(api, db):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
