"""The leak canary's data and its crawlers, shared by tests/test_leak_canary.py (English)
and tests/test_leak_canary_russian.py: every kind of private data carries its own marker, in
the English columns and in the Russian ones of hidden records.
"""

import re
from collections import deque
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from defections.models import Affiliation, Case, Citation, PersonAlias, Response, Withholding
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory

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
# The same in the Russian columns (defections/languages.py): one marker per kind of record.
HIDDEN_RU = {"draft": "CNRY-ru-draft-j8k2", "review": "CNRY-ru-review-l3m4",
             "retracted": "CNRY-ru-retracted-n5p6"}
AT_RISK_RU = {"bio": "CNRY-ru-atrisk-bio-q7r8", "summary": "CNRY-ru-atrisk-summary-s9t0",
              "narrative": "CNRY-ru-atrisk-narrative-u1v2", "response": "CNRY-ru-atrisk-response-w3x4"}
WITHHELD_RU = {"narrative": "CNRYwithheldrunarrativey5z6", "bio": "CNRY-ru-withheld-bio-a7b8"}
SECRET_AGENCY_RU = "Канареечное управление командировок"
DRAFT_AGENCY_RU = "Канареечное бюро черновиков"
CONTROL_RU = "CNRY-ru-published-control-v1"  # in a published case's Russian summary
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
           "2011-11-11": "change time of the at-risk case", "11 November 2011": "its change date",
           **{marker: f"{status} case, in Russian" for status, marker in HIDDEN_RU.items()},
           **{marker: f"at-risk person's {field}, in Russian" for field, marker in AT_RISK_RU.items()},
           **{marker: f"withheld {field}, in Russian" for field, marker in WITHHELD_RU.items()},
           SECRET_AGENCY_RU: "agency of the at-risk case only, in Russian",
           DRAFT_AGENCY_RU: "agency of drafts only, in Russian"}
CONTROL = "CNRY-published-control-v0"  # in a published case: the crawl must see it
AT_RISK_NAME = "Guarded Canary"
WITHHELD_NAME = "Withholding Canary"

MAX_PAGES = 1500
SINGLE_FILTER_PAGES = 4000  # a bound that only a runaway crawl reaches
MIN_COMBINATIONS = 200  # combinations of filters visited however many single ones there are
RECORD = re.compile(r"^/api/v1/[a-z-]+/\d+/$")
FILLER = 30  # published cases beyond the seed, so that every list has more than one page


def make_canary() -> dict:
    """The hidden records, each with its markers, beside the seed (the `canary` fixture of
    each test module: `seeded` first)."""
    agency = AgencyFactory()
    for n in range(FILLER):
        source = SourceFactory(title=f"Filler report {n}")
        case = CaseFactory(agency=agency, date=str(1990 + n), summary=f"Filler case {n}.")
        Citation.objects.create(case=case, source=source, locator=f"p. {n}")
    shared = SourceFactory(title="A source cited by public and hidden cases")
    control = CaseFactory(summary=f"Control {CONTROL}", restricted_notes=f"staff {RESTRICTED}",
                          summary_ru=f"Контроль {CONTROL_RU}", agency=agency, date="2021")
    Citation.objects.create(case=control, source=shared, locator="p. 1")

    draft_agency = AgencyFactory(name=DRAFT_AGENCY, name_ru=DRAFT_AGENCY_RU)
    for status, marker in [("draft", DRAFT), ("review", REVIEW), ("retracted", RETRACTED)]:
        # A retracted case's tombstone names its person (issue 12): that name is no marker.
        name = "Hidden retracted person" if status == "retracted" else f"Hidden {marker}"
        ru = HIDDEN_RU[status]
        person = PersonFactory(name=name, native_name=marker, bio=marker, bio_ru=ru)
        PersonAlias.objects.create(person=person, name=f"alias {marker}")
        case = CaseFactory(status=status, person=person, agency=draft_agency, role=marker,
                           summary=f"summary {marker}", narrative=marker, place=marker,
                           summary_ru=f"сводка {ru}", narrative_ru=f"рассказ {ru}",
                           restricted_notes=marker, date="1991", destination_country="DE")
        case.motives.add(MotiveFactory())
        response = Response.objects.create(case=case, kind="arrest", description=marker,
                                           description_ru=ru)
        Citation.objects.create(case=case, source=shared, quote=marker, locator=marker)
        Citation.objects.create(case=case, source=SourceFactory(title=f"only {marker}"))
        Citation.objects.create(response=response, source=SourceFactory(title=f"response {marker}"))
        Affiliation.objects.create(person=person, agency=case.agency, role=marker)

    m = AT_RISK
    guarded = PersonFactory(name=AT_RISK_NAME, at_risk=True, native_name=m["native_name"],
                            bio=m["bio"], wikidata_qid=m["wikidata"], bio_ru=AT_RISK_RU["bio"])
    PersonAlias.objects.create(person=guarded, name=m["alias"])
    secret_agency = AgencyFactory(name=SECRET_AGENCY, slug="canary-secret-agency",
                                  name_ru=SECRET_AGENCY_RU)
    at_risk = CaseFactory(person=guarded, agency=secret_agency, role=m["role"], summary=m["summary"],
                          narrative=m["narrative"], place=m["place"], destination_country="FR",
                          restricted_notes=RESTRICTED, date="March 2023",
                          summary_ru=AT_RISK_RU["summary"], narrative_ru=AT_RISK_RU["narrative"])
    at_risk.motives.add(MotiveFactory(slug="canary-motive"))
    response = Response.objects.create(case=at_risk, kind="wanted-list", description=m["response"],
                                       description_ru=AT_RISK_RU["response"])
    Citation.objects.create(case=at_risk, source=SourceFactory(title=m["source"]),
                            quote=m["citation"], locator=m["citation"])
    Citation.objects.create(response=response, source=shared, quote=m["citation"])
    affiliation = Affiliation.objects.create(person=guarded, agency=secret_agency, role=m["affiliation"])
    Citation.objects.create(affiliation=affiliation, source=SourceFactory(title=m["affiliation"]))
    Case.objects.filter(pk=at_risk.pk).update(updated_at=CHANGED)
    guarded.__class__.objects.filter(pk=guarded.pk).update(updated_at=CHANGED)

    w = WITHHELD
    kept = PersonFactory(name=WITHHELD_NAME, native_name=w["native_name"], bio=w["bio"],
                         bio_ru=WITHHELD_RU["bio"])
    withheld = CaseFactory(person=kept, agency=agency, role=w["role"], place=w["place"],
                           narrative=f"Its {w['narrative']} stays.", destination_country=WITHHELD_COUNTRY,
                           narrative_ru=f"Его {WITHHELD_RU['narrative']} остаётся.",
                           date="9 September 1899", summary="A case with withheld fields.")
    for field in ["role", "place", "narrative", "destination_country", "date"]:
        Withholding.objects.create(case=withheld, field=field, reason=f"reason {RESTRICTED}",
                                   reason_ru=f"причина {RESTRICTED}", until=WITHHELD_UNTIL)
    for field in ["native_name", "bio"]:
        Withholding.objects.create(person=kept, field=field, reason=f"reason {RESTRICTED}",
                                   reason_ru=f"причина {RESTRICTED}", until=WITHHELD_UNTIL)
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


def links(url: str, html: str, russian: bool = False) -> set[str]:
    """The site's links on a page in one language (the other's, by the switch, are left out:
    each language is crawled on its own)."""
    found = set()
    for href in re.findall(r'href="([^"]*)"', html):
        target = urljoin("http://testserver" + url, href.replace("&amp;", "&"))
        parts = urlsplit(target)
        if parts.netloc != "testserver" or parts.path.startswith(("/admin/", "/ru/admin/", "/static/")):
            continue
        if parts.path.startswith("/ru/") != russian and not parts.path.startswith("/api/"):
            continue
        if RECORD.match(parts.path) and not parts.query:
            continue  # a record's JSON (linked from its page): the API crawl reads every one
        found.add(canonical(parts.path + ("?" + parts.query if parts.query else "")))
    return found


def crawl_pages(client, start: str = "/") -> tuple[dict[str, str], int]:
    """Breadth first from start (/ or /ru/, in that language), single filters and pages before
    combinations of filters.

    Every link with at most one filter is visited (lists, every page, every facet of
    /cases/, every chip's address, every detail), however many there are up to
    SINGLE_FILTER_PAGES; combinations fill what is left of MAX_PAGES.
    """
    seen: dict[str, str] = {}
    first, rest = deque([start]), deque()
    queued = {start}
    combined = 0
    while (first and len(seen) < SINGLE_FILTER_PAGES) or (
            rest and (len(seen) < MAX_PAGES or combined < MIN_COMBINATIONS)):
        url = first.popleft() if first else rest.popleft()
        combined += dimensions(url) > 1
        text = check(url, client.get(url), seen)
        if urlsplit(url).path.startswith("/api/"):
            continue  # API answers are checked, their links walked by the API crawl
        for link in links(url, text, russian=start == "/ru/") - queued:
            queued.add(link)
            (first if dimensions(link) <= 1 else rest).append(link)
    assert not first, f"{SINGLE_FILTER_PAGES} pages left single-filter pages unvisited: {list(first)[:5]}"
    return seen, len(rest)


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
