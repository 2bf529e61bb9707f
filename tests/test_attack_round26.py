"""Attack round 26: the speed work of issue 17 ("Fast at every size") probed for leaks, wrong
answers and 500s: the page ids merged from an index (defections/paging.py,
visibility.shown_start_parts), the CSV written by PostgreSQL (defections/csv_lines.py), the
cheaper facet counts (defections/facets.py) and the shared early page cache
(defections/middleware.py, defections/cache.py). A test marked xfail(strict) is a finding
(FINDING: ...); every other test is a guard that held."""

import csv
import io
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from defections import withholding
from defections.csv_safe import cell
from defections.filtersets import CaseFilterSet
from defections.models import Case, Response, Withholding
from tests.canary import body_of, leaks, make_canary
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory
from tests.test_api_fixtures import EDITOR, RESEARCHER, client_for, user_with

pytest_plugins = ["tests.test_api_fixtures"]

READERS = ["anonymous", "researcher", "editor"]


@pytest.fixture
def readers(api, db):
    return {"anonymous": api, "researcher": client_for(user_with("r26-researcher", *RESEARCHER)),
            "editor": client_for(user_with("r26-editor", *EDITOR))}


@pytest.fixture
def exceptional(db):
    """Ordinary cases around 2023 and every exceptional kind: an at-risk person's case dated
    March 2023 (shown as 1 January 2023), a date withheld until tomorrow, a date whose
    withholding lapsed today (no write since), an undated case, drafts, an at-risk case
    whose date is also withheld, and ties on one day."""
    today = withholding.today()
    agency = AgencyFactory(name="Round26 Agency")
    made = {}
    for n, date in enumerate(["15 February 2023", "10 January 2023", "June 2023", "2022", "2024",
                              "1 January 2023", "1 January 2023", "March 2023", "1980", "2023"]):
        made[f"plain{n}"] = CaseFactory(agency=agency, date=date, summary=f"Round26 plain {n}")
    made["at_risk"] = CaseFactory(date="20 March 2023", summary="Round26 guarded",
                                  person=PersonFactory(name="R26 Guarded", at_risk=True))
    made["at_risk_late"] = CaseFactory(date="30 December 2023", summary="Round26 guarded late",
                                       person=PersonFactory(name="R26 Guarded Two", at_risk=True))
    made["withheld"] = CaseFactory(date="9 September 1899", summary="Round26 withheld date")
    made["lapsed"] = CaseFactory(date="5 May 2023", summary="Round26 lapsed today")
    made["undated"] = CaseFactory(summary="Round26 undated")
    made["draft"] = CaseFactory(status="draft", date="2 January 2023", summary="Round26 draft")
    made["both"] = CaseFactory(date="7 July 2023", summary="Round26 guarded and withheld",
                               person=PersonFactory(name="R26 Guarded Three", at_risk=True))
    Withholding.objects.create(case=made["withheld"], field="date", reason="r",
                               until=today + timedelta(days=1))
    Withholding.objects.create(case=made["lapsed"], field="date", reason="r", until=today)
    Withholding.objects.create(case=made["both"], field="date", reason="r", until=today + timedelta(days=30))
    Case.objects.filter(pk=made["undated"].pk).update(date_start=None, date_end=None, date_precision="")
    return made


def api_ids(client, url):
    ids = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        ids += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    return ids


def plain_ids(user, ordering):
    """The order the door gives with a plain ORDER BY (no merge): what every page must follow."""
    from django.http import QueryDict

    query = QueryDict(f"ordering={ordering}" if ordering else "")
    queryset = CaseFilterSet(query, queryset=Case.objects.visible_to(user)).qs
    return list(queryset.values_list("pk", flat=True))


def user_of(name):
    from django.contrib.auth.models import User

    return None if name == "anonymous" else User.objects.get(username=f"r26-{name}")


# --- the order of the merged page ids ----------------------------------------------------------


def test_every_page_follows_the_plain_order_of_what_is_shown(readers, exceptional):
    """Guard: for every reader, ordering and page size, the ids of every page (JSON, following
    `next`) equal the plain ORDER BY of the door, wherever the page boundaries fall across
    the merged parts (ordinary, at-risk, withheld-date)."""
    for reader, client in readers.items():
        for ordering in ("", "date", "-date", "name", "-updated"):
            expected = plain_ids(user_of(reader), ordering)
            for size in (1, 3, 7, 100):
                url = f"/api/v1/cases/?page_size={size}" + (f"&ordering={ordering}" if ordering else "")
                assert api_ids(client, url) == expected, (reader, ordering, size)


def test_an_at_risk_case_sorts_by_its_shown_year_not_its_real_date(api, exceptional):
    """Guard: the at-risk case dated 20 March 2023 is shown as 2023 and sorts as 1 January
    2023 (before the 10 January and 15 February cases); the lapsed withholding sorts by its
    own date; the withheld dates sort with the undated, after every dated case (before them
    all when descending); no draft."""
    e = exceptional
    for ordering in ("", "date", "-date"):
        ids = api_ids(api, "/api/v1/cases/?page_size=2" + (f"&ordering={ordering}" if ordering else ""))
        if ordering == "-date":
            ids.reverse()
        pos = {name: ids.index(case.pk) for name, case in e.items() if case.pk in ids}
        assert "draft" not in pos
        assert pos["at_risk"] < pos["plain1"] < pos["plain0"]  # 1 Jan < 10 Jan < 15 Feb
        assert pos["at_risk_late"] < pos["plain1"]
        assert pos["plain2"] > pos["lapsed"] > pos["plain7"]  # 5 May: between March and June
        assert {pos["withheld"], pos["both"], pos["undated"]} == set(range(len(ids) - 3, len(ids)))


def test_the_web_list_pages_follow_the_plain_order(client, exceptional):
    """Guard: the web list's pages, page by page, in the plain order (English and Russian)."""
    for prefix in ("", "/ru"):
        for ordering in ("", "-date"):
            pks, page = [], 1
            while True:
                sort = f"&ordering={ordering}" if ordering else ""
                response = client.get(f"{prefix}/cases/?page={page}{sort}")
                assert response.status_code == 200
                pks += [case.pk for case in response.context["page"].object_list]
                if not response.context["page"].has_next():
                    break
                page += 1
            assert pks == plain_ids(None, ordering), (prefix, ordering)


# --- the CSV lines written by PostgreSQL ---------------------------------------------------------


def read(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode(), newline="")))


def csv_and_json(client, query):
    rows = client.get(f"/api/v1/cases/?{query}&format=json").json()["results"]
    table = read(client.get(f"/api/v1/cases/?{query}&format=csv"))
    return rows, table[0], table[1:]


def same_cells(rows, header, lines, columns=("date", "summary", "date_start", "role", "place")):
    """[(column, id, csv cell, json value)] where the CSV's cell is not the JSON's value."""
    wrong = []
    for column in columns:
        if column not in header:
            continue
        for line, row in zip(lines, rows, strict=True):
            value = row.get(column)
            if isinstance(value, dict):  # ?lang=all: {"en": …, "ru": …}
                continue
            if line[header.index(column)] != cell(value or ""):
                wrong.append((column, row["id"], line[header.index(column)], value))
    return wrong


def test_csv_rows_are_the_json_rows_in_the_same_order(readers, exceptional):
    """Guard: the CSV lists the JSON list's cases, same order, same count, for every reader,
    ordering, and language but Russian (next test); its dates and texts are the JSON's."""
    for reader, client in readers.items():
        for lang in ("", "en", "all"):
            for ordering in ("", "-date", "name", "updated"):
                query = "page_size=100" + (f"&lang={lang}" if lang else "") + (
                    f"&ordering={ordering}" if ordering else "")
                rows, header, lines = csv_and_json(client, query)
                assert [int(line[header.index("id")]) for line in lines] == [row["id"] for row in rows]
                assert same_cells(rows, header, lines) == [], (reader, lang, ordering)


def test_each_csv_page_is_the_json_page_of_the_same_number(readers, exceptional):
    """Guard: a CSV page (page and page_size) lists the ids of the JSON page of the same
    number, for pages that cut across the merged parts (first, middle, last)."""
    for reader in ("anonymous", "editor"):
        client = readers[reader]
        for ordering in ("", "-date"):
            for size in (2, 5):
                page = 1
                while True:
                    query = f"page={page}&page_size={size}" + (f"&ordering={ordering}" if ordering else "")
                    data = client.get(f"/api/v1/cases/?{query}&format=json").json()
                    table = read(client.get(f"/api/v1/cases/?{query}&format=csv"))
                    ids = [int(line[table[0].index("id")]) for line in table[1:]]
                    assert ids == [row["id"] for row in data["results"]], (reader, ordering, size, page)
                    if not data["next"]:
                        break
                    page += 1


# Was a finding (round 26): the ?lang=ru CSV's dates were English or Russian depending on the
# language in force when its streamed body was made. Fixed in a1782d7 by rule: a CSV is
# written in the site's default language whatever the language asked (as its columns are).
def test_a_csv_is_written_in_the_default_language_whatever_the_language_asked(readers, exceptional):
    """Guard: the CSV asked in Russian (?lang=ru, Accept-Language: ru) is the default one."""
    for reader in ("anonymous", "editor"):
        client = readers[reader]
        plain = read(client.get("/api/v1/cases/?page_size=100&format=csv"))
        assert any("January 2023" in x for line in plain[1:] for x in line)
        assert read(client.get("/api/v1/cases/?page_size=100&format=csv&lang=ru")) == plain, reader
        assert read(client.get("/api/v1/cases/?page_size=100&format=csv", HTTP_ACCEPT_LANGUAGE="ru")) == plain


FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2-2", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''+1",
            "'plain", "a,b", 'say "hi"', "line\nbreak", "cr\rin", "ünïcödé, 漢字", " =lead space",
            "'", "="]


def test_csv_cells_are_made_safe_as_csv_safe_makes_them(readers, db):
    """Guard: every summary/role/place that a spreadsheet would run (= + - @ tab CR, after
    quotes) starts with ' in the CSV, exactly as csv_safe.cell() writes it; commas, quotes
    and line breaks are quoted so that a CSV reader gives the cell back; for every reader."""
    made = {CaseFactory(summary=text, role=text, place=text, date="2001").pk: text for text in FORMULAS}
    for reader, client in readers.items():
        table = read(client.get("/api/v1/cases/?format=csv&page_size=100"))
        header = table[0]
        got = {int(line[header.index("id")]): line for line in table[1:]}
        for pk, text in made.items():
            for column in ("summary", "role", "place"):
                assert got[pk][header.index(column)] == cell(text), (reader, column, text)


def test_the_csv_header_names_no_staff_only_column_for_the_public(api, exceptional):
    header = read(api.get("/api/v1/cases/?format=csv"))[0]
    assert not {"restricted_notes", "retraction_note", "retraction_note_ru", "signed_off_by"} & set(header)


def test_the_canary_csv_and_json_show_no_marker(api, seeded):
    """Guard: the canary's markers through the PostgreSQL CSV and the merged order, every
    ordering and language."""
    make_canary()
    for lang in ("", "en", "ru", "all"):
        for ordering in ("", "date", "-date", "name", "-updated"):
            for fmt in ("csv", "json"):
                url = f"/api/v1/cases/?format={fmt}&page_size=1000" + (f"&lang={lang}" if lang else "") + (
                    f"&ordering={ordering}" if ordering else "")
                response = api.get(url)
                assert response.status_code == 200, url
                assert leaks(body_of(response)) == [], url


# --- an at-risk person's case whose date is also withheld -----------------------------------------


# Was a finding (round 26, fixed in a1782d7): the year of a withheld date showed on an at-risk
# person's case (JSON, CSV, case page) while its order and the stats treated it as undated.
def test_the_year_of_a_withheld_date_is_not_shown_on_an_at_risk_case(api, exceptional):
    """The "both" case: its person is at risk (the public sees its start year) and its date is
    withheld until next month (the public sees no date). The order and the stats treat it as
    undated (visibility.cases: the withholding wins), so the year must not show either."""
    both = exceptional["both"]
    row = next(r for r in api.get("/api/v1/cases/?page_size=100").json()["results"] if r["id"] == both.pk)
    detail = api.get(f"/api/v1/cases/{both.pk}/").json()
    table = read(api.get("/api/v1/cases/?format=csv&page_size=100"))
    line = next(x for x in table[1:] if int(x[table[0].index("id")]) == both.pk)
    page = api.get(both.get_absolute_url()).content.decode()
    assert "2023" not in str(row.get("date")) and "2023" not in str(detail.get("date"))
    assert "2023" not in line[table[0].index("date")]
    assert "R26 Guarded Three" in page and "2023" not in page.split("R26 Guarded Three", 1)[1]


# --- facet counts and stats, exactly the lists they stand for ------------------------------------


def rich(db_ready=None):
    """Cases that exercise the to-many facets (motives counted in the link table, responses
    as distinct cases): two responses of a kind on one case, a draft's and an at-risk case's
    motive and response, a withheld destination country and date."""
    motive, lone = MotiveFactory(slug="r26-motive"), MotiveFactory(slug="r26-lone")
    agency = AgencyFactory(name="R26 counted")
    cases = []
    for n in range(6):
        case = CaseFactory(agency=agency, date=str(2000 + n), destination_country="DE" if n % 2 else "FR")
        case.motives.add(motive)
        cases.append(case)
    Response.objects.create(case=cases[0], kind="arrest")
    Response.objects.create(case=cases[0], kind="arrest")
    Response.objects.create(case=cases[1], kind="arrest")
    Response.objects.create(case=cases[1], kind="wanted-list")
    for status_or_risk in ("draft", "at_risk"):
        case = (CaseFactory(status="draft", agency=agency, date="2003") if status_or_risk == "draft" else
                CaseFactory(agency=agency, date="2003", person=PersonFactory(at_risk=True)))
        case.motives.add(lone)
        Response.objects.create(case=case, kind="psychiatric")
        Response.objects.create(case=case, kind="arrest")
    hidden = CaseFactory(agency=agency, date="2004", destination_country="TV")
    hidden.motives.add(lone)
    for field in ("destination_country", "date"):
        Withholding.objects.create(case=hidden, field=field, reason="r",
                                   until=withholding.today() + timedelta(days=3))
    lapsed = CaseFactory(agency=agency, date="2005", destination_country="TV")
    Withholding.objects.create(case=lapsed, field="destination_country", reason="r",
                               until=withholding.today())
    return cases


BASES = ["", "year_min=2001", "q=R26", "form=geographic", "motive=r26-motive", "response=arrest",
         "destination_country=TV", "year_min=1990&year_max=2010"]


def test_every_facet_count_is_the_count_of_the_list_it_links_to(client, seeded):
    """Guard: each option's count equals the list that choosing it gives (anonymous), over
    drafts, an at-risk case, withheld fields and a withholding that lapsed today."""
    rich()
    for base in BASES:
        response = client.get(f"/cases/?{base}")
        assert response.status_code == 200 and response.context["facets"]
        for dimension, options in response.context["facets"].items():
            others = "&".join(p for p in base.split("&") if p and not p.startswith(f"{dimension}="))
            for option in options:
                chosen = client.get(f"/cases/?{others}&{dimension}={option['value']}")
                assert chosen.status_code == 200
                assert chosen.context["page"].paginator.count == option["count"], (base, dimension, option)


def test_the_to_many_facets_count_neither_hidden_cases_nor_hidden_responses(client, seeded):
    """Guard: the draft's and the at-risk case's motive and psychiatric response are no
    option; two arrests on one case count it once."""
    rich()
    facets = client.get("/cases/").context["facets"]
    motives = {o["value"]: o["count"] for o in facets["motive"]}
    responses = {o["value"]: o["count"] for o in facets["response"]}
    assert motives.get("r26-motive") == 6
    assert motives.get("r26-lone", 0) == 1  # only the case with withheld fields
    assert responses.get("psychiatric", 0) == Case.objects.public().filter(
        responses__kind="psychiatric", person__at_risk=False).distinct().count()
    assert responses["arrest"] == Case.objects.public().filter(
        responses__kind="arrest", person__at_risk=False).distinct().count()


def test_the_stats_count_what_the_list_lists(api, seeded):
    """Guard: /api/v1/stats/ counts the list's cases (the total, and each year's bar as the
    year filter lists it), with and without filters and search."""
    agency = rich()[0].agency.slug
    for query in ("", "year_min=2001", "q=R26", f"agency={agency}", "form=geographic",
                  "destination_country=TV", "motive=r26-lone"):
        answer = api.get(f"/api/v1/stats/?{query}")
        assert answer.status_code == 200, (query, answer.content[:300])
        stats = answer.json()
        assert stats["count"] == api.get(f"/api/v1/cases/?{query}&page_size=1").json()["count"], query
        for row in stats["by_year_and_form"]:
            year = row["year"]
            n = api.get(f"/api/v1/cases/?{query}&year_min={year}&year_max={year}&page_size=1").json()["count"]
            assert row["total"] == n, (query, year)


# --- bad input on the changed paths -------------------------------------------------------------


ODD = ["page=99999999999999999999999", "page=0", "page=-1", "page=1e3", "page=%00", "page_size=0",
       "page_size=-5", "page_size=999999999999", "page_size=%00", "ordering=%00", "ordering=date,date",
       "ordering=-date,-name,updated", "ordering=shown_start", "ordering=pk", "ordering=-",
       "ordering=" + "x" * 5000, "q=%00", "q=%E2%80%AE%F0%9F%92%A5", "q=" + "%D0%AF" * 300, "q=%ff%fe",
       "year_min=%00", "year_min=99999999999", "year_min=-99999999", "agency=%00", "motive=%00",
       "destination_country=%00", "form=%00", "page=2&page_size=1&ordering=-date", "lang=%00", "lang=xx",
       "page_size=0&format=csv", "page=9999999&format=csv", "offset=-1&limit=-1", "page=1&page=2"]
PATHS = ["/api/v1/cases/", "/api/v1/cases/?format=csv", "/api/v1/stats/", "/cases/", "/ru/cases/"]


def test_odd_input_on_the_changed_paths_is_never_a_500(api, exceptional):
    """Guard: odd page numbers, sizes, orderings, NUL and unicode in q and filters, on the
    JSON and CSV lists, the stats and the web lists: 200, 400 or 404, never a 500 (a
    streamed CSV is read to its end: it would fail there)."""
    wrong = []
    for path in PATHS:
        for query in ODD:
            url = path + ("&" if "?" in path else "?") + query
            try:
                response = api.get(url)
                body_of(response)
                if response.status_code not in (200, 400, 404):
                    wrong.append((url[:80], response.status_code))
            except Exception as error:  # noqa: BLE001 -- a crash is what is looked for
                wrong.append((url[:80], repr(error)[:200]))
    assert wrong == []


def test_a_bad_api_value_is_a_400_naming_its_field(api, exceptional):
    for query in ("ordering=%00", "year_min=%00", "year_min=abc", "page_size=abc"):
        response = api.get(f"/api/v1/cases/?{query}")
        if response.status_code == 200:  # ignored (as DRF ignores an unknown ordering) is fine too
            continue
        assert response.status_code == 400
        assert query.split("=")[0] in response.content.decode()


# --- the early page cache ------------------------------------------------------------------------


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_an_early_cached_page_never_outlives_a_withholding_or_an_at_risk_flag(live_server, version_row,
                                                                               settings):
    """Guard: an anonymous page kept by the early cache (the case page, the list, its Russian
    twin) is not served again once a field is withheld or the person is put at risk; a page
    fetched with a staff session or a token is never the anonymous one's."""
    settings.EARLY_CACHE_MARK = True
    case = CaseFactory(place="R26-early-place", role="R26-early-role", date="2 February 2002",
                       person=PersonFactory(name="R26 Early Person"))
    pages = [case.get_absolute_url(), "/cases/", "/ru" + case.get_absolute_url(), "/cases/?q=R26"]
    for page in pages:
        fetch(live_server.url + page)
        status, headers, body = fetch(live_server.url + page)
        assert status == 200 and headers.get("X-Early-Cache") == "hit", page
    Withholding.objects.create(case=case, field="place", reason="r",
                               until=withholding.today() + timedelta(days=9))
    status, _, body = fetch(live_server.url + case.get_absolute_url())
    assert status == 200 and "R26-early-place" not in body and "R26-early-role" in body
    Person = type(case.person)
    Person.objects.filter(pk=case.person_id).update(at_risk=True)
    for page in pages:
        status, _, body = fetch(live_server.url + page)
        assert "R26-early-role" not in body and "2 February 2002" not in body, page
    # a token's request and a cookie's go the normal way, never to the early answer
    token_status, token_headers, _ = fetch(live_server.url + "/cases/", {"Authorization": "Token nonsense"})
    assert token_headers.get("X-Early-Cache") != "hit"
    _, cookie_headers, _ = fetch(live_server.url + "/cases/", {"Cookie": "sessionid=forged"})
    assert cookie_headers.get("X-Early-Cache") != "hit"
