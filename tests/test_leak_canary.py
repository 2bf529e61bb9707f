"""The leak canary: every kind of private data carries its own marker; no public page and no
anonymous API answer may contain any of them.

The HTML crawl starts at / and follows every same-site link (facets, pages, details, the
API links of the lists); the API crawl walks every list page by page (JSON and CSV), every
detail, the schema and the stats. A control marker on a published case must be found, so a
crawl that sees nothing cannot pass.
"""

import re
from collections import deque
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_countries import countries
from rest_framework.test import APIClient

from defections.models import Affiliation, Case, Citation, PersonAlias, Response, Withholding
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import ENDPOINTS

pytest_plugins = ["tests.test_api_fixtures"]  # generous_throttle: the crawl is not rate-limited

# One marker per kind of private data, so a failure says what leaked.
DRAFT = "CNRY-draft-q7x1"
REVIEW = "CNRY-review-k2m9"
RETRACTED = "CNRY-retracted-p4z6"
RESTRICTED = "CNRY-restricted-w8v3"
AT_RISK = {  # each at-risk detail its own marker
    "native_name": "CNRY-atrisk-native-h5j2",
    "alias": "CNRY-atrisk-alias-t9d4",
    "bio": "CNRY-atrisk-bio-n3c8",
    "role": "CNRY-atrisk-role-f6g1",
    "summary": "CNRY-atrisk-summary-b7s5",
    "narrative": "CNRY-atrisk-narrative-r2l7",
    "place": "CNRY-atrisk-place-m1y3",
    "response": "CNRY-atrisk-response-u4e8",
    "citation": "CNRY-atrisk-citation-x6a2",
    "source": "CNRY-atrisk-source-z3o9",
    "affiliation": "CNRY-atrisk-affiliation-c5i7",
    "wikidata": "Q987650001",
}
WITHHELD = {  # fields of a published case (and its person) withheld until WITHHELD_UNTIL
    "place": "CNRY-withheld-place-a1q8",
    "role": "CNRY-withheld-role-b2w7",
    "narrative": "CNRYwithheldnarrativec3e6",
    "native_name": "CNRY-withheld-native-d4r5",
    "bio": "CNRY-withheld-bio-e5t4",
    "date": "1899-09-09",  # the case's withheld date, as the API writes it
}
WITHHELD_UNTIL = date(2090, 1, 1)
# Tuvalu: the withheld destination, which no other case names. Its name is no marker (the
# schema lists every country): the pages that would name it are checked one by one.
WITHHELD_COUNTRY = "TV"
SECRET_AGENCY = "Canary Posting Directorate"  # known only from the at-risk case
DRAFT_AGENCY = "Canary Drafted Bureau"  # known only from draft cases
CHANGED = datetime(2011, 11, 11, 11, 11, 11, 111111, tzinfo=UTC)  # when the at-risk case changed
MARKERS = {DRAFT: "draft case", REVIEW: "case in review", RETRACTED: "retracted case",
           RESTRICTED: "restricted notes of a published case",
           **{marker: f"at-risk person's {field}" for field, marker in AT_RISK.items()},
           **{marker: f"withheld {field}" for field, marker in WITHHELD.items()},
           "September 1899": "withheld date, as pages write it", ">1899<": "withheld year on a chart",
           '"year":1899': "withheld year in the stats",
           SECRET_AGENCY: "agency of the at-risk case only", DRAFT_AGENCY: "agency of drafts only",
           "2011-11-11": "change time of the at-risk case", "11 November 2011": "its change date"}
CONTROL = "CNRY-published-control-v0"  # in a published case: the crawl must see it
AT_RISK_NAME = "Guarded Canary"
WITHHELD_NAME = "Withholding Canary"

MAX_PAGES = 1500
FILLER = 30  # published cases beyond the seed, so that every list has more than one page


@pytest.fixture
def canary(seeded):
    agency = AgencyFactory()
    for n in range(FILLER):
        source = SourceFactory(title=f"Filler report {n}")
        case = CaseFactory(agency=agency, date=str(1990 + n), summary=f"Filler case {n}.")
        Citation.objects.create(case=case, source=source, locator=f"p. {n}")
    shared = SourceFactory(title="A source cited by public and hidden cases")
    control = CaseFactory(summary=f"Control {CONTROL}", restricted_notes=f"staff {RESTRICTED}",
                          agency=agency, date="2021")
    Citation.objects.create(case=control, source=shared, locator="p. 1")

    draft_agency = AgencyFactory(name=DRAFT_AGENCY)
    for status, marker in [("draft", DRAFT), ("review", REVIEW), ("retracted", RETRACTED)]:
        # A retracted case's tombstone names its person (issue 12): that name is no marker.
        name = "Hidden retracted person" if status == "retracted" else f"Hidden {marker}"
        person = PersonFactory(name=name, native_name=marker, bio=marker)
        PersonAlias.objects.create(person=person, name=f"alias {marker}")
        case = CaseFactory(status=status, person=person, agency=draft_agency, role=marker,
                           summary=f"summary {marker}", narrative=marker, place=marker,
                           restricted_notes=marker, date="1991", destination_country="DE")
        case.motives.add(MotiveFactory())
        response = Response.objects.create(case=case, kind="arrest", description=marker)
        Citation.objects.create(case=case, source=shared, quote=marker, locator=marker)
        Citation.objects.create(case=case, source=SourceFactory(title=f"only {marker}"))
        Citation.objects.create(response=response, source=SourceFactory(title=f"response {marker}"))
        Affiliation.objects.create(person=person, agency=case.agency, role=marker)

    m = AT_RISK
    guarded = PersonFactory(name=AT_RISK_NAME, at_risk=True, native_name=m["native_name"],
                            bio=m["bio"], wikidata_qid=m["wikidata"])
    PersonAlias.objects.create(person=guarded, name=m["alias"])
    secret_agency = AgencyFactory(name=SECRET_AGENCY, slug="canary-secret-agency")
    at_risk = CaseFactory(person=guarded, agency=secret_agency, role=m["role"], summary=m["summary"],
                          narrative=m["narrative"], place=m["place"], destination_country="FR",
                          restricted_notes=RESTRICTED, date="March 2023")
    at_risk.motives.add(MotiveFactory(slug="canary-motive"))
    response = Response.objects.create(case=at_risk, kind="wanted-list", description=m["response"])
    Citation.objects.create(case=at_risk, source=SourceFactory(title=m["source"]),
                            quote=m["citation"], locator=m["citation"])
    Citation.objects.create(response=response, source=shared, quote=m["citation"])
    affiliation = Affiliation.objects.create(person=guarded, agency=secret_agency, role=m["affiliation"])
    Citation.objects.create(affiliation=affiliation, source=SourceFactory(title=m["affiliation"]))
    Case.objects.filter(pk=at_risk.pk).update(updated_at=CHANGED)
    guarded.__class__.objects.filter(pk=guarded.pk).update(updated_at=CHANGED)

    w = WITHHELD
    kept = PersonFactory(name=WITHHELD_NAME, native_name=w["native_name"], bio=w["bio"])
    withheld = CaseFactory(person=kept, agency=agency, role=w["role"], place=w["place"],
                           narrative=f"Its {w['narrative']} stays.", destination_country=WITHHELD_COUNTRY,
                           date="9 September 1899", summary="A case with withheld fields.")
    for field in ["role", "place", "narrative", "destination_country", "date"]:
        Withholding.objects.create(case=withheld, field=field, reason=f"reason {RESTRICTED}",
                                   until=WITHHELD_UNTIL)
    for field in ["native_name", "bio"]:
        Withholding.objects.create(person=kept, field=field, reason=f"reason {RESTRICTED}",
                                   until=WITHHELD_UNTIL)
    return {"control": control, "at_risk": at_risk, "secret_agency": secret_agency, "withheld": withheld}


def body_of(response) -> str:
    """Headers (Link, Content-Disposition, …) and body: a marker may leak through either."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return headers + "\n" + body.decode("utf-8", "replace")


def leaks(text: str) -> list[str]:
    return [f"{marker} ({kind})" for marker, kind in MARKERS.items() if marker in text]


def check(url, response, seen, allowed=(200,)):
    assert response.status_code in allowed, (url, response.status_code)
    text = body_of(response)
    found = leaks(text)
    assert not found, f"{url} shows {found}"
    seen[url] = text
    return text


# --- the HTML crawl ---------------------------------------------------------------------------

PAGING = {"page", "page_size", "ordering", "format"}


def canonical(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
                         if parts.query else "")


def dimensions(url: str) -> int:
    """How many filters a URL combines (a year range counts as one)."""
    keys = {key for key, _ in parse_qsl(urlsplit(url).query)} - PAGING
    return len({"year_min" if key == "year_max" else key for key in keys})


def links(url: str, html: str) -> set[str]:
    found = set()
    for href in re.findall(r'href="([^"]*)"', html):
        target = urljoin("http://testserver" + url, href.replace("&amp;", "&"))
        parts = urlsplit(target)
        if parts.netloc != "testserver" or parts.path.startswith(("/admin/", "/static/")):
            continue
        found.add(canonical(parts.path + ("?" + parts.query if parts.query else "")))
    return found


def crawl_pages(client) -> tuple[dict[str, str], int]:
    """Breadth first from /, single filters and pages before combinations of filters.

    Every link with at most one filter is visited (lists, every page, every facet of
    /cases/, every detail); combinations fill what is left of MAX_PAGES.
    """
    seen: dict[str, str] = {}
    first, rest = deque(["/"]), deque()
    queued = {"/"}
    while (first or rest) and len(seen) < MAX_PAGES:
        url = first.popleft() if first else rest.popleft()
        text = check(url, client.get(url), seen)
        if urlsplit(url).path.startswith("/api/"):
            continue  # API answers are checked, their links walked by the API crawl
        for link in links(url, text) - queued:
            queued.add(link)
            (first if dimensions(link) <= 1 else rest).append(link)
    assert not first, f"the bound of {MAX_PAGES} pages left single-filter pages unvisited: {list(first)[:5]}"
    return seen, len(rest)


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


# --- the API crawl ----------------------------------------------------------------------------


def api_lists(api, url, seen) -> list[dict]:
    """Every page of a JSON list (following `next`), checked; the records."""
    records = []
    while url:
        data = api.get(url)
        check(url, data, seen)
        records += data.json()["results"]
        url = data.json()["next"]
    return records


def csv_pages(api, url, seen) -> int:
    """Every page of a CSV list (following the Link header); the number of pages."""
    pages = 0
    while url:
        response = api.get(url)
        check(url, response, seen)
        pages += 1
        match = re.search(r"<([^>]+)>; rel=\"next\"", response.get("Link", ""))
        url = match.group(1) if match else None
    return pages


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
