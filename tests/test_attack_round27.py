"""Attack round 27: the public agencies found by probing (visibility._public_agencies, memoised
per process per day), the search's matches carried once through a list's counts
(search.matched_ids, CaseFilterSet.carry_matches) and the CSV door's ids as one array
(ids.InArray). A test marked xfail(strict) is a finding; every other test is a guard that held."""

import csv
import io
import re
from datetime import date, timedelta
from urllib.parse import unquote_plus

import pytest
from django.core.cache import cache
from django.utils import timezone

from defections import search, visibility, withholding
from defections.models import Affiliation, Case, Period, PersonAlias, Response, Withholding
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory
from tests.test_api_fixtures import EDITOR, client_for, user_with

pytest_plugins = ["tests.test_api_fixtures"]

HIDDEN = "ZXQHIDDEN"


# --- part 1: the public agencies ---------------------------------------------------------------


@pytest.fixture
def agencies(db):
    """Agencies each named in one way; the hidden ones carry the marker in name and slug."""
    a = {}
    a["parent"] = AgencyFactory(name="R27 Parent Ministry", slug="r27-parent")
    a["pred"] = AgencyFactory(name="R27 Predecessor", slug="r27-pred")
    a["public"] = AgencyFactory(name="R27 Public Service", slug="r27-public", parent=a["parent"],
                                predecessor=a["pred"])
    a["aff_public"] = AgencyFactory(name="R27 Affiliation Public", slug="r27-aff-public")
    for key in ["draft", "risk", "retracted", "aff_risk", "aff_nopub", "child", "review"]:
        a[key] = AgencyFactory(name=f"{HIDDEN} {key}", slug=f"zxqhidden-{key.replace('_', '-')}",
                               acronym="ZXQ")
    # a hidden agency above a hidden one stays hidden
    a["above_hidden"] = AgencyFactory(name=f"{HIDDEN} above", slug="zxqhidden-above")
    a["draft"].parent = a["above_hidden"]
    a["draft"].save()
    a["child"].parent = a["public"]
    a["child"].save()
    a["succ"] = AgencyFactory(name=f"{HIDDEN} successor", slug="zxqhidden-succ", predecessor=a["public"])

    open_person = PersonFactory(name="R27 Open Person")
    open_case = CaseFactory(person=open_person, agency=a["public"], date="2001", summary="R27 open")
    Affiliation.objects.create(person=open_person, agency=a["aff_public"], role="clerk")
    CaseFactory(status="draft", agency=a["draft"], summary=f"{HIDDEN} draft")
    CaseFactory(status="draft", agency=a["child"], summary=f"{HIDDEN} child draft")
    CaseFactory(status="draft", agency=a["succ"], summary=f"{HIDDEN} successor draft")
    CaseFactory(status="review", agency=a["review"], summary=f"{HIDDEN} review")
    guarded = PersonFactory(name="R27 Guarded", at_risk=True)
    risky = CaseFactory(person=guarded, agency=a["risk"], date="2002", summary=f"{HIDDEN} at risk")
    Affiliation.objects.create(person=guarded, agency=a["aff_risk"], role="officer")
    retracted = CaseFactory(agency=a["retracted"], date="2003", summary=f"{HIDDEN} retracted")
    Case.objects.filter(pk=retracted.pk).update(status="retracted", retracted_at=timezone.now())
    unpublished = PersonFactory(name="R27 Unpublished")
    CaseFactory(status="draft", person=unpublished, summary=f"{HIDDEN} unpublished")
    Affiliation.objects.create(person=unpublished, agency=a["aff_nopub"], role="spy")
    a["_open_case"], a["_risky"] = open_case, risky
    return a


PUBLIC = {"parent", "pred", "public", "aff_public"}
HIDDEN_KEYS = {"succ", "draft", "risk", "retracted", "aff_risk", "aff_nopub", "child", "review",
               "above_hidden"}


def all_api(client, url):
    rows = []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.content[:300])
        rows += answer.json()["results"]
        url = answer.json()["next"]
    return rows


def test_the_public_agencies_are_those_public_data_names(api, client, agencies):
    """Guard: the API list, the web list and the door name the public agencies only."""
    listed = {row["slug"] for row in all_api(api, "/api/v1/agencies/?page_size=100")}
    assert {agencies[k].slug for k in PUBLIC} <= listed
    assert not listed & {agencies[k].slug for k in HIDDEN_KEYS}
    page = client.get("/agencies/")
    assert page.status_code == 200
    body = page.content.decode()
    assert HIDDEN not in body and "zxqhidden" not in body.lower()
    assert "R27 Public Service" in body and "R27 Predecessor" in body
    door = visibility.agencies(type(agencies["public"]).objects.all(), None)
    door = set(door.values_list("slug", flat=True))
    assert door == listed


def test_a_hidden_agency_answers_like_a_missing_one(api, client, agencies):
    """Guard: detail pages, the API detail, and the agency filters of /cases/, /api/v1/cases/
    and /api/v1/stats/ answer a hidden agency as they answer one that does not exist."""
    missing_pk = max(a.pk for k, a in agencies.items() if not k.startswith("_")) + 1000
    for key in HIDDEN_KEYS:
        agency = agencies[key]
        for url in ["/agencies/{}/", "/api/v1/agencies/{}/", "/ru/agencies/{}/"]:
            hidden, missing = client.get(url.format(agency.pk)), client.get(url.format(missing_pk))
            assert hidden.status_code == missing.status_code == 404, (key, url)
            assert hidden.content.replace(f"/{agency.pk}/".encode(), b"/N/") == \
                missing.content.replace(f"/{missing_pk}/".encode(), b"/N/"), (key, url)
        for path in ["/api/v1/cases/", "/api/v1/stats/", "/cases/", "/api/v1/cases/?format=csv&x=1",
                     "/api/v1/agencies/"]:
            sep = "&" if "?" in path else "?"
            for name, hidden_value, missing_value in [("agency", agency.slug, "zxqnosuch-agency"),
                                                      ("agency_id", str(agency.pk), str(missing_pk)),
                                                      ("parent", agency.slug, "zxqnosuch-agency")]:
                if name == "parent" and "agencies" not in path or name != "parent" and "agencies" in path:
                    continue
                hidden = client.get(f"{path}{sep}{name}={hidden_value}")
                missing = client.get(f"{path}{sep}{name}={missing_value}")
                assert hidden.status_code == missing.status_code, (key, path, name, hidden.status_code)
                assert hidden.status_code != 500
                hb = b"".join(hidden.streaming_content) if hidden.streaming else hidden.content
                mb = b"".join(missing.streaming_content) if missing.streaming else missing.content
                hb = re.sub(rf"(?<=[=\"' >]){re.escape(hidden_value)}(?=[&\"' <.])", "V", hb.decode())
                mb = re.sub(rf"(?<=[=\"' >]){re.escape(missing_value)}(?=[&\"' <.])", "V", mb.decode())
                assert HIDDEN not in hb
                assert hb == mb, (key, path, name)


def test_a_public_agencys_pages_name_no_hidden_child_or_successor(api, client, agencies):
    """Guard: the public agency (a hidden child under it, a hidden successor after it), its
    parent and its predecessor: no page, API record or filtered agency list names a hidden one."""
    for key in PUBLIC:
        agency = agencies[key]
        for url in [f"/agencies/{agency.pk}/", f"/ru/agencies/{agency.pk}/", f"/api/v1/agencies/{agency.pk}/",
                    f"/api/v1/agencies/?parent={agency.slug}", f"/api/v1/cases/?agency={agency.slug}",
                    f"/cases/?agency={agency.slug}", f"/api/v1/stats/?agency={agency.slug}",
                    f"/api/v1/agencies/?parent={agency.slug}&format=csv"]:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)
            body = b"".join(answer.streaming_content) if answer.streaming else answer.content
            assert HIDDEN.encode() not in body and b"zxqhidden" not in body.lower(), url
    assert api.get("/api/v1/agencies/?parent=r27-public").json()["count"] == 0


def test_a_public_agency_filter_never_counts_the_hidden_cases_under_it(api, client, agencies):
    """Guard: the public parent's tree holds a hidden child (named by a draft only); the
    filter by the parent lists and counts the open case alone, everywhere."""
    open_pk = agencies["_open_case"].pk
    for slug in ["r27-parent", "r27-public"]:
        assert [r["id"] for r in api.get(f"/api/v1/cases/?agency={slug}").json()["results"]] == [open_pk]
        assert api.get(f"/api/v1/stats/?agency={slug}").json()["count"] == 1
        page = client.get(f"/cases/?agency={slug}")
        assert page.context["page"].paginator.count == 1
    facets = client.get("/cases/").context["facets"]
    slugs = {o["value"] for o in facets["agency"]}
    assert not {s for s in slugs if s.startswith("zxqhidden")}
    counts = {o["value"]: o["count"] for o in facets["agency"]}
    assert counts.get("r27-parent") == 1 and counts.get("r27-public") == 1


def test_the_memo_follows_a_publication_and_an_unpublication(api, client, agencies):
    """Guard: the memoised SQL is the rule, not its answer: publishing the draft that alone
    names an agency lists it (with its hidden parent line), unpublishing hides it again; an
    at-risk flag set or lifted does the same; all within one test (one process, one day)."""
    draft_agency = agencies["draft"]
    case = Case.objects.get(agency=draft_agency)

    def listed():
        cache.clear()
        api_slugs = {row["slug"] for row in all_api(api, "/api/v1/agencies/?page_size=100")}
        web = client.get("/agencies/").content.decode()
        detail = client.get(f"/agencies/{draft_agency.pk}/").status_code
        return api_slugs, web, detail

    slugs, web, detail = listed()
    assert draft_agency.slug not in slugs and HIDDEN not in web and detail == 404
    Case.objects.filter(pk=case.pk).update(status="published")
    slugs, web, detail = listed()
    assert {draft_agency.slug, agencies["above_hidden"].slug} <= slugs and detail == 200
    assert f"{HIDDEN} draft" in web
    Case.objects.filter(pk=case.pk).update(status="draft")
    slugs, web, detail = listed()
    assert draft_agency.slug not in slugs and agencies["above_hidden"].slug not in slugs and detail == 404
    # the at-risk flag, both ways
    risky = agencies["_risky"]
    type(risky.person).objects.filter(pk=risky.person_id).update(at_risk=False)
    slugs, _, _ = listed()
    assert {agencies["risk"].slug, agencies["aff_risk"].slug} <= slugs
    type(risky.person).objects.filter(pk=risky.person_id).update(at_risk=True)
    slugs, _, _ = listed()
    assert not {agencies["risk"].slug, agencies["aff_risk"].slug} & slugs


def test_the_memo_follows_the_day(api, agencies, monkeypatch):
    """Guard: a later day is a new key; the public agencies are the same rule that day."""
    before = {row["slug"] for row in all_api(api, "/api/v1/agencies/?page_size=100")}
    tomorrow = withholding.today() + timedelta(days=1)
    monkeypatch.setattr(withholding, "today", lambda: tomorrow)
    cache.clear()
    after = {row["slug"] for row in all_api(api, "/api/v1/agencies/?page_size=100")}
    assert before == after and not after & {agencies[k].slug for k in HIDDEN_KEYS}


def test_the_memoised_agencies_and_sources_do_not_mix(api, agencies):
    """Guard: the memos of the agencies and of the sources never give one for the other."""
    from defections.models import Agency, Source

    visibility._public_agencies.cache_clear()
    visibility._public_sources.cache_clear()
    agency_ids = set(Agency.objects.visible_to(None).values_list("pk", flat=True))
    source_ids = set(Source.objects.visible_to(None).values_list("pk", flat=True))
    visibility._public_agencies.cache_clear()
    visibility._public_sources.cache_clear()
    assert set(Source.objects.visible_to(None).values_list("pk", flat=True)) == source_ids
    assert set(Agency.objects.visible_to(None).values_list("pk", flat=True)) == agency_ids
    cited = set(Source.objects.filter(citations__case=agencies["_open_case"]).values_list("pk", flat=True))
    assert cited and cited <= source_ids
    hidden_cited = set(Source.objects.filter(citations__case=agencies["_risky"]).values_list("pk", flat=True))
    assert hidden_cited and not hidden_cited & source_ids


# --- part 2: the carried matches ---------------------------------------------------------------


@pytest.fixture
def searchable(db):
    """Open cases found by words, an at-risk person's cases holding the marker everywhere
    hidden, and an open case whose role, narrative and native name are withheld."""
    made = {}
    Period.objects.create(slug="r27-nineties", name="R27 Nineties", start=date(1990, 1, 1),
                          end=date(1994, 12, 31))
    agency = AgencyFactory(name="R27 Search Agency", slug="r27-search")
    motive = MotiveFactory(slug="r27-motive", name="R27 Motive")
    for n in range(9):
        made[f"open{n}"] = CaseFactory(
            agency=agency, date=f"{1990 + n}", summary=f"Kestrel report number {n}",
            person=PersonFactory(name=f"Kestrel Person{n}" if n % 3 == 0 else f"Plain Person{n}"),
            form="geographic" if n % 2 else "articulated", destination_country="GB" if n % 2 else "US",
            verification="reported" if n % 2 else "claimed")
        if n % 2:
            made[f"open{n}"].motives.add(motive)
            Response.objects.create(case=made[f"open{n}"], kind="arrest", description="kestrel arrest")
    guarded = PersonFactory(name="Vantor Guarded", native_name="Зхксекрет Тайный", at_risk=True)
    PersonAlias.objects.create(person=guarded, name="Zxqalias Hiddenov")
    for n in range(3):
        made[f"risk{n}"] = CaseFactory(
            person=guarded, agency=agency, date=f"{1991 + n}",
            summary=f"{HIDDEN} kestrel zxqsummary secret", narrative=f"{HIDDEN} zxqnarrative kestrel",
            role="zxqrolehidden", destination_country="GB", form="geographic")
        made[f"risk{n}"].motives.add(motive)
        Response.objects.create(case=made[f"risk{n}"], kind="psychiatric", description="zxqresponse kestrel")
    withheld_person = PersonFactory(name="Withheld Native", native_name="Тайноимякестрел")
    made["withheld"] = CaseFactory(person=withheld_person, agency=agency, date="1995",
                                   role="zxqwithheldrole", narrative="zxqwithheldnarrative",
                                   summary="An open summary", destination_country="GB")
    for field in ["role", "narrative"]:
        Withholding.objects.create(case=made["withheld"], field=field, reason="r")
    Withholding.objects.create(person=withheld_person, field="native_name", reason="r")
    made["draft"] = CaseFactory(status="draft", summary=f"{HIDDEN} kestrel draft", agency=agency)
    return made


HIDDEN_WORDS = [HIDDEN, "zxqsummary", "zxqnarrative", "zxqrolehidden", "zxqresponse", "Зхксекрет",
                "Zxqalias", "zxqwithheldrole", "zxqwithheldnarrative", "Тайноимякестрел", "Тайноимя"]


def web_everything(client, query, public=True, prefix=""):
    """The web list as the reader sees it: ids of every page, the count, the facets, the chart."""
    cache.clear()
    ids, page, first = [], 1, None
    while True:
        answer = client.get(f"{prefix}/cases/?{query}&page_size=3&page={page}")
        assert answer.status_code in (200, 400), (query, answer.status_code)
        if first is None:
            first = answer
        body = answer.content.decode()
        ids += list(dict.fromkeys(int(pk) for pk in re.findall(r'href="/(?:ru/)?cases/(\d+)/"', body)))
        if public:
            asked = unquote_plus(query).lower()  # the reader's own words are echoed
            assert not [w for w in HIDDEN_WORDS if w.lower() in body.lower() and w.lower() not in asked], \
                (query, page)
        if not answer.context["page"].has_next():
            break
        page += 1
    return {"ids": ids, "count": first.context["page"].paginator.count, "facets": first.context["facets"],
            "chart": str(first.context["chart_html"]), "status": first.status_code}


def api_everything(api, query):
    rows = all_api(api, f"/api/v1/cases/?{query}&page_size=3")
    count = api.get(f"/api/v1/cases/?{query}&page_size=1").json()["count"]
    return [r["id"] for r in rows], count


def test_no_hidden_word_finds_an_at_risk_or_withheld_case(api, client, searchable):
    """Guard: words only in hidden or withheld fields find nothing, on the page (list, count,
    facets, chart) and in the API; nothing shown carries the marker."""
    for word in HIDDEN_WORDS:
        web = web_everything(client, f"q={word}")
        assert web["ids"] == [] and web["count"] == 0, word
        assert all(o["count"] == 0 or o["selected"] for opts in web["facets"].values() for o in opts), word
        ids, count = api_everything(api, f"q={word}")
        assert ids == [] and count == 0, word
        assert api.get(f"/api/v1/stats/?q={word}").json()["count"] == 0, word


QUERIES = ["q=kestrel", "q=Kestrel&form=geographic", "q=kestrel&year_min=1992&year_max=1996",
           "q=kestrel&agency=r27-search", "q=kestrel&motive=r27-motive", "q=kestrel&response=arrest",
           "q=kestrel&response=psychiatric", "q=kestrel&verification=claimed",
           "q=kestrel&destination_country=GB", "q=kestrel&ordering=-date", "q=kestrel&ordering=name",
           "q=kestrel&ordering=-name", "q=Vantor+Guarded", "q=Vantor+Guarded&form=geographic",
           "q=Vantor+Guarded&agency=r27-search", "q=Vantor+Guarded&year_min=1992",
           "q=Vantor+Guarded&destination_country=GB", "q=Vantor+Guarded+kestrel",
           "q=Vantor+or+kestrel&motive=r27-motive", "q=Withheld+Native", "q=kestrel&period=r27-nineties",
           "q=Vantor&period=r27-nineties",
           "q=kestrel&form=geographic&year_max=1995&ordering=-date",
           "q=Vantor&ordering=-date&form=geographic",
           "q=Vantor+or+kestrel&ordering=-updated", "q=Vantor+or+kestrel&ordering=updated",
           "q=kestrel&agency_kind=intelligence", "q=Vantor&agency_kind=intelligence",
           "q=kestrel&updated_after=2000-01-01T00:00:00Z", "q=Vantor&updated_after=2000-01-01T00:00:00Z",
           "q=kestrel&contested=true", "q=kestrel&form=bogus", "q=Vantor&year_min=abc",
           "q=Vantor&agency=zxqnosuch", "q=kestrel&q=Vantor", "q=Vantor&q=kestrel",
           "q=Kestrel+Person0", "q=Зхксекрет+or+kestrel", "q=kestrel+-report", "q=%22kestrel+report%22",
           "q=Vantor&year_min=1993&year_max=1993&ordering=-name"]


INVALID = {"form=bogus", "year_min=abc", "agency=zxqnosuch"}


@pytest.mark.parametrize("query", QUERIES)
def test_the_carried_matches_answer_as_the_api_and_the_fallback(api, client, searchable, monkeypatch, query):
    """Guard: every page's ids and the count equal the API's (which carries nothing), and the
    page's ids, count, facets and chart equal those of the fallback (MATCHES_CARRIED = 0)."""
    calls = []
    real = search.matched_ids

    def spy(matches):
        result = real(matches)
        calls.append(result)
        return result

    monkeypatch.setattr("defections.filtersets.matched_ids", spy)
    carried = web_everything(client, query)
    # the page leaves an invalid value out (and says 400); the API refuses it: ask it without
    valid = "&".join(p for p in query.split("&") if p not in INVALID)
    assert carried["status"] == (400 if valid != query else 200), query
    api_ids, api_count = api_everything(api, valid)
    assert carried["ids"] == api_ids, query
    assert carried["count"] == api_count == len(api_ids), query
    risk = {searchable[f"risk{n}"].pk for n in range(3)}
    if "Vantor" not in query:
        assert not risk & set(carried["ids"]), query
    assert searchable["draft"].pk not in carried["ids"]
    monkeypatch.setattr(search, "MATCHES_CARRIED", 0)
    fallback = web_everything(client, query)
    assert fallback == carried, query
    monkeypatch.setattr(search, "MATCHES_CARRIED", 1)
    assert web_everything(client, query) == carried, query
    monkeypatch.setattr(search, "MATCHES_CARRIED", 2000)
    assert web_everything(client, query, prefix="/ru")["ids"] == carried["ids"], query
    assert any(c is not None for c in calls) or api_count == 0, "the carried path was not exercised"


def test_an_at_risk_case_found_by_name_is_not_counted_under_a_closed_filter(client, searchable):
    """Guard: found by name, the at-risk cases list under form/year but never under agency,
    motive or country, nor in those facets."""
    risk = {searchable[f"risk{n}"].pk for n in range(3)}
    web = web_everything(client, "q=Vantor+Guarded")
    assert set(web["ids"]) == risk and web["count"] == 3
    assert {o["value"]: o["count"] for o in web["facets"]["form"]} == {"geographic": 3}
    for dim in ["agency", "motive", "destination_country", "response", "verification", "period"]:
        assert all(o["count"] == 0 for o in web["facets"][dim]), dim
    for extra in ["agency=r27-search", "motive=r27-motive", "destination_country=GB", "response=psychiatric"]:
        assert web_everything(client, f"q=Vantor+Guarded&{extra}")["ids"] == [], extra


def test_a_staff_reader_gets_the_same_with_and_without_carrying(searchable, monkeypatch):
    """Guard: staff see every status; carrying changes nothing for them either."""
    from django.test import Client

    user = user_with("r27-editor", *EDITOR)
    staff, web = client_for(user), Client()
    web.force_login(user)
    for query in ["q=kestrel", "q=zxqsummary", "q=Vantor&form=geographic", "q=kestrel&status=draft"]:
        carried = web_everything(web, query, public=False)
        monkeypatch.setattr(search, "MATCHES_CARRIED", 0)
        assert web_everything(web, query, public=False) == carried, query
        monkeypatch.setattr(search, "MATCHES_CARRIED", 2000)
        ids, count = api_everything(staff, query)
        assert carried["ids"] == ids and carried["count"] == count, query
    assert searchable["draft"].pk in web_everything(web, "q=kestrel", public=False)["ids"]


ODD_Q = ["", " ", "   ", "%20%20", "%25", "_", "%25_%25", "%5C", "'", '"', "!!!", "...", "---", "&&&",
         "()", "(", "\\", "*", ":*", "!", "|", "or", "OR", "-", '"unclosed', "Кестрел", "ЁЁЁ", "ъ",
         "%E2%80%AE", "%F0%9F%92%A5", "a" * 199, "кестрел" * 28, "x%00y", "%09%0A", "<script>",
         "kestrel" * 40]


def test_odd_searches_are_never_a_500_and_agree(api, client, searchable):
    """Guard: odd and long searches answer 200 (or 400 for too long) on the page and the API,
    with the same count."""
    for q in ODD_Q:
        page = client.get(f"/cases/?q={q}")
        assert page.status_code in (200, 400), (q, page.status_code)
        answer = api.get(f"/api/v1/cases/?q={q}")
        assert answer.status_code in (200, 400), (q, answer.status_code)
        if page.status_code == 200 and answer.status_code == 200:
            assert page.context["page"].paginator.count == answer.json()["count"], q
        assert HIDDEN not in page.content.decode()
        csv_answer = api.get(f"/api/v1/cases/?q={q}&format=csv")
        assert csv_answer.status_code in (200, 400), (q, csv_answer.status_code)


def test_a_search_of_more_than_the_carried_matches_falls_back_alike(api, client, db, monkeypatch):
    """Guard: past MATCHES_CARRIED the page tests the condition; either side of the limit the
    answers are the same (limit lowered so few cases suffice), with an at-risk case among
    the word matches."""
    guarded = PersonFactory(name="Limit Guarded", at_risk=True)
    hidden = CaseFactory(person=guarded, summary="limitword hidden", date="2000")
    shown = [CaseFactory(summary="limitword shown", date=f"{2001 + n}").pk for n in range(5)]
    answers = []
    for limit in (0, 4, 5, 6, 2000):
        monkeypatch.setattr(search, "MATCHES_CARRIED", limit)
        web = web_everything(client, "q=limitword")
        answers.append(web)
        assert web["ids"] == shown and hidden.pk not in web["ids"], limit
    assert all(a == answers[0] for a in answers)


# --- part 3: the CSV's array of ids ------------------------------------------------------------


def read(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode(), newline="")))


@pytest.mark.parametrize("query", ["", "q=kestrel", "q=Vantor+Guarded", "q=kestrel&ordering=-date",
                                   "q=kestrel&form=geographic&page=2&page_size=2", "page=3&page_size=2",
                                   "ordering=name&page_size=4&page=2", "q=zxqsummary", "agency=r27-search"])
def test_the_csv_is_the_json_list(api, searchable, query):
    """Guard: for the public and staff, the CSV's ids are the JSON page's, in order; the
    public CSV holds no marker and no withheld word."""
    staff = client_for(user_with("r27-csv-editor", *EDITOR))
    for reader, client in [("anonymous", api), ("staff", staff)]:
        rows = client.get(f"/api/v1/cases/?{query}&format=json").json()["results"]
        table = read(client.get(f"/api/v1/cases/?{query}&format=csv"))
        csv_ids = [int(line[table[0].index("id")]) for line in table[1:]]
        assert csv_ids == [r["id"] for r in rows], (reader, query)
        if reader == "anonymous":
            text = "\n".join(",".join(line) for line in table)
            for word in HIDDEN_WORDS:
                assert word.lower() not in text.lower(), (query, word)


def test_in_array_takes_large_and_many_ids(db):
    """Guard: InArray with big ids (past int4) and thousands of them."""
    from django.db.models import F

    from defections.ids import InArray

    case = CaseFactory()
    ids = [2**62, 2**31 + 5, case.pk, *range(10**6, 10**6 + 5000)]
    assert list(Case.objects.filter(InArray(F("pk"), ids)).values_list("pk", flat=True)) == [case.pk]
    assert list(Case.objects.filter(InArray(F("pk"), [case.pk])).values_list("pk", flat=True)) == [case.pk]
    assert not Case.objects.filter(InArray(F("pk"), [])).exists()
