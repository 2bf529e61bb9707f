"""Attack round 28: the case list's JSON written by PostgreSQL (defections/json_lines.py), spliced
into the page by api/renderers.JSONRenderer, and the public case door memoised per thread per day
(visibility.public_cases, CaseManager.visible_to).

Attacked as an anonymous reader, a staff reader and a sender of odd input: what the list shows
(never anything hidden), whether it is the case's own page (the instances path) for every case,
reader and language, whether it is valid JSON for every text, and whether one request's door
leaks into another's. A test that fails is a finding; every other test is a guard that held."""

import json
import threading
from datetime import timedelta
from urllib.parse import unquote, urlencode

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from defections import visibility, withholding
from defections.api.views import CaseViewSet
from defections.models import Account, Agency, Case, Citation, Motive, Person, Response, Withholding
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import EDITOR, RESEARCHER, client_for, read_csv, user_with

pytest_plugins = ["tests.test_api_fixtures"]

MARK = "R28LEAK"
CANARY = "LEAKCANARY"  # the secrets fixture's marker
# Whole dates that are withheld (or an at-risk person's exact day): never in a public answer.
SECRET_DATES = ["1937-07-13", "13 July 1937", "13 июля 1937", "1983-05-05", "5 May 1983", "5 мая 1983",
                "1988-09-09", "9 September 1988", "9 сентября 1988"]
ODD = ("q\"uote \\back\\slash \x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13"
       "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f \u2028 \u2029 😀 Кириллица %s %(x)s %% ' -- "
       "/* */ ; DROP TABLE x; \x7f \u00a0 \ufeff </script> {\"a\":1} [] \\u0000 ")
ODD_RU = "Русский «текст» \u2028 \\ \" ' %s " + "\x1f"
LONG = ODD * 400  # ~60,000 characters
ORDERINGS = [None, "date", "-date", "name", "-name", "updated", "-updated"]
# (query, headers): every way of asking a language
LANGS = [("", {}), ("lang=en", {}), ("lang=ru", {}), ("lang=all", {}), ("", {"HTTP_ACCEPT_LANGUAGE": "ru"}),
         ("lang=all", {"HTTP_ACCEPT_LANGUAGE": "ru-RU,ru;q=0.9"}), ("lang=RU", {}),
         ("lang=en", {"HTTP_ACCEPT_LANGUAGE": "ru"})]


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(secrets):
    """The seed and the secrets fixture, plus: odd texts, every withholding (in force, lapsed on
    each side of today), an at-risk person with two full cases (one date withheld), a person with
    several cases whose native name is withheld, staff-only notes on published cases, a case with
    no agency or period, responses and accounts with and without citations."""
    w = dict(secrets)
    today = withholding.today()
    signer = User.objects.create_user(f"{MARK.lower()}-signer", password="a-long-test-password")
    agency = AgencyFactory(name=ODD[:150], acronym="ODD'%s", native_name=ODD_RU[:150], slug="r28-odd-agency")

    # a published case full of odd texts, with its relations
    odd_person = PersonFactory(name="Odd " + ODD[:150], native_name=ODD_RU)
    odd = CaseFactory(status="published", date="24 February 2022", agency=agency, role=ODD[:200],
                      role_ru=ODD_RU, place=ODD[:200], summary=ODD, summary_ru=ODD_RU, narrative=LONG,
                      narrative_ru=ODD_RU * 50, person=odd_person, destination_country="GB")
    odd.motives.add(*Motive.objects.all()[:3])
    cited = Response.objects.create(case=odd, kind="arrest", date="1 March 2022", description=ODD,
                                    description_ru=ODD_RU)
    Citation.objects.create(response=cited, source=SourceFactory(title=ODD[:200]), locator=ODD[:100],
                            quote=ODD[:1000])
    Response.objects.create(case=odd, kind="wanted-list", description="", description_ru=ODD_RU)  # uncited
    Response.objects.create(case=odd, kind="denunciation", description=ODD, description_ru="")
    account = Account.objects.create(case=odd, claim="date", statement=ODD[:2000], holder="official")
    Citation.objects.create(account=account, source=SourceFactory(), locator="p. 9", quote=ODD[:900])
    Account.objects.create(case=odd, claim="motive", statement="Uncited account", holder="family")
    Citation.objects.create(case=odd, source=SourceFactory(title="Case source " + ODD_RU[:50]),
                            quote=ODD[:999])
    w["odd"] = odd

    # staff-only texts on a published case
    noted = CaseFactory(status="published", date="1999", restricted_notes=f"{MARK}-restricted",
                        retraction_note=f"{MARK}-retraction", retraction_note_ru=f"{MARK}-retraction-ru",
                        summary="Noted case", summary_ru="")
    Case.objects.filter(pk__in=[noted.pk, odd.pk]).update(signed_off_by=signer)
    w["noted"] = noted

    # every field withheld, in force (no expiry, or tomorrow)
    guarded = CaseFactory(status="published", date="13 July 1937", role=f"{MARK}-wrole",
                          role_ru=f"{MARK}-wrole-ru", place=f"{MARK}-wplace", narrative=f"{MARK}-wnarr",
                          narrative_ru=f"{MARK}-wnarr-ru", country_from="KP", destination_country="NR",
                          summary="Guarded case", summary_ru="Охраняемое дело", agency=agency)
    for n, field in enumerate(["role", "place", "date", "country_from", "destination_country", "narrative"]):
        Withholding.objects.create(case=guarded, field=field, reason=f"{MARK}-reason {ODD[:50]}",
                                   reason_ru=f"{MARK}-reason-ru",
                                   until=None if n % 2 else today + timedelta(1))
    w["guarded"] = guarded

    # lapsed yesterday, lapsed today (until is the first day it is public again), in force tomorrow
    w["lapsed_yesterday"] = CaseFactory(status="published", date="2001", place="R28 public yesterday")
    w["lapsed_today"] = CaseFactory(status="published", date="2002", place="R28 public today")
    w["in_force_tomorrow"] = CaseFactory(status="published", date="2003", place=f"{MARK}-tomorrow")
    for key, until in [("lapsed_yesterday", today - timedelta(1)), ("lapsed_today", today),
                       ("in_force_tomorrow", today + timedelta(1))]:
        Withholding.objects.create(case=w[key], field="place", reason=f"{MARK}-reason-{key}", until=until)

    # a person with several cases, native name withheld
    several = PersonFactory(name="R28 Several", native_name=f"{MARK}Тайна")
    Withholding.objects.create(person=several, field="native_name", reason=f"{MARK}-person-reason")
    w["several"] = [CaseFactory(status="published", person=several, date=d, form=f)
                    for d, f in [("1990", "final"), ("1995", "geographic")]]
    CaseFactory(status="draft", person=several, summary=f"{MARK}-several-draft", date="1996")
    CaseFactory(status="review", person=several, summary=f"{MARK}-several-review", date="1997")

    # an at-risk person: two cases full of details, one with its date withheld
    risky_person = PersonFactory(name="R28 Guarded Person", at_risk=True, native_name=f"{MARK}-riskname",
                                 bio=f"{MARK}-riskbio")
    risk_agency = AgencyFactory(name=f"{MARK}-riskagency", slug="r28leak-riskagency", acronym="R28LEAKA")
    motive = MotiveFactory(slug="r28leak-motive", name=f"{MARK}-motive")
    risk_source = SourceFactory(title=f"{MARK}-risksource", url="https://example.org/r28leak")
    w["at_risk"] = []
    for when in ["5 May 1983", "9 September 1988"]:
        case = CaseFactory(status="published", person=risky_person, date=when, agency=risk_agency,
                           role=f"{MARK}-riskrole", role_ru=f"{MARK}-riskrole-ru", place=f"{MARK}-riskplace",
                           summary=f"{MARK}-risksum", summary_ru=f"{MARK}-risksum-ru", narrative=f"{MARK}-rn",
                           restricted_notes=f"{MARK}-riskrestricted", destination_country="NR",
                           visibility="public", sourced=False)
        Citation.objects.create(case=case, source=risk_source, quote=f"{MARK}-riskquote",
                                locator=f"{MARK}-loc")
        case.motives.add(motive)
        response = Response.objects.create(case=case, kind="arrest", date="1989",
                                           description=f"{MARK}-riskresponse")
        Citation.objects.create(response=response, source=risk_source, quote=f"{MARK}-riskquote2")
        Account.objects.create(case=case, claim="date", statement=f"{MARK}-riskaccount", holder="official")
        w["at_risk"].append(case)
    Withholding.objects.create(case=w["at_risk"][1], field="date", reason=f"{MARK}-riskreason")
    Withholding.objects.create(case=w["at_risk"][0], field="role", reason=f"{MARK}-riskreason2", until=today)
    Case.objects.filter(pk__in=[c.pk for c in w["at_risk"]]).update(signed_off_by=signer)

    # a case with no agency and no period (undated), and one with both
    w["bare"] = CaseFactory(status="published", summary="R28 bare", summary_ru="", role="",
                            role_ru="R28 роль")
    w["dated"] = CaseFactory(status="published", date="spring 1953", agency=Agency.objects.get(slug="kgb"))
    w["signer"] = signer
    cache.clear()
    return w


def public_ids() -> set[int]:
    return set(Case.objects.filter(status="published").values_list("pk", flat=True))


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def pages(client, url, headers=None):
    """(records, raw bodies) of every page of a list, following `next`."""
    headers, records, raws = headers or {}, [], []
    while url:
        answer = client.get(url, **headers)
        assert answer.status_code == 200, (url, answer.status_code, answer.content[:500])
        raws.append(answer.content)
        page = json.loads(answer.content)
        records += page["results"]
        url = page["next"]
    return records, raws


def url_of(path, **params):
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(params, doseq=True) if params else "")


def assert_no_secret(raw: bytes, where):
    text = raw.decode()
    lowered = text.lower()
    assert MARK.lower() not in lowered, (where, text[max(0, lowered.find(MARK.lower()) - 200):][:400])
    assert CANARY not in text, (where, text[max(0, text.find(CANARY) - 200):][:400])
    for secret in SECRET_DATES:
        assert secret not in text, (where, secret)
    for hidden in ["restricted_notes", "retraction_note", "signed_off_by", '"reason"', "reason_ru",
                   '"until"']:
        assert hidden not in text, (where, hidden)


def listing(query=""):
    return "/api/v1/cases/?page_size=500" + ("&" + query if query else "")


def staff_client(name="r28-editor", codenames=EDITOR):
    return client_for(user_with(name, *codenames))


# --- (i) nothing hidden in the public list -------------------------------------------------------


def test_the_public_list_shows_no_secret_in_any_language_order_or_page_size(world, api):
    """Guard: every language, ordering and page size (1, 7, 500): the raw bytes hold no marker,
    no withheld date, no staff-only key; the cases listed are the published ones, each once."""
    expected = public_ids()
    for query, headers in LANGS:
        for ordering in ORDERINGS:
            for size in ([1, 7, 500] if query in ("", "lang=ru") and ordering in (None, "-updated", "name")
                         else [7, 500]):
                url = url_of("/api/v1/cases/", ordering=ordering, page_size=size)
                url += ("&" if "?" in url else "?") + query if query else ""
                records, raws = pages(api, url, headers)
                for raw in raws:
                    assert_no_secret(raw, (query, headers, ordering, size))
                ids = [record["id"] for record in records]
                assert len(ids) == len(set(ids)) and set(ids) == expected, (query, ordering, size)


def test_the_at_risk_cases_are_reduced_to_name_form_and_year(world, api):
    """Guard: an at-risk person's cases show id, api_url, person (native name blank), form and the
    start year; the one whose date is withheld shows no year at all."""
    for query, headers in LANGS:
        records, _ = pages(api, listing(query), headers)
        found = {record["id"]: record for record in records}
        first, second = (found[case.pk] for case in world["at_risk"])
        for record in (first, second):
            assert list(record) == ["id", "api_url", "person", "form", "date"], record
            assert record["person"] == {"id": world["at_risk"][0].person_id, "name": "R28 Guarded Person",
                                        "native_name": ""}
        assert first["date"] == "1983" and second["date"] == "", (query, headers, first, second)


def test_withheld_fields_are_null_and_lapsed_ones_public(world, api):
    """Guard: the fields withheld today read null (the date with its parts and period), the
    withholdings that lapsed yesterday or today show their value, tomorrow's does not."""
    for query, headers in LANGS:
        records, _ = pages(api, listing(query), headers)
        found = {record["id"]: record for record in records}
        guarded = found[world["guarded"].pk]
        for key in ["role", "place", "date", "date_start", "date_end", "date_precision", "period",
                    "country_from", "destination_country", "narrative"]:
            assert guarded[key] is None, (key, query, guarded)
        if "all" in query:
            assert guarded["role_en"] is None and guarded["role_ru"] is None
            assert guarded["narrative_en"] is None and guarded["narrative_ru"] is None
        assert guarded["withheld"] == [{"field": f} for f in sorted(
            ["role", "place", "date", "country_from", "destination_country", "narrative"])]
        assert found[world["lapsed_yesterday"].pk]["place"] == "R28 public yesterday"
        assert found[world["lapsed_today"].pk]["place"] == "R28 public today"
        assert found[world["lapsed_today"].pk]["withheld"] == []
        assert found[world["in_force_tomorrow"].pk]["place"] is None
        assert found[world["in_force_tomorrow"].pk]["withheld"] == [{"field": "place"}]
        for case in world["several"]:
            assert found[case.pk]["person"]["native_name"] == ""


@pytest.mark.parametrize("params", [
    {"agency": "r28leak-riskagency"}, {"agency_id": "AGENCY"}, {"motive": "r28leak-motive"},
    {"destination_country": "NR"}, {"year_min": "1937", "year_max": "1937"},
    {"year_min": "1983", "year_max": "1983"},
    {"year_min": "1988"}, {"period": "great-purge"}, {"period": "soviet-collapse"}, {"response": "arrest"},
    {"status": "draft"}, {"status": "review"}, {"status": "retracted"}, {"q": MARK}, {"q": "R28LEAK-wrole"},
    {"q": "wnarr"}, {"q": "Guarded"}, {"q": "Тайна"}, {"q": "riskname"}, {"verification": "reported"},
    {"contested": "true"}, {"form": "geographic"}, {"updated_after": "2000-01-01T00:00:00Z"},
    {"agency": "kgb", "ordering": "-updated"}, {"q": "R28 Guarded Person", "ordering": "name"},
])
def test_no_filter_lists_what_it_must_not(world, api, params):
    """Guard: a filter on a hidden detail lists no case hiding it, and the page shows no secret
    (beyond the filter's own words, which an error repeats)."""
    params = {k: (str(world["at_risk"][0].agency_id) if v == "AGENCY" else v) for k, v in params.items()}
    at_risk = {case.pk for case in world["at_risk"]}
    for query, headers in LANGS[:5]:
        answer = api.get(url_of("/api/v1/cases/", page_size=500, **params) + ("&" + query if query else ""),
                         **headers)
        assert answer.status_code in (200, 400), (params, answer.status_code)
        raw = answer.content
        for value in params.values():
            raw = raw.replace(value.encode(), b"PARAM")
        assert_no_secret(raw, params)
        if answer.status_code == 200:
            ids = {record["id"] for record in answer.json()["results"]}
            assert ids <= public_ids()
            if set(params) - {"q", "form", "ordering", "year_min", "year_max"}:  # a filter on a detail
                assert not ids & at_risk, params
            if set(params) & {"year_min", "year_max", "period", "destination_country"}:
                assert world["guarded"].pk not in ids and world["at_risk"][1].pk not in ids, params
            if params.get("q") in (MARK, "R28LEAK-wrole", "wnarr", "Тайна", "riskname"):  # hidden words only
                assert not ids & {world["guarded"].pk, *at_risk, *(c.pk for c in world["several"])}, params


def test_deep_pages_and_sizes_hold_nothing_more(world, api):
    """Guard: the last page of size 1 is the last case; one beyond is a JSON 404, not a 500."""
    count = api.get("/api/v1/cases/?page_size=1").json()["count"]
    assert count == len(public_ids())
    last = api.get(f"/api/v1/cases/?page_size=1&page={count}")
    assert last.status_code == 200 and last.json()["next"] is None and len(last.json()["results"]) == 1
    for page in [count + 1, 10**9, 10**9 + 1, 10**30]:
        beyond = api.get(f"/api/v1/cases/?page_size=1&page={page}")
        assert beyond.status_code == 404, (page, beyond.status_code)
        assert "detail" in json.loads(beyond.content)


# --- (ii) the list is the case's own page -------------------------------------------------------


def test_every_listed_case_is_its_detail_for_every_reader_and_language(world, api):
    """Guard: the anonymous reader, a researcher and an editor, in every way of asking a
    language: each case of the list (JSON written by PostgreSQL) equals its own page."""
    readers = {"anonymous": api, "researcher": staff_client("r28-researcher", RESEARCHER),
               "editor": staff_client()}
    for name, reader in readers.items():
        for query, headers in LANGS:
            records, _ = pages(reader, listing(query), headers)
            assert records
            for record in records:
                detail = reader.get(f"/api/v1/cases/{record['id']}/" + ("?" + query if query else ""),
                                    **headers)
                assert detail.status_code == 200
                assert detail.json() == record, (name, query, headers, record["id"])


def test_the_staff_list_shows_what_staff_may_see(world):
    """Guard: staff read drafts, reviews, retracted cases, notes, reasons and expiry, the signer,
    and the at-risk cases whole."""
    staff = staff_client()
    records, raws = pages(staff, "/api/v1/cases/?page_size=500&lang=all")
    raw = b"".join(raws).decode()
    assert {record["id"] for record in records} == set(Case.objects.values_list("pk", flat=True))
    for text in [f"{MARK}-restricted", f"{MARK}-retraction", f"{MARK}-retraction-ru", f"{MARK}-reason",
                 f"{MARK}-reason-ru", f"{MARK}-riskname", f"{MARK}-riskagency", "r28leak-signer",
                 "1983-05-05", f"{MARK}-wrole", CANARY]:
        assert text in raw, text
    guarded = next(r for r in records if r["id"] == world["guarded"].pk)
    assert guarded["place"] == f"{MARK}-wplace" and len(guarded["withheld"]) == 6
    tomorrow = (withholding.today() + timedelta(1)).isoformat()
    assert {item["until"] for item in guarded["withheld"]} == {None, tomorrow}


# --- (iii) odd texts and odd requests -------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "application/json; indent=2",
                                    "application/json; indent=8", "application/json; indent=0",
                                    "application/json; indent=abc",
                                    "application/json; indent=-3", "application/json; indent=99",
                                    "application/json; charset=utf-8", "*/*", "application/*"])
def test_odd_texts_are_valid_json_and_read_back_exactly(world, api, accept):
    """Guard: quotes, backslashes, every control character, U+2028/9, emoji, Cyrillic, %, %s,
    %(x)s, quotes and comments, 60,000 characters: the page parses and gives the stored texts."""
    staff = staff_client()
    odd = world["odd"]
    for reader in (api, staff):
        for query in ["lang=en", "lang=ru", "lang=all"]:
            answer = reader.get(f"/api/v1/cases/?page_size=500&{query}", HTTP_ACCEPT=accept)
            assert answer.status_code == 200, (accept, answer.status_code)
            record = next(r for r in json.loads(answer.content)["results"] if r["id"] == odd.pk)
            stored = Case.objects.select_related("person", "agency").get(pk=odd.pk)
            response = Response.objects.filter(case=odd).order_by("date_start", "pk").first()
            if query == "lang=en":
                assert record["summary"] == stored.summary == ODD and record["narrative"] == LONG
                assert record["role"] == stored.role and record["agency"]["name"] == stored.agency.name
                assert record["responses"][0]["description"] == response.description == ODD
                assert record["responses"][0]["citations"][0]["quote"] == ODD[:1000]
                assert record["person"]["name"] == stored.person.name
                assert record["person"]["native_name"] == stored.person.native_name
            if query == "lang=ru":
                assert record["summary"] == ODD_RU and record["narrative"] == ODD_RU * 50
                assert record["agency"]["name"] == stored.agency.name and "fallback" in record["agency"]
                assert record["responses"][0]["description"] == ODD_RU
            if query == "lang=all":
                assert record["summary_en"] == ODD and record["summary_ru"] == ODD_RU
            assert reader.get(f"/api/v1/cases/{odd.pk}/?{query}", HTTP_ACCEPT=accept).json() == record


def test_the_written_page_escapes_line_and_paragraph_separators_as_drf_does(world, api):
    """Found in round 28, mended (json_lines.case_sql escapes them): DRF's JSONRenderer always
    writes U+2028 and U+2029 escaped (`\\u2028`), so that
    its JSON is also valid JavaScript (a page embedding it in a <script>, JSONP-like readers);
    the case's own page does. The list's records, written by PostgreSQL's to_json and spliced in
    as they are, carry them raw: the list's bytes are no longer what the renderer writes (the
    rows path's, which tests/test_read_path_parity.py compares byte for byte)."""
    odd = world["odd"]
    detail = api.get(f"/api/v1/cases/{odd.pk}/").content
    assert "\u2028".encode() not in detail and b"\\u2028" in detail  # DRF's own answer
    listed = api.get("/api/v1/cases/?page_size=500").content
    assert "\u2028".encode() not in listed and "\u2029".encode() not in listed, (
        "the JSON list carries raw U+2028/U+2029 where the detail page (DRF) writes \\u2028/\\u2029")


ODD_QUERIES = [
    "lang=", "lang=xx", "lang=ALL", "lang=Ru-ru", "lang=all&lang=ru", "lang=ru&lang=all", "lang=%00",
    "lang=%E2%80%A8", "page=0", "page=-1", "page=abc", "page=1e3", "page=%27", "page_size=0", "page_size=-5",
    "page_size=abc", "page_size=501", "page_size=100000000000000000000", "page_size=1.5", "ordering=bogus",
    "ordering=-", "ordering=date,name", "ordering=-updated,-name,-date", "ordering=%27--",
    "ordering=shown_start", "ordering=restricted_notes", "ordering=person__native_name",
    "q=%25", "q=%25s", "q=%25(x)s", "q=%27", "q=%5C", "q=--", "q=%E2%80%A8", "q=%F0%9F%98%80",
    "q=" + "a" * 300,
    "q=%01%1f", "agency=%27", "agency=kgb&agency=r28leak-riskagency", "year_min=abc", "year_min=99999",
    "year_min=1&year_max=9999", "destination_country=XX", "period=%25", "motive=%27%22",
    "updated_after=notadate", "updated_after=2000-01-01T00:00:00%2B14:00", "format=json", "format=api",
    "format=csv&page_size=0", "status=draft&status=published", "response=arrest&response=bogus",
    "contested=false", "form=bogus", "id=1", "page_size=7&page=2&lang=ru&ordering=-name",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_answer_json_never_500(world, api, query):
    """Guard: odd parameters are a 200 or a 4xx, valid JSON (or a CSV), with no secret in it."""
    answer = api.get(f"/api/v1/cases/?{query}")
    assert answer.status_code < 500, (query, answer.status_code)
    raw = body_of(answer)
    if "format=csv" not in query or answer.status_code >= 400:
        json.loads(raw)
    for part in query.split("&"):  # an error repeats the value it refuses
        raw = raw.replace(unquote(part.partition("=")[2]).encode(), b"VALUE")
    assert_no_secret(raw, query)


@pytest.mark.parametrize("headers", [
    {"HTTP_ACCEPT_LANGUAGE": "ru;q=0.1, en;q=0.9"}, {"HTTP_ACCEPT_LANGUAGE": "xx, ru"},
    {"HTTP_ACCEPT_LANGUAGE": "*"}, {"HTTP_ACCEPT_LANGUAGE": "ru-RU" + ",de" * 300},
    {"HTTP_ACCEPT_LANGUAGE": "\u2028"}, {"HTTP_ACCEPT_LANGUAGE": "'; DROP"},
    {"HTTP_ACCEPT": "application/json; indent=2", "HTTP_ACCEPT_LANGUAGE": "ru"},
    {"HTTP_ACCEPT": "text/html"}, {"HTTP_ACCEPT": "text/csv"}, {"HTTP_ACCEPT": "application/xml"},
])
def test_odd_headers_answer_never_500_and_agree_with_the_detail(world, api, headers):
    """Guard: odd Accept and Accept-Language headers: never a 500; a JSON list equals the details."""
    answer = api.get("/api/v1/cases/?page_size=500", **headers)
    assert answer.status_code < 500, (headers, answer.status_code)
    raw = body_of(answer)
    assert_no_secret(raw, headers)
    if answer.status_code == 200 and answer["Content-Type"].startswith("application/json"):
        for record in json.loads(raw)["results"]:
            assert api.get(f"/api/v1/cases/{record['id']}/", **headers).json() == record, headers


@pytest.mark.parametrize("script", ["/a'b", "/x%s", "/p%(x)s", "/q%", "/--",
                                    "/Ку".encode().decode("latin-1")])  # WSGI: bytes as latin-1
def test_an_odd_script_prefix_gives_the_same_links(world, api, script):
    """Guard: the link prefix is an SQL literal in the written JSON: a prefix holding a quote,
    `%`, `%s` or Cyrillic (a server mounted under it) gives the detail page's api_url."""
    answer = api.get("/api/v1/cases/?page_size=500", SCRIPT_NAME=script)
    assert answer.status_code == 200, answer.status_code
    for record in answer.json()["results"]:
        detail = api.get(f"/api/v1/cases/{record['id']}/", SCRIPT_NAME=script).json()
        assert detail["api_url"] == record["api_url"], (script, record["api_url"])


def test_the_compact_page_is_drf_bytes_for_plain_texts(world, api):
    """Guard: apart from U+2028/9 (see the finding), the spliced page is byte for byte what DRF
    renders from the parsed records."""
    from defections.api.renderers import JSONRenderer

    for query in ["lang=en", "lang=ru", "lang=all"]:
        raw = api.get(f"/api/v1/cases/?page_size=500&{query}").content
        again = JSONRenderer().render(json.loads(raw))
        raw = raw.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
        assert raw == again, query


# --- (iv) a withheld date of an at-risk case -------------------------------------------------------


def test_an_at_risk_cases_withheld_date_hides_even_its_year(world, api, client):
    """Guard: the list, the detail, the CSV, the stats and the year filters: no year for the
    at-risk case whose date is withheld; the other at-risk case's year only."""
    hidden, shown = world["at_risk"][1], world["at_risk"][0]
    for query in ["lang=en", "lang=ru"]:
        listed = {r["id"]: r for r in api.get(f"/api/v1/cases/?page_size=500&{query}").json()["results"]}
        assert listed[hidden.pk]["date"] == "" and listed[shown.pk]["date"] == "1983"
        assert api.get(f"/api/v1/cases/{hidden.pk}/?{query}").json()["date"] == ""
    rows = {int(r["id"]): r for r in read_csv(api.get("/api/v1/cases/?format=csv"))}
    assert rows[hidden.pk]["date"] == "" and rows[hidden.pk]["date_start"] == ""
    assert rows[shown.pk]["date"] == "1983" and rows[hidden.pk]["date_end"] == ""
    for year in ["1988", "1983"]:
        ids = {r["id"] for r in api.get(f"/api/v1/cases/?year_min={year}&year_max={year}").json()["results"]}
        assert hidden.pk not in ids
    assert (shown.pk in {r["id"] for r in api.get("/api/v1/cases/?year_min=1983&year_max=1983")
                         .json()["results"]})


# --- (v) the memoised door -------------------------------------------------------------------------


def anew_sql(day=None):
    return visibility.cases(Case.objects.get_queryset(), None, day).query.sql_with_params()


def test_no_request_changes_the_memo(world, api, client):
    """Guard: a barrage of filtered, searched, ordered, staff, CSV, stats and web requests in this
    thread; then the memo's SQL is still the door built anew and the unfiltered list the same."""
    baseline, _ = pages(api, "/api/v1/cases/?page_size=500")
    staff = staff_client()
    queries = ["q=Guarded", "q=Тайна&ordering=name", "agency=kgb", "year_min=1937&year_max=1990",
               "destination_country=NR", "period=great-purge", "motive=r28leak-motive", "response=arrest",
               "contested=true", "form=final&ordering=-updated", "status=draft", "updated_after=2000-01-01",
               "ordering=-date&page_size=1&page=3", "q=R28 Guarded Person"]
    for query in queries:
        for reader in (api, staff):
            assert reader.get(f"/api/v1/cases/?{query}").status_code in (200, 400)
            assert reader.get(f"/api/v1/cases/?format=csv&{query}").status_code in (200, 400)
            assert reader.get(f"/api/v1/stats/?{query}").status_code in (200, 400)
        assert client.get(f"/cases/?{query}").status_code in (200, 400)
    person = world["several"][0].person_id
    for url in ["/api/v1/people/", "/api/v1/agencies/", "/api/v1/sources/", "/api/v1/affiliations/",
                f"/api/v1/people/{person}/", f"/people/{person}/", "/", "/cases/?ordering=-updated",
                "/api/v1/analysis/", f"/api/v1/cases/{world['guarded'].pk}/"]:
        api.get(url)
        client.get(url)
    memo = visibility._built.doors[1][None]
    assert memo.query.sql_with_params() == anew_sql()
    assert Case.objects.visible_to(None).query.sql_with_params() == anew_sql()
    after, _ = pages(api, "/api/v1/cases/?page_size=500")
    assert after == baseline


def test_a_staff_request_never_becomes_the_publics_door(world, api):
    """Guard: staff then anonymous then staff: each reads its own cases, in either order."""
    staff = staff_client()
    everything = set(Case.objects.values_list("pk", flat=True))
    for _ in range(2):
        assert {r["id"] for r in pages(staff, "/api/v1/cases/?page_size=500")[0]} == everything
        records, raws = pages(api, "/api/v1/cases/?page_size=500")
        assert {r["id"] for r in records} == public_ids()
        for raw in raws:
            assert_no_secret(raw, "after staff")


def test_changes_between_requests_take_effect_at_once(world, api):
    """Guard: a withholding added, its expiry moved, lifted; a person marked at risk and unmarked;
    a case unpublished: each shows on the very next request (the memo is SQL, not rows)."""
    case = world["lapsed_yesterday"]

    def read():
        cache.clear()
        found = {r["id"]: r for r in pages(api, "/api/v1/cases/?page_size=500")[0]}
        return found.get(case.pk), api.get(f"/api/v1/cases/{case.pk}/")

    record, detail = read()
    assert record["place"] == "R28 public yesterday" and detail.json() == record
    held = Withholding.objects.create(case=case, field="role", reason="new")
    Withholding.objects.filter(case=case, field="place").update(until=withholding.today() + timedelta(2))
    record, detail = read()
    assert record["place"] is None and record["role"] is None and detail.json() == record
    assert record["withheld"] == [{"field": "place"}, {"field": "role"}]
    held.delete()
    Withholding.objects.filter(case=case, field="place").delete()
    record, detail = read()
    assert record["place"] == "R28 public yesterday" and record["withheld"] == [] and detail.json() == record
    Person.objects.filter(pk=case.person_id).update(at_risk=True)
    record, detail = read()
    assert list(record) == ["id", "api_url", "person", "form", "date"] and detail.json() == record
    Person.objects.filter(pk=case.person_id).update(at_risk=False)
    record, detail = read()
    assert record["place"] == "R28 public yesterday" and detail.json() == record
    Case.objects.filter(pk=case.pk).update(status="review")
    record, detail = read()
    assert record is None and detail.status_code == 404


def test_the_day_moves_the_withholdings(world, api, monkeypatch):
    """Guard: withholding.today() moved forward and back: the in-force-tomorrow withholding lapses
    the day after tomorrow and holds again today, in the list and the detail alike."""
    case = world["in_force_tomorrow"]
    today = withholding.today()

    def place_on(day):
        monkeypatch.setattr(withholding, "today", lambda: day)
        cache.clear()
        record = next(r for r in pages(api, "/api/v1/cases/?page_size=500")[0] if r["id"] == case.pk)
        assert api.get(f"/api/v1/cases/{case.pk}/").json() == record
        return record["place"]

    assert place_on(today) is None
    assert place_on(today + timedelta(1)) == f"{MARK}-tomorrow"
    assert place_on(today) is None
    assert place_on(today + timedelta(5)) == f"{MARK}-tomorrow"
    assert place_on(today - timedelta(400)) is None
    # the lapsed ones are withheld again on a day before their expiry
    monkeypatch.setattr(withholding, "today", lambda: today - timedelta(2))
    cache.clear()
    found = {r["id"]: r for r in pages(api, "/api/v1/cases/?page_size=500")[0]}
    assert found[world["lapsed_yesterday"].pk]["place"] is None
    assert found[world["lapsed_today"].pk]["place"] is None
    assert_no_secret(json.dumps(found, ensure_ascii=False).encode(), "two days ago")


def test_a_filtered_copy_changed_in_place_leaves_the_memo_whole(world, api):
    """Guard: a caller mutating its copy's query in place (where, annotations, ordering, select)
    changes nothing for the next caller."""
    copy = Case.objects.visible_to(None)
    copy.query.add_q(__import__("django.db.models", fromlist=["Q"]).Q(form="final"))
    copy.query.clear_ordering(force=True)
    copy.query.annotations.pop("withheld_now", None)
    copy.query.set_limits(0, 1)
    list(copy.values_list("pk", flat=True))
    assert Case.objects.visible_to(None).query.sql_with_params() == anew_sql()
    assert {r["id"] for r in pages(api, "/api/v1/cases/?page_size=500")[0]} == public_ids()


@pytest.mark.django_db(transaction=True)
def test_threads_reading_at_once_each_read_their_own(version_row):
    """Guard: several threads, each alternating filtered and unfiltered public and staff reads of
    the list (a threaded server): every answer is the one a lone reader gets."""
    from django.test import Client

    guarded = PersonFactory(name="R28 thread guarded", at_risk=True, native_name=f"{MARK}-t")
    cases = [CaseFactory(status="published", form="final" if n % 2 else "geographic", date=str(1950 + n),
                         role=f"role {n}") for n in range(8)]
    CaseFactory(status="published", person=guarded, date="1960", role=f"{MARK}-thread")
    CaseFactory(status="draft", summary=f"{MARK}-thread-draft")
    Withholding.objects.create(case=cases[0], field="role", reason="r")
    staff = user_with("r28-thread-staff", *EDITOR)
    expected = {}
    lone = Client()
    urls = ["/api/v1/cases/?page_size=500", "/api/v1/cases/?page_size=500&form=final",
            "/api/v1/cases/?page_size=500&q=thread", "/api/v1/cases/?page_size=3&ordering=-date&lang=ru",
            "/api/v1/cases/?page_size=500&year_min=1955"]
    for url in urls:
        expected[url] = lone.get(url).content
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=staff).key
    expected_staff = lone.get(urls[0], HTTP_AUTHORIZATION=f"Token {token}").content
    errors = []

    def reader(n):
        try:
            mine = Client()
            for step in range(12):
                url = urls[(n + step) % len(urls)]
                if step % 4 == 3:
                    got = mine.get(urls[0], HTTP_AUTHORIZATION=f"Token {token}").content
                    if got != expected_staff:
                        errors.append(("staff", n, step))
                    continue
                got = mine.get(url).content
                if got != expected[url]:
                    errors.append((url, n, step, got[:200]))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(("error", n, repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert MARK.encode() not in expected[urls[0]] and MARK.encode() in expected_staff


# --- CSV against JSON --------------------------------------------------------------------------------


def test_the_csv_lists_the_json_ids_in_every_order(world, api):
    """Guard: for every ordering, the public and the staff CSV list the ids of the JSON list, in
    its order, and the public CSV holds no secret."""
    staff = staff_client()
    for reader, name in [(api, "public"), (staff, "staff")]:
        for ordering in ORDERINGS:
            url = url_of("/api/v1/cases/", ordering=ordering)
            listed = pages(reader, url_of("/api/v1/cases/", ordering=ordering, page_size=500))[0]
            listed = [r["id"] for r in listed]
            answer = reader.get(url + ("&" if "?" in url else "?") + "format=csv")
            rows = read_csv(answer)
            assert [int(r["id"]) for r in rows] == listed, (name, ordering)
            if name == "public":
                assert_no_secret(json.dumps(rows, ensure_ascii=False).encode(), ("csv", ordering))


def test_the_rows_path_and_the_written_path_answer_alike_over_http(world, api, monkeypatch):
    """Guard: the page written by PostgreSQL against the page the rows path gives (json_lines
    switched off), for both readers, every language: equal as JSON."""
    staff = staff_client()
    for reader in (api, staff):
        for query, headers in LANGS:
            url = "/api/v1/cases/?page_size=500" + ("&" + query if query else "")
            written = json.loads(reader.get(url, **headers).content)
            with monkeypatch.context() as patch:
                patch.setattr("defections.json_lines.supported", lambda fields: False)
                rows = json.loads(reader.get(url, **headers).content)
            assert written == rows, (query, headers)


def test_the_view_chooses_the_written_path_for_json_only(world, api, monkeypatch):
    """Guard: the JSON list is written by PostgreSQL (one query for the page's objects)."""
    calls = []
    original = CaseViewSet.page_rows

    def spy(self, ids):
        found = original(self, ids)
        calls.append(type(found[0]).__name__ if found else None)
        return found

    monkeypatch.setattr(CaseViewSet, "page_rows", spy)
    api.get("/api/v1/cases/?page_size=3")
    api.get("/api/v1/cases/?page_size=3", HTTP_ACCEPT="application/json; indent=2")
    assert calls == ["Written", "Written"]


def test_a_retracted_case_is_gone_from_the_list_and_its_note_only_on_its_notice(world, api):
    """Guard: retracting a published case removes it from the list at once; its notice (410)
    carries the retraction note, the list never does."""
    case = world["noted"]
    Case.objects.filter(pk=case.pk).update(status="retracted", retracted_at=timezone.now())
    records, raws = pages(api, "/api/v1/cases/?page_size=500&lang=all")
    assert case.pk not in {r["id"] for r in records}
    for raw in raws:
        assert_no_secret(raw, "retracted")
    notice = api.get(f"/api/v1/cases/{case.pk}/")
    assert notice.status_code == 410 and notice.json()["retraction_note"] == f"{MARK}-retraction"


# --- the request's one database --------------------------------------------------------------------


@pytest.fixture
def same_server_replica(version_row):
    """replica_0 as settings make it from DATABASE_REPLICA_URLS, here a second connection to the
    test database itself (a mirror: committed data only, hence a transactional test), added
    after the test's database set-up and removed before its teardown."""
    from django.db import connections

    primary = dict(connection.settings_dict)
    configured = connections.configure_settings({"default": primary,
                                                 "replica_0": {**primary, "TEST": {"MIRROR": "default"}}})
    connections.settings["replica_0"] = configured["replica_0"]
    try:
        connections["replica_0"].connect()  # connected here: the test's guard refuses a new alias' connect
        yield connections["replica_0"]
    finally:
        connections["replica_0"].close()
        del connections["replica_0"]
        del connections.settings["replica_0"]


def queries_by_database(url, client, replica):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as on_primary, CaptureQueriesContext(replica) as on_replica:
        answer = client.get(url)
    assert answer.status_code == 200, answer.content[:300]
    return (answer, [q["sql"] for q in on_primary.captured_queries],
            [q["sql"] for q in on_replica.captured_queries])


@pytest.mark.django_db(transaction=True)
def test_a_public_json_list_reads_the_requests_replica_only(same_server_replica, monkeypatch):
    """Found in round 28, mended (csv_lines.per_case reads on the door's database): routers.py
    gives a public read ONE database, a replica, "for the whole
    request, never a mix" (its data version is read from the same replica, so a cached answer is
    never newer than its data). The rows path kept to it: the count, the ids and the rows all
    came from the replica. json_lines.case_objects runs the page's query on
    `django.db.connection`, the primary, whatever the request's database: a public list now
    reads its ids from the replica and its records from the primary (a mix: with replica lag a
    page can come out shorter than its size, or show records newer than the version its count
    is cached under), and every public list page loads the primary the replicas are there to
    spare. Reproduce: DATABASE_REPLICA_URLS set, GET /api/v1/cases/ anonymously; the page's
    `SELECT '{' || ...` query runs on "default"."""
    from django.test import Client

    for n in range(3):
        CaseFactory(status="published", date=str(1960 + n), summary=f"R28 replica {n}")
    client = Client()
    with monkeypatch.context() as patch:  # the rows path, as before the change: all on the replica
        patch.setattr("defections.json_lines.supported", lambda fields: False)
        rows_answer, rows_primary, rows_replica = queries_by_database("/api/v1/cases/?page_size=2", client,
                                                                      same_server_replica)
    assert rows_replica and not [sql for sql in rows_primary if "defections_case" in sql], rows_primary
    answer, on_primary, on_replica = queries_by_database("/api/v1/cases/?page_size=2", client,
                                                         same_server_replica)
    assert json.loads(answer.content) == json.loads(rows_answer.content)  # the same answer, as JSON
    assert on_replica  # the version, the count and the ids
    mixed = [sql[:120] for sql in on_primary if "defections_case" in sql]
    assert not mixed, f"a public list read {len(mixed)} query on the primary besides its replica: {mixed}"
    # the CSV's lines, written by the same per-case query, likewise
    csv_answer, csv_primary, csv_replica = queries_by_database("/api/v1/cases/?format=csv", client,
                                                               same_server_replica)
    assert b"R28 replica 2" in b"".join(csv_answer.streaming_content)
    assert not [sql[:120] for sql in csv_primary if "defections_case" in sql], csv_primary


@pytest.mark.django_db(transaction=True)
def test_a_lagging_replica_and_the_primary_make_one_page(same_server_replica):
    """Found in round 28, mended (the same, seen by a reader): a replica behind the primary
    (here: a snapshot taken on the replica's connection before a case was unpublished on the
    primary) gives the page's count and ids; the records came from the primary. The page said 3
    cases and listed 2, no `next`: the reader could tell a case was just unpublished, and a
    client syncing by pages counted wrong. The rows path answers from the replica alone: 3 and
    3, consistently old."""
    from django.test import Client

    cases = [CaseFactory(status="published", date=str(1960 + n), summary=f"R28 lag {n}") for n in range(3)]
    cache.clear()
    with same_server_replica.cursor() as cursor:  # the replica stops replaying here
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT count(*) FROM defections_case")
    try:
        Case.objects.filter(pk=cases[1].pk).update(status="review")  # committed on the primary
        page = Client().get("/api/v1/cases/?page_size=3").json()
        with pytest.MonkeyPatch.context() as patch:  # the rows path: the replica alone
            patch.setattr("defections.json_lines.supported", lambda fields: False)
            rows_page = Client().get("/api/v1/cases/?page_size=3").json()
    finally:
        with same_server_replica.cursor() as cursor:
            cursor.execute("ROLLBACK")
    assert rows_page["count"] == len(rows_page["results"]) == 3  # consistently old
    assert page["count"] == 3  # the replica's
    assert len(page["results"]) == page["count"], (
        f"count {page['count']} but {len(page['results'])} results: ids from the replica, records "
        f"from the primary")
