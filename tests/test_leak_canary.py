"""The leak canary: every kind of private data carries its own marker; no public page and no
anonymous API answer may contain any of them.

The HTML crawl starts at / and follows every same-site link (facets, pages, details, the
API links of the lists); the API crawl walks every list page by page (JSON and CSV), every
detail, the schema and the stats. A control marker on a published case must be found, so a
crawl that sees nothing cannot pass. The Russian columns (`summary_ru`, `bio_ru`, …) of hidden
records carry markers of their own, and the site is crawled in Russian too
(tests/test_leak_canary_russian.py).
"""

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver
from django_countries import countries
from rest_framework.test import APIClient

from defections.models import Case
from tests.canary import (
    AT_RISK,
    AT_RISK_NAME,
    CONTROL,
    DRAFT,
    RESTRICTED,
    SECRET_AGENCY,
    WITHHELD,
    WITHHELD_COUNTRY,
    WITHHELD_UNTIL,
    api_lists,
    body_of,
    check,
    crawl_pages,
    csv_pages,
    dimensions,
    leaks,
    make_canary,
)
from tests.test_api_fixtures import ENDPOINTS

pytest_plugins = ["tests.test_api_fixtures"]  # generous_throttle: the crawl is not rate-limited


@pytest.fixture
def canary(seeded):
    return make_canary()


def test_no_public_page_shows_a_marker(client, canary):
    pages, left = crawl_pages(client)
    html = {url: text for url, text in pages.items() if not url.startswith("/api/")}
    assert len(html) > 200, len(html)
    # It saw the content: the control marker, the at-risk person's public name, every case.
    assert any(CONTROL in text for text in html.values())
    assert any(AT_RISK_NAME in text for text in html.values())
    for case in Case.objects.public():
        assert case.get_absolute_url() in pages, case
        assert case.person.get_absolute_url() in pages, case.person
    for prefix in ["/cases/?page=2", "/people/?page=2", "/sources/?page=2", "/agencies/", "/about/",
                   "/analysis/?form=", "/cases/feed/?form="]:  # the feeds (Atom) of the lists too
        assert any(url.startswith(prefix) for url in html), prefix
    facets = [url for url in html if url.startswith("/cases/?") and dimensions(url) == 1]
    assert len(facets) > 30, facets
    assert any(dimensions(url) >= 2 for url in html)  # combinations of filters too
    # What the public may know of the at-risk person is all there is on their pages.
    at_risk = canary["at_risk"]
    for url in [at_risk.get_absolute_url(), at_risk.person.get_absolute_url()]:
        assert SECRET_AGENCY not in pages[url], url
        assert "March 2023" not in pages[url] and "France" not in pages[url], url


@pytest.mark.parametrize("url", [
    "/cases/?q=CNRY", "/cases/?q=Hidden", "/people/?q=CNRY", "/people/?q=Hidden", "/sources/?q=only",
    "/sources/?q=CNRY", "/cases/?status=draft&status=review&status=retracted",
    "/cases/?destination_country=DE", "/cases/?destination_country=FR", "/cases/?response=wanted-list",
    "/cases/?motive=canary-motive", "/cases/?year_min=1991&year_max=1991",
    "/cases/?agency=canary-secret-agency", "/agencies/", "/people/?ordering=-updated",
    "/api/v1/cases/?ordering=-updated&format=csv", "/api/v1/people/?ordering=-updated",
    "/api/v1/agencies/?q=Canary", "/api/v1/cases/?updated_after=2011-01-01T00:00:00Z",
])
def test_searches_and_filters_aimed_at_hidden_data_show_no_marker(client, canary, url):
    text = body_of(client.get(url))
    assert not leaks(text), (url, leaks(text))


@pytest.mark.parametrize("marker", [DRAFT, RESTRICTED, *AT_RISK.values(), *list(WITHHELD.values())[:-1]])
def test_a_search_for_a_marker_finds_nothing(client, canary, marker):
    """A hidden word finds no case, alone or beside the at-risk person's name (then at most
    their case, by the name). The query is echoed back, so it is left out of the check."""
    allowed = {canary["at_risk"].pk}
    for q, may_find in [(marker, set()), (f"{AT_RISK_NAME} or {marker}", allowed)]:
        url = f"/api/v1/cases/?{urlencode({'q': q})}"
        found = {row["id"] for row in client.get(url).json()["results"]}
        assert found <= may_find, q
        assert client.get(f"/api/v1/stats/?{urlencode({'q': q})}").json()["count"] == len(found)
        for address in [f"/cases/?{urlencode({'q': q})}", f"{url}&format=csv"]:
            text = body_of(client.get(address)).replace(marker, "")
            assert not leaks(text), (address, leaks(text))
            cases = set(re.findall(r"/cases/(\d+)/", text))
            assert cases == {str(pk) for pk in found}, (address, cases)


@pytest.mark.django_db(transaction=True)
def test_pages_cached_after_a_staff_visit_show_no_marker(client, canary, version_row):
    """Pages are kept for the public under the data version. Staff see more (drafts, at-risk
    details) on the same addresses: what they get is neither kept nor read from the cache,
    so the public never gets it, before or after."""
    from django.contrib.auth.models import User

    hidden = [case.get_absolute_url() for case in Case.objects.exclude(status="published")]
    urls = ["/", "/cases/", "/people/", "/sources/", "/agencies/", "/cases/?q=CNRY",
            "/cases/?q=Hidden", "/cases/?destination_country=DE", "/cases/?year_min=1991",
            "/analysis/", "/analysis/?form=geographic",
            canary["at_risk"].get_absolute_url(), canary["at_risk"].person.get_absolute_url(),
            canary["secret_agency"].get_absolute_url(), *hidden]
    staff = User.objects.create_superuser("canary-staff", password="x" * 16)
    client.force_login(staff)
    assert DRAFT in body_of(client.get(hidden[0]))  # staff see the draft…
    for url in urls:
        client.get(url)
    client.logout()
    for visit in range(2):  # …the public neither after them nor from its own cached pages
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                text = body_of(client.get(url))
            assert not leaks(text), (url, leaks(text))
            if visit and url not in hidden and url != canary["secret_agency"].get_absolute_url():
                assert len(queries.captured_queries) == 1, url  # answered from the cache
    client.force_login(staff)  # and staff are not served the public's cached pages
    assert DRAFT in body_of(client.get("/cases/?q=Hidden"))


STATS_FILTERS = ["", "?form=geographic", "?year_min=2023&year_max=2023", "?agency={agency}",
                 "?motive=canary-motive", "?destination_country=FR", "?q=CNRY", "?status=draft",
                 "?period=war-since-2022&form=geographic", "?response=wanted-list&ordering=-date"]


def test_no_anonymous_api_answer_shows_a_marker(api, canary):
    seen: dict[str, str] = {}
    for endpoint in ENDPOINTS:
        base = f"/api/v1/{endpoint}/"
        records = api_lists(api, base, seen)
        small = api_lists(api, f"{base}?page_size=7", seen)
        assert small == records, endpoint
        if len(records) > 7:
            assert csv_pages(api, f"{base}?format=csv&page_size=7", seen) > 1, endpoint
        csv_pages(api, f"{base}?format=csv", seen)
        for query in ["?q=CNRY", "?q=Hidden", "?status=draft&status=review&status=retracted",
                      "?ordering=-updated"]:
            api_lists(api, base + query, seen)
        for record in records:
            check(record["api_url"], api.get(record["api_url"]), seen)
            check(record["api_url"] + "?format=csv", api.get(record["api_url"] + "?format=csv"), seen)
        count = {"cases": Case.objects.public().count()}.get(endpoint)
        if count is not None:
            assert len(records) == count
    for url in ["/api/v1/schema/", "/api/v1/schema/?format=json", "/api/v1/docs/"]:
        check(url, api.get(url), seen)
    for endpoint, query in [(e, q) for e in ("stats", "analysis") for q in STATS_FILTERS]:
        url = f"/api/v1/{endpoint}/" + query.format(agency=canary["secret_agency"].slug)
        # naming the agency only hidden records name is a 400, as a missing one is
        check(url, api.get(url), seen, allowed=(200, 400) if "{agency}" in query else (200,))
    assert len(seen) > 150, len(seen)
    texts = "\n".join(seen.values())
    assert CONTROL in texts and AT_RISK_NAME in texts
    guarded = api.get(f"/api/v1/cases/{canary['at_risk'].pk}/").json()
    assert set(guarded) == {"id", "api_url", "person", "form", "date"} and guarded["date"] == "2023"
    assert SECRET_AGENCY not in body_of(api.get(f"/api/v1/people/{canary['at_risk'].person_id}/"))


def test_the_at_risk_persons_hidden_details_are_not_counted(client, api, canary):
    """Counts reveal too: the secret agency, motive and country count nothing."""
    agency, at_risk = canary["secret_agency"], canary["at_risk"]
    facets = client.get("/cases/").context["facets"]
    others = Case.objects.public().exclude(person__at_risk=True)
    for dimension, value, lookup in [("agency", agency.slug, {"agency": agency}),
                                     ("motive", "canary-motive", {"motives__slug": "canary-motive"}),
                                     ("destination_country", "FR", {"destination_country": "FR"}),
                                     ("response", "wanted-list", {"responses__kind": "wanted-list"})]:
        expected = others.filter(**lookup).distinct().count()
        counts = [option["count"] for option in facets.get(dimension, []) if option["value"] == value]
        assert counts in ([], [expected]), (dimension, counts, expected)
        stats = api.get(f"/api/v1/stats/?{dimension}={value}")
        if dimension == "agency":  # an agency only hidden records name is not a valid choice
            assert stats.status_code == 400 and "agency" in stats.json(), dimension
        else:
            assert stats.json()["count"] == expected, dimension
    assert AT_RISK_NAME not in body_of(client.get(agency.get_absolute_url()))
    by_agency = api.get("/api/v1/stats/").json()["by_agency"]
    assert agency.pk not in [row["agency"]["id"] for row in by_agency if row["agency"]]
    assert at_risk.pk in [row["id"] for row in api.get("/api/v1/cases/?form=geographic&page_size=500")
                          .json()["results"]]


def test_hidden_records_are_not_found_by_address(client, api, canary):
    for case in Case.objects.exclude(status="published"):
        gone = 410 if case.retracted_at else 404  # a published case retracted: its notice
        for url, status in [(case.get_absolute_url(), gone), (case.person.get_absolute_url(), 404),
                            (f"/api/v1/cases/{case.pk}/", gone), (f"/api/v1/people/{case.person_id}/", 404)]:
            assert client.get(url).status_code == status, url


@pytest.fixture
def feed_first(db):
    """The change feed started before the canary's records are written (its first call)."""
    assert APIClient().get("/api/v1/changes/").status_code == 200


def test_the_change_feed_names_only_what_the_public_reads(feed_first, canary, api):
    seen: dict[str, str] = {}
    url, entries = "/api/v1/changes/", []
    while url:
        response = api.get(url)
        check(url, response, seen)
        entries += response.json()["results"]
        url = response.json()["next"]
    public = {(kind, record["id"]) for kind, endpoint in
              [("case", "cases"), ("person", "people"), ("agency", "agencies"), ("source", "sources"),
               ("period", "periods")] for record in api_lists(api, f"/api/v1/{endpoint}/", seen)}
    named = {(entry["type"], entry["id"]) for entry in entries}
    assert ("case", canary["control"].pk) in named and ("case", canary["at_risk"].pk) in named
    assert named <= public, named - public  # nothing hidden, not even an id
    assert {entry["action"] for entry in entries} == {"created"}
    for entry in entries:
        check(entry["api_url"], api.get(entry["api_url"]), seen)


def test_withheld_fields_are_public_from_their_expiry_day_with_no_write(client, api, canary):
    """The clock frozen on the expiry day: the withheld case shows every field on its pages,
    the API, CSV, the filters, facets, stats and search, and nothing else leaks."""
    withheld = canary["withheld"]
    country = countries.name(WITHHELD_COUNTRY)
    with time_machine.travel(datetime(2089, 12, 31, 23, 59, tzinfo=UTC), tick=False):
        assert withheld.pk not in {row["id"] for row in api.get(
            f"/api/v1/cases/?destination_country={WITHHELD_COUNTRY}").json()["results"]}
        for url in [withheld.get_absolute_url(), withheld.person.get_absolute_url(), "/cases/", "/"]:
            assert country not in body_of(client.get(url)), url
        # (a filter on it echoes the choice, with a count of 0)
        chosen = body_of(client.get(f"/cases/?destination_country={WITHHELD_COUNTRY}"))
        assert withheld.get_absolute_url() not in chosen
        facets = client.get("/cases/?form=geographic").context["facets"]
        assert WITHHELD_COUNTRY not in [option["value"] for option in facets["destination_country"]]
    with time_machine.travel(datetime.combine(WITHHELD_UNTIL, datetime.min.time(), UTC), tick=False):
        pages = {url: body_of(client.get(url)) for url in [
            withheld.get_absolute_url(), withheld.person.get_absolute_url(), "/cases/?year_max=1900",
            f"/cases/?destination_country={WITHHELD_COUNTRY}"]}
        api_urls = [f"/api/v1/cases/{withheld.pk}/", f"/api/v1/cases/{withheld.pk}/?format=csv",
                    f"/api/v1/people/{withheld.person_id}/", "/api/v1/stats/"]
        answers = {url: body_of(api.get(url)) for url in api_urls}
        for text in [*pages.values(), *answers.values()]:
            found = [leak for leak in leaks(text) if "withheld" not in leak]
            assert not found, found
        case_page = pages[withheld.get_absolute_url()]
        for field in ["place", "role", "narrative", "native_name"]:
            assert WITHHELD[field] in case_page, field
        assert country in case_page and "1899" in case_page
        assert WITHHELD["bio"] in pages[withheld.person.get_absolute_url()]
        for url in ["/cases/?year_max=1900", f"/cases/?destination_country={WITHHELD_COUNTRY}"]:
            assert withheld.get_absolute_url() in pages[url], url
        assert '"year":1899' in answers["/api/v1/stats/"].replace(" ", "")
        for q in [WITHHELD["narrative"], WITHHELD["native_name"]]:
            assert withheld.pk in {row["id"] for row in api.get(
                f"/api/v1/cases/?{urlencode({'q': q})}").json()["results"]}, q
        assert api.get(f"/api/v1/cases/{withheld.pk}/").json()["withheld"] == []


def site_routes(patterns, prefix="") -> set[str]:
    """Every address of the URL conf that takes no parameter (generated, so a new page is
    checked without anyone listing it); the admin left out (staff only)."""
    found = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if hasattr(pattern, "url_patterns"):
            found |= site_routes(pattern.url_patterns, route)
        elif not re.search(r"[<(\[?*\\]", route) and not route.startswith(("admin/", "ru/admin/")):
            found.add("/" + route)
    return found


def test_every_route_and_every_sitemap_address_shows_no_marker(client, canary):
    """Beside the crawl from `/`: each parameterless route of the URL conf, in both languages,
    and every address the sitemap gives crawlers (it is linked from robots.txt, not pages)."""
    seen = {}
    routes = site_routes(get_resolver().url_patterns)
    assert {"/sitemap.xml", "/robots.txt", "/cases/", "/about/"} <= routes, routes
    russian = {"/ru" + route for route in routes if not route.startswith("/api/")}
    for route in sorted(routes | russian):
        answer = client.get(route)
        while route == "/api/v1/changes/" and answer.status_code == 503:  # starting: ask again
            check(route, answer, seen, allowed=(503,))
            answer = client.get(route)
        check(route, answer, seen, allowed=(200, 301, 302, 400, 401, 403, 404, 405))
    assert "Случаи" in seen["/ru/cases/"]  # the Russian addresses are the Russian pages
    sections = re.findall(r"<loc>http://testserver([^<]+)</loc>", seen["/sitemap.xml"])
    assert len(sections) >= 4, sections
    addresses = set()
    for section in sections:
        addresses |= set(re.findall(r'(?:<loc>|href=")http://testserver([^<"]+)',
                                    check(section, client.get(section), seen)))
    assert canary["control"].get_absolute_url() in addresses
    assert canary["at_risk"].get_absolute_url() not in addresses  # no change time given away
    for address in sorted(addresses):
        check(address, client.get(address), seen)
