"""Attack round 17: the new read path (rows, CSV), the sitemap, robots and page descriptions,
search in responses, filter chips, the early page cache, the publish requirements, source URL
keys and duplicate cases, probed for leaks, bypasses and 500s. A test marked xfail(strict)
is a finding (FINDING: ...); every other test is a guard that held."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.db import IntegrityError, transaction

from defections.models import Case, Response, Source
from tests.canary import (
    AT_RISK_NAME,
    CHANGED,
    CONTROL,
    DRAFT_AGENCY,
    SECRET_AGENCY,
    body_of,
    leaks,
    make_canary,
)
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import read_csv

pytest_plugins = ["tests.test_api_fixtures"]


@pytest.fixture
def canary(seeded):
    return make_canary()


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def no_leak(url, response, allowed=(200,)):
    assert response.status_code in allowed, (url, response.status_code)
    text = body_of(response)
    assert leaks(text) == [], f"{url} shows {leaks(text)}"
    return text


# --- the sitemap and robots ---------------------------------------------------------------------


def test_the_sitemap_points_only_at_pages_that_show_no_marker(client, canary):
    """Guard: every address of every sitemap section answers 200 without a marker; none is
    the at-risk person's or case's, the secret agency's or a hidden record's."""
    index = no_leak("/sitemap.xml", client.get("/sitemap.xml"))
    sections = [local(u) for u in re.findall(r"<loc>([^<]+)</loc>", index)]
    assert sections
    urls = set()
    for section in sections:
        text = no_leak(section, client.get(section))
        assert CHANGED.date().isoformat() not in text
        urls |= {local(u) for u in re.findall(r"<loc>([^<]+)</loc>", text)}
        urls |= {local(u) for u in re.findall(r'href="([^"]+)"', text)}
    at_risk = canary["at_risk"]
    assert at_risk.get_absolute_url() not in urls
    assert f"/people/{at_risk.person_id}/" not in urls
    assert f"/agencies/{canary['secret_agency'].pk}/" not in urls
    assert (
        canary["control"].get_absolute_url() in urls and "/ru" + canary["control"].get_absolute_url() in urls
    )
    for case in Case.objects.exclude(status="published"):
        assert case.get_absolute_url() not in urls
    for url in sorted(urls):
        no_leak(url, client.get(url))


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap-cases.xml?p=0",
        "/sitemap-cases.xml?p=abc",
        "/sitemap-cases.xml?p=99",
        "/sitemap-nothing.xml",
        "/sitemap-cases.xml?p=%00",
        "/sitemap-.xml",
        "/ru/sitemap.xml",
        "/robots.txt?x=%00",
        "/sitemap-cases.xml?p=" + "9" * 400,
    ],
)
def test_odd_sitemap_addresses_are_never_a_500(client, db, url):
    CaseFactory()
    assert client.get(url).status_code in (200, 301, 302, 400, 404)


def test_robots_keeps_crawlers_out_of_the_admin_and_names_the_sitemap(client, db):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text and "Disallow: /ru/admin/" in text
    assert re.search(r"^Sitemap: http://testserver/sitemap\.xml$", text, re.M)


# --- the instance-free API list and CSV path -------------------------------------------------------


ORDERINGS = ["-date", "name", "updated", "-updated", "nonsense"]


@pytest.mark.parametrize("lang", ["en", "ru", "all"])
def test_the_rows_path_shows_no_marker_in_any_order_language_or_format(api, canary, lang):
    """Guard: the rows path (JSON pages and CSV) in every ordering and language, every page."""
    seen = ""
    for ordering in ORDERINGS:
        for fmt in ("json", "csv"):
            url = f"/api/v1/cases/?lang={lang}&ordering={ordering}&format={fmt}&page_size=100"
            while url:
                response = api.get(url)
                text = no_leak(url, response, allowed=(200, 400))
                seen += text
                if response.status_code != 200:
                    break
                if fmt == "json":
                    url = response.json()["next"]
                else:
                    match = re.search(r"<([^>]+)>; rel=\"next\"", response.get("Link", ""))
                    url = match.group(1) if match else None
    assert CONTROL in seen and AT_RISK_NAME in seen


def test_the_at_risk_cases_hidden_change_time_never_moves_it(api, canary):
    """Guard: ordering by update (JSON pages and CSV alike) puts the at-risk case in the same
    place whatever its hidden change time is."""
    at_risk = canary["at_risk"]

    def orders():
        found = {}
        for ordering in ("updated", "-updated"):
            ids = [
                int(row["id"]) for row in read_csv(api.get(f"/api/v1/cases/?format=csv&ordering={ordering}"))
            ]
            json_ids, url = [], f"/api/v1/cases/?ordering={ordering}&page_size=100"
            while url:
                data = api.get(url).json()
                json_ids += [row["id"] for row in data["results"]]
                url = data["next"]
            assert ids == json_ids
            found[ordering] = ids.index(at_risk.pk)
        return found

    before = orders()
    Case.objects.filter(pk=at_risk.pk).update(updated_at=datetime(2099, 1, 1, tzinfo=UTC))
    assert orders() == before


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0&format=csv",
        "page_size=-1&format=csv",
        "page=0&format=csv",
        "page=abc&format=csv",
        "page_size=%00&format=csv",
        "page=99999999999&format=csv",
        "page_size=999999999999999999999&format=csv",
        "ordering=%00&format=csv",
        "lang=%00&format=csv",
        "q=" + "я" * 300 + "&format=csv",
        "agency=%00&format=csv",
        "year_min=1e9&format=csv",
        "page=99999",
        "fields=%00",
        "ordering=" + "-" * 500,
        "format=csv&lang=all&q=%F0%9F%92%A3",
    ],
)
def test_odd_queries_on_the_rows_path_are_never_a_500(api, db, query):
    CaseFactory()
    response = api.get(f"/api/v1/cases/?{query}")
    assert response.status_code in (200, 400, 404), (query, response.status_code)
    if response.streaming:
        b"".join(response.streaming_content)


# --- search in the responses' descriptions --------------------------------------------------------


@pytest.fixture
def said(db):
    """Response words: one in a published case, one in an at-risk case, one in a draft, one
    in a retracted case; each a word no other record has."""
    public = CaseFactory(summary="Public case.")
    Response.objects.create(
        case=public, kind="arrest", description="zorblatten warrant", description_ru="зорблаттен ордер"
    )
    guarded = CaseFactory(person=PersonFactory(at_risk=True, name="Said Guarded"))
    Response.objects.create(
        case=guarded, kind="arrest", description="quixotrope warrant", description_ru="квиксотроп ордер"
    )
    draft = CaseFactory(status="draft")
    Response.objects.create(
        case=draft, kind="arrest", description="plumbagine warrant", description_ru="плюмбагин ордер"
    )
    retracted = CaseFactory(status="retracted", retraction_note="Wrong.")
    Response.objects.create(case=retracted, kind="arrest", description="fennelgrove warrant")
    return {"public": public, "guarded": guarded, "draft": draft, "retracted": retracted}


@pytest.mark.parametrize("word", ["quixotrope", "квиксотроп", "plumbagine", "плюмбагин", "fennelgrove"])
def test_a_hidden_responses_words_find_nothing_anywhere(client, api, said, word):
    """Guard: the list, its API, the stats, the feed and the Russian list count nothing."""
    assert api.get("/api/v1/cases/", {"q": word}).json()["count"] == 0
    assert read_csv(api.get("/api/v1/cases/", {"q": word, "format": "csv"})) == []
    assert api.get("/api/v1/stats/", {"q": word}).json()["count"] == 0
    for url in ("/cases/", "/ru/cases/", "/cases/feed/"):
        page = client.get(url, {"q": word}).content.decode()
        for case in said.values():
            assert case.get_absolute_url() not in page, (url, word)


def test_the_common_word_of_every_response_finds_the_public_case_only(api, said):
    """Guard: "warrant" is in every response: only the public case is counted and listed
    (the at-risk one only if found by its name, which "warrant" is not)."""
    data = api.get("/api/v1/cases/", {"q": "warrant"}).json()
    assert [row["id"] for row in data["results"]] == [said["public"].pk]
    assert api.get("/api/v1/cases/", {"q": "ордер", "lang": "ru"}).json()["count"] == 1


# --- filter chips, titles and descriptions ------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_a_chip_or_title_never_names_a_hidden_agency(client, canary, prefix):
    """Guard: an agency only hidden records name, by slug or by id, is a 400 that does not
    name it, in the chips, the title, the description or the feed."""
    secret, draft = canary["secret_agency"], Case.objects.filter(status="draft").first().agency
    queries = [
        f"agency={secret.slug}",
        f"agency_id={secret.pk}",
        f"agency={draft.slug}",
        f"agency_id={draft.pk}",
        f"agency={secret.slug}&agency={draft.slug}&form=final",
    ]
    for query in queries:
        for path in ("/cases/", "/cases/feed/", "/analysis/"):
            url = f"{prefix}{path}?{query}"
            response = client.get(url)
            text = no_leak(url, response, allowed=(200, 400))
            assert SECRET_AGENCY not in text and DRAFT_AGENCY not in text
            if path == "/cases/":
                assert response.status_code == 400, url


def test_a_chip_for_a_public_agency_is_shown(client, canary):
    """Control for the test above: a public agency's chip names it."""
    agency = canary["control"].agency
    text = client.get(f"/cases/?agency={agency.slug}").content.decode()
    assert 'class="chip"' in text and agency.name in text


@pytest.mark.parametrize(
    "q",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "x" * 200,
        "' onmouseover='alert(1)",
        "\u202e\u0000evil",
    ],
)
def test_a_search_in_the_title_and_description_is_escaped(client, db, q):
    """Guard: the title and the Open Graph description repeat the search escaped."""
    CaseFactory()
    response = client.get("/cases/", {"q": q})
    assert response.status_code in (200, 400)
    head = response.content.decode().split("</head>")[0]
    assert "<script>alert" not in head and "<img src=x" not in head
    assert "content=\"' onmouseover" not in head
    for content in re.findall(r'<meta property="og:[a-z]+" content="([^"]*)"', head):
        assert "<" not in content


def test_the_og_description_of_an_at_risk_or_withheld_case_shows_nothing_hidden(client, canary):
    """Guard: the meta and Open Graph descriptions of the at-risk and withheld cases and
    people, in both languages."""
    for prefix in ("", "/ru"):
        for kind, record in [
            ("cases", canary["at_risk"]),
            ("people", canary["at_risk"].person),
            ("cases", canary["withheld"]),
            ("people", canary["withheld"].person),
        ]:
            url = f"{prefix}/{kind}/{record.pk}/"
            head = no_leak(url, client.get(url)).split("</head>")[0]
            assert 'property="og:description"' in head


# --- error pages --------------------------------------------------------------------------------


def test_a_hidden_record_is_as_missing_as_a_record_that_never_was(client, canary):
    """Guard: the 404 of a draft case, of the person, agency and source only drafts name, is
    the 404 of an id never used (only the address differs)."""
    draft = Case.objects.filter(status="draft").first()
    only = Source.objects.get(title__startswith="only CNRY-draft")
    missing = 10**9
    for kind, pk in [
        ("cases", draft.pk),
        ("people", draft.person_id),
        ("agencies", draft.agency_id),
        ("sources", only.pk),
    ]:
        hidden, never = client.get(f"/{kind}/{pk}/"), client.get(f"/{kind}/{missing}/")
        assert hidden.status_code == never.status_code == 404, kind
        assert hidden.content.decode().replace(str(pk), "N") == never.content.decode().replace(
            str(missing), "N"
        )


# --- the publish requirements and who may publish -----------------------------------------------


@pytest.mark.parametrize("blank", ["country_from", "verification", "classification"])
def test_an_editor_cannot_publish_a_blank_choice_by_csv(db, blank):
    """Guard: a CSV row publishing a case with a blank choice is a row error naming it, not
    a 500 nor a published case."""
    from defections.csv_io import import_cases
    from tests.test_admin_support import make_user

    editor = make_user("editor17", "Editor")
    person = PersonFactory(name="Blank Choice Person")
    source = SourceFactory(url="https://example.org/blank-choice")
    cells = {"country_from": "SU", "verification": "possible", "classification": "probable"}
    cells[blank] = ""
    data = (
        "person,form,date,status,summary,country_from,verification,classification,citations\n"
        f"{person.name},final,1999,published,Published blank.,{cells['country_from']},"
        f"{cells['verification']},{cells['classification']},{source.url}\n"
    )
    report = import_cases(data.encode(), editor, dry_run=False)
    assert not report.written
    assert not Case.objects.filter(summary="Published blank.").exists()
    assert any(blank in " ".join(row.errors) for row in report.rows), [row.errors for row in report.rows]


def test_a_researcher_cannot_publish_by_csv(db):
    """Guard: a researcher's CSV row with status published is refused."""
    from defections.csv_io import import_cases
    from tests.test_admin_support import make_user

    researcher = make_user("researcher17", "Researcher")
    person = PersonFactory(name="Researcher Publish Person")
    data = (
        "person,form,date,status,summary,country_from,verification,classification\n"
        f"{person.name},final,1999,published,Researcher published.,SU,possible,probable\n"
    )
    import_cases(data.encode(), researcher, dry_run=False)
    assert not Case.objects.filter(summary="Researcher published.", status="published").exists()


@pytest.mark.parametrize("blank", ["country_from", "verification", "classification"])
def test_the_api_refuses_to_publish_a_blank_choice_naming_it(db, blank):
    from django.contrib.auth.models import User

    from tests.test_api_fixtures import client_for

    boss = client_for(User.objects.create_superuser("boss17", password="a-long-test-password"))
    case = CaseFactory(status="draft")
    Case.objects.filter(pk=case.pk).update(**{blank: ""})
    response = boss.patch(f"/api/v1/cases/{case.pk}/", {"status": "published"}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert blank in response.json()


# --- duplicates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, second",
    [
        ("https://example.org/report?a=1&b=2", "https://example.org/report?b=2&a=1"),
        ("https://xn--e1afmkfd.com/report", "https://пример.com/report"),
        ("https://example.org/report", "https://example.org/./report"),
        ("https://example.org/report", "https://example.org/%72eport"),
    ],
)
def test_finding_a_source_url_written_another_way_is_refused(db, first, second):
    # Was a FINDING: defections_url_key (migration 0032) folded case, www, ports, trailing
    # slashes and utm_ parameters, but not the order of query parameters, an IDN host in Unicode
    # against its punycode, dot segments or percent-encoded unreserved characters. Migration
    # 0034 folds them (invariants.URL_KEY); this is now a guard.
    SourceFactory(url=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(url=second)


@pytest.mark.parametrize(
    "first, second",
    [
        ("https://example.org/report", "HTTP://WWW.Example.ORG:443/report/"),
        ("https://example.org/report?x=1", "https://example.org/report?x=1&utm_source=mail#top"),
        ("https://example.org/report", "https://example.org/report?"),
        ("https://example.org/report", " http://example.org:80/report// "),
    ],
)
def test_a_source_url_written_another_way_is_refused(db, first, second):
    """Guard: the ways the URL key does fold."""
    SourceFactory(url=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(url=second.strip())


def test_finding_the_csv_import_warns_of_a_duplicate_case(db):
    # FINDING: duplicates.py says the CSV import asks "the one question" before making a case,
    # but import_row never calls similar_cases: a row with the same person, form and year as a
    # case already entered is written as a second case, silently (the admin form and the API
    # both stop it until "Not a duplicate" / save_anyway).
    from defections.csv_io import import_cases
    from tests.test_admin_support import make_user

    researcher = make_user("researcher17d", "Researcher")
    existing = CaseFactory(status="draft", form="final", date="1999")
    data = f"person,form,date,summary\n{existing.person.name},final,1999,The same act again.\n"
    report = import_cases(data.encode(), researcher, dry_run=False)
    assert Case.objects.filter(person=existing.person, form="final").count() == 1, report.rows[0].notes


def test_the_api_warns_when_a_case_is_moved_onto_another(db):
    """Guard: a PATCH moving a case's date onto a sibling's is a 400 under save_anyway."""
    from django.contrib.auth.models import User

    from tests.test_api_fixtures import client_for

    boss = client_for(User.objects.create_superuser("boss17d", password="a-long-test-password"))
    first = CaseFactory(status="draft", form="final", date="2001")
    second = CaseFactory(status="draft", form="final", date="1990", person=first.person)
    response = boss.patch(f"/api/v1/cases/{second.pk}/", {"date": "March 2001"}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert f"#{first.pk}" in str(response.json()["save_anyway"])


# --- the early page cache (over real HTTP; the tests commit: nothing is cached in a transaction) ---


def fetch(url, method="GET", headers=None):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


@pytest.fixture
def early(version_row, settings):
    settings.EARLY_CACHE_MARK = True


def session_cookie(username: str, group: str) -> str:
    from django.test import Client

    from tests.test_admin_support import make_user

    client = Client()
    client.force_login(make_user(username, group))
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.django_db(transaction=True)
def test_a_head_first_does_not_keep_an_empty_page_for_a_get(live_server, early):
    """Guard: HEAD and GET share the key; a HEAD that fills it must not leave a GET bodiless."""
    case = CaseFactory(summary="Head first.")
    url = live_server.url + case.get_absolute_url()
    assert fetch(url, "HEAD")[0] == 200
    assert fetch(url, "HEAD")[1].get("X-Early-Cache") == "hit"
    status, headers, body = fetch(url)
    assert status == 200 and headers.get("X-Early-Cache") == "hit" and "Head first." in body


@pytest.mark.django_db(transaction=True)
def test_accept_language_neither_fills_nor_reads_another_languages_page(live_server, early):
    """Guard: the language is the address's: / asked with Accept-Language: ru is English,
    and /ru/ asked in English is Russian, hit or miss."""
    case = CaseFactory(summary="Language guard.")
    for path, language in [(case.get_absolute_url(), "en"), (f"/ru/cases/{case.pk}/", "ru")]:
        other = "ru" if language == "en" else "en"
        first = fetch(live_server.url + path, headers={"Accept-Language": other})
        second = fetch(live_server.url + path)
        third = fetch(live_server.url + path, headers={"Accept-Language": other})
        for status, headers, _ in (first, second, third):
            assert status == 200 and headers["Content-Language"] == language, (path, headers)
        assert third[1].get("X-Early-Cache") == "hit"


@pytest.mark.django_db(transaction=True)
def test_a_withheld_field_staff_read_is_never_served_early_to_the_public(live_server, early):
    """Guard: an editor's view of a case with a withheld role (which shows it) is never
    answered to a reader with no cookie, before or after a public visit."""
    from defections.models import Withholding

    case = CaseFactory(role="EARLY-withheld-role-q9")
    Withholding.objects.create(case=case, field="role", reason="Safety.")
    cookie = session_cookie("early-editor17", "Editor")
    for path in (f"/cases/{case.pk}/", f"/ru/cases/{case.pk}/"):
        url = live_server.url + path
        assert "EARLY-withheld-role-q9" in fetch(url, headers={"Cookie": cookie})[2], path
        for _ in range(2):
            status, headers, body = fetch(url)
            assert status == 200 and "EARLY-withheld-role-q9" not in body, path
        assert headers.get("X-Early-Cache") == "hit"
        assert "EARLY-withheld-role-q9" in fetch(url, headers={"Cookie": cookie})[2], path


@pytest.mark.django_db(transaction=True)
def test_a_withholding_added_after_a_page_was_kept_hides_the_field_at_once(live_server, early):
    """Guard: a new withholding is a write: the next early answer is rendered again."""
    from defections.models import Withholding

    case = CaseFactory(place="EARLY-place-z3")
    url = live_server.url + f"/cases/{case.pk}/"
    assert "EARLY-place-z3" in fetch(url)[2]
    assert fetch(url)[1].get("X-Early-Cache") == "hit"
    Withholding.objects.create(case=case, field="place", reason="Safety.")
    status, headers, body = fetch(url)
    assert status == 200 and "EARLY-place-z3" not in body and "X-Early-Cache" not in headers


@pytest.mark.django_db(transaction=True)
def test_a_case_made_at_risk_leaves_no_early_page_with_its_details(live_server, early):
    """Guard: marking the person at risk (a write to another table) drops the kept page."""
    case = CaseFactory(summary="EARLY-summary-at-risk-k4")
    urls = [
        live_server.url + p
        for p in (
            f"/cases/{case.pk}/",
            "/cases/",
            f"/people/{case.person_id}/",
            "/cases/feed/",
            "/sitemap-cases.xml",
        )
    ]
    for url in urls:
        fetch(url)
        fetch(url)
    type(case.person).objects.filter(pk=case.person_id).update(at_risk=True)
    for url in urls:
        status, _, body = fetch(url)
        assert status == 200 and "EARLY-summary-at-risk-k4" not in body, url


@pytest.mark.django_db(transaction=True)
def test_an_early_answer_has_the_security_headers_of_a_normal_one_for_every_kind_of_page(live_server, early):
    """Guard: list, search, 400, retracted (410), feed and sitemap pages answered early carry
    the security headers."""
    case = CaseFactory()
    retracted = CaseFactory(status="retracted", retraction_note="Wrong.")
    for path in [
        "/",
        "/cases/",
        "/cases/?form=nonsense",
        f"/cases/{retracted.pk}/",
        "/ru/cases/?q=x",
        f"/people/{case.person_id}/",
        "/about/",
        "/sitemap.xml",
        "/robots.txt",
        "/cases/feed/",
    ]:
        url = live_server.url + path
        _, first, _ = fetch(url)
        status, second, _ = fetch(url)
        for name in (
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
        ):
            assert second.get(name) == first.get(name) and name in second, (path, name)


# --- a person with public and hidden cases -------------------------------------------------------

MIXED = {
    "draft": "MIXED-draft-summary-p1",
    "source": "MIXED-draft-only-source-p2",
    "response_source": "MIXED-draft-response-source-p3",
    "review": "MIXED-review-role-p4",
    "ru": "MIXED-ru-draft-p5",
    "affiliation": "MIXED-hidden-affiliation-source-p6",
}


@pytest.fixture
def mixed(db):
    """One person: a published case, a draft and a case in review, each hidden one citing a
    source no public record cites."""
    from defections.models import Affiliation, Citation

    person = PersonFactory(name="Mixed Person")
    public = CaseFactory(person=person, summary="Mixed public case.", date="1985", form="final")
    Citation.objects.create(case=public, source=SourceFactory(title="Mixed public source"))
    draft = CaseFactory(
        person=person,
        status="draft",
        summary=MIXED["draft"],
        summary_ru=MIXED["ru"],
        date="1991",
        form="geographic",
    )
    Citation.objects.create(case=draft, source=SourceFactory(title=MIXED["source"]), locator="p. 9")
    response = Response.objects.create(case=draft, kind="arrest", description="mixed draft response")
    Citation.objects.create(response=response, source=SourceFactory(title=MIXED["response_source"]))
    review = CaseFactory(
        person=person, status="review", role=MIXED["review"], date="1995", form="articulated"
    )
    affiliation = Affiliation.objects.create(person=person, agency=AgencyFactory(), role="clerk", date="1980")
    Citation.objects.create(affiliation=affiliation, source=SourceFactory(title=MIXED["affiliation"]))
    return {"person": person, "public": public, "draft": draft, "review": review}


def test_a_persons_hidden_cases_and_their_sources_stay_hidden(client, api, mixed):
    """Guard: the person page (their cases, their sources), the public case's page (related
    cases) and the API show neither the draft nor the case in review, nor what only they cite."""
    person, public = mixed["person"], mixed["public"]
    hidden = [MIXED["draft"], MIXED["source"], MIXED["response_source"], MIXED["review"], MIXED["ru"]]
    urls = [
        f"/people/{person.pk}/",
        f"/ru/people/{person.pk}/",
        f"/cases/{public.pk}/",
        f"/ru/cases/{public.pk}/",
        f"/api/v1/people/{person.pk}/?lang=all",
        f"/api/v1/cases/{public.pk}/?lang=all",
        "/api/v1/cases/?lang=all",
        "/api/v1/cases/?format=csv&lang=all",
        "/sources/",
        "/api/v1/sources/",
        "/sitemap-sources.xml",
        "/cases/?q=mixed",
        "/api/v1/stats/",
    ]
    seen = ""
    for url in urls:
        response = client.get(url) if not url.startswith("/api/") else api.get(url)
        assert response.status_code == 200, url
        text = body_of(response)
        seen += text
        assert [marker for marker in hidden if marker in text] == [], url
        for case in (mixed["draft"], mixed["review"]):
            assert f"/cases/{case.pk}/" not in text, (url, case.status)
    assert "Mixed public source" in seen and "Mixed public case." in seen


# --- searching an at-risk or withheld person's other names --------------------------------------


@pytest.fixture
def guarded_names(db):
    from defections.models import PersonAlias, Withholding

    control = CaseFactory(person=PersonFactory(name="Open Control"), summary="Open control case.")
    guarded = PersonFactory(name="Guarded Display", at_risk=True, native_name="Квархов Зеболон")
    PersonAlias.objects.create(person=guarded, name="Zebulon Kvarkhov")
    at_risk = CaseFactory(person=guarded, role="zincographer", summary="A xylographic defection.")
    kept = PersonFactory(name="Kept Display", native_name="Мёрквинский Арсений")
    withheld = CaseFactory(person=kept, summary="A withheld case.")
    Withholding.objects.create(person=kept, field="native_name", reason="Safety.")
    return {"control": control, "at_risk": at_risk, "withheld": withheld}


@pytest.mark.parametrize(
    "q, key",
    [
        ("Zebulon Kvarkhov", "at_risk"),
        ("Zebulon Kwarchow", "at_risk"),
        ("Sebulon Kvarchov", "at_risk"),
        ("Квархов", "at_risk"),
        ("Kvarkhov", "at_risk"),
        ("Kwarkhov", "at_risk"),
        ("xylographic", "at_risk"),
        ("zincographer", "at_risk"),
        ("Мёрквинский", "withheld"),
        ("Merkvinskiy", "withheld"),
        ("Myorkvinsky", "withheld"),
        ("Mjorkwinskij", "withheld"),
    ],
)
def test_a_hidden_name_found_by_another_spelling_finds_nothing(client, api, guarded_names, q, key):
    """Guard: an at-risk person's alias, native name, summary or role, and a withheld native
    name, in any transliteration, find nothing (API count, stats and the page)."""
    case = guarded_names[key]
    data = api.get("/api/v1/cases/", {"q": q}).json()
    assert case.pk not in [row["id"] for row in data["results"]], q
    assert api.get("/api/v1/stats/", {"q": q}).json()["count"] == data["count"]
    for url in ("/cases/", "/ru/cases/"):
        assert f"/cases/{case.pk}/" not in client.get(url, {"q": q}).content.decode(), (url, q)
    people = api.get("/api/v1/people/", {"q": q}).json()
    assert case.person_id not in [row["id"] for row in people["results"]], q


# --- duplicate people through the API, publishing without an editor ------------------------------


@pytest.mark.parametrize("name", ["Oleg Gordievsky", "Oleg Gordievskiy", "oleg  gordievsky"])
def test_finding_the_api_warns_of_a_person_already_entered(researcher, name):
    # FINDING: duplicates.py is "the one question the admin form, the API and the CSV import
    # ask before making a person", but PersonSerializer never asks it (only forms.py and
    # csv_io.py call similar_people): POST /api/v1/people/ with the name of a person already
    # entered, exactly or in another transliteration, is a 201 and a second person, where the
    # admin form warns and the CSV import refuses the row.
    from defections.models import Person

    PersonFactory(name="Oleg Gordievsky")
    response = researcher.post("/api/v1/people/", {"name": name}, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert Person.objects.filter(name__iexact=name.replace("  ", " ")).count() <= 1


def test_the_csv_import_refuses_a_close_name_for_a_new_person(db):
    """Guard (the CSV half of the finding above): a close spelling is a row error."""
    from defections.csv_io import import_cases
    from tests.test_admin_support import make_user

    PersonFactory(name="Oleg Gordievsky")
    report = import_cases(
        b"person,form,date\nOleg Gordievskiy,final,1985\n", make_user("r17p", "Researcher"), dry_run=False
    )
    assert not report.written and "Gordievsky" in " ".join(report.rows[0].errors)


@pytest.mark.parametrize("status", ["published", "retracted"])
def test_a_researcher_cannot_publish_through_the_api(researcher, status):
    """Guard: a researcher's POST or PATCH to a published (or retracted) status is refused."""
    source = SourceFactory()
    body = {
        "person": PersonFactory().pk,
        "form": "final",
        "date": "1999",
        "status": status,
        "summary": "Researcher publishes.",
        "country_from": "SU",
        "verification": "possible",
        "classification": "probable",
        "citations": [{"source": source.pk, "locator": "p. 1"}],
    }
    created = researcher.post("/api/v1/cases/", body, format="json")
    assert created.status_code in (400, 403), created.content[:300]
    draft = CaseFactory(status="draft")
    patched = researcher.patch(f"/api/v1/cases/{draft.pk}/", {"status": status}, format="json")
    assert patched.status_code in (400, 403), patched.content[:300]
    assert not Case.objects.filter(summary="Researcher publishes.").exists()
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- odd input on the new pages, chips and titles -------------------------------------------------

ODD_PAGES = [
    "/people/99999999999999999999/",
    "/sources/99999999999999999999/",
    "/agencies/99999999999999999999/",
    "/cases/99999999999999999999/",
    "/cases/99999999999999999999/citation.json/",
    "/ru/people/0/",
    "/cases/?agency_id=99999999999999999999",
    "/cases/?agency_id=-1",
    "/cases/?agency_id=%00",
    "/cases/?agency_id=1e3",
    "/cases/?agency=%00",
    "/cases/?agency=" + "x" * 5000,
    "/cases/?form=final&form=final&form=%00",
    "/cases/?year_min=99999999999999999999",
    "/cases/?year_min=2000&year_max=1000",
    "/cases/?motive=" + "%F0%9F%92%A3" * 50,
    "/cases/?period=%00&destination_country=ZZ",
    "/cases/?updated_after=9999-99-99",
    "/cases/?updated_after=2020-01-01T00:00:00%2B99:00",
    "/cases/?q=%00%00",
    "/cases/?q=" + "%D0" * 3,
    "/cases/?contested=%00",
    "/cases/?response=%00",
    "/cases/?verification=" + "a" * 3000,
    "/ru/cases/?agency_kind=%00&status=draft",
    "/cases/feed/?q=" + "я" * 250,
    "/analysis/?agency_id=%00",
    "/cases/?page=%00&page_size=%00&ordering=%00",
    "/cases/?q=" + "\u202e" * 100,
]


@pytest.mark.parametrize("url", ODD_PAGES)
def test_odd_input_on_the_pages_is_never_a_500(client, db, url):
    CaseFactory()
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


@pytest.mark.django_db(transaction=True)
def test_a_withholding_that_lapses_overnight_is_not_kept_early(live_server, early):
    """Guard: a withholding ending tomorrow hides the field today, early or not, and the
    first request of the next day shows it, though nothing was written."""
    from datetime import date, timedelta

    import time_machine

    from defections.models import Withholding

    case = CaseFactory(place="EARLY-lapsing-place-w2")
    url = live_server.url + f"/cases/{case.pk}/"
    with time_machine.travel(datetime(2030, 5, 5, 12, tzinfo=UTC), tick=True):
        Withholding.objects.create(case=case, field="place", reason="Safety.", until=date(2030, 5, 6))
        assert "EARLY-lapsing-place-w2" not in fetch(url)[2]
        status, headers, body = fetch(url)
        assert headers.get("X-Early-Cache") == "hit" and "EARLY-lapsing-place-w2" not in body
    with time_machine.travel(datetime(2030, 5, 6, 0, 0, 1, tzinfo=UTC) + timedelta(seconds=1), tick=True):
        status, headers, body = fetch(url)
        assert status == 200 and "EARLY-lapsing-place-w2" in body


# --- the replica router and the change feed (a REAL streaming replica: tests/test_replicas.py) ----

from tests.test_replicas import WITH_REPLICA, caught_up, on_replica, replica, replica_server  # noqa: E402, F401


@WITH_REPLICA
def test_finding_a_lagging_replica_never_loses_a_change_from_the_feed(live_server, replica):  # noqa: F811
    # FINDING: GET /api/v1/changes/ is a public read, so ReadReplicaMiddleware gives it the
    # replica; catch_up() deletes the change marks on the primary (raw SQL) but reads the
    # records and their last states through the ORM, i.e. from the replica. With the replica
    # behind, it reads the records as they were before the write, sees no change, and the
    # marks are gone: when the replica catches up nothing marks the record again, and the
    # feed never reports the update (a mirror following it keeps the old record for ever).
    import json

    case = CaseFactory(summary="Feed before.")
    other = CaseFactory(summary="Sync 0.")
    status, _, body = fetch(live_server.url + "/api/v1/changes/")
    assert status == 200, body
    until = json.loads(body)["until"]
    Case.objects.filter(pk=other.pk).update(summary="Sync 1.")
    caught_up(replica, other, "Sync 1.")  # the replica has the feed's start and every state
    status, _, body = fetch(live_server.url + "/api/v1/changes/")
    until = json.loads(body)["until"]
    on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        Case.objects.filter(pk=case.pk).update(summary="Feed after.")
        assert fetch(live_server.url + "/api/v1/changes/")[0] == 200  # read while the replica lags
    finally:
        on_replica(replica, "SELECT pg_wal_replay_resume()")
    caught_up(replica, case, "Feed after.")
    status, _, body = fetch(live_server.url + f"/api/v1/changes/?since={until.replace('+', '%2B')}")
    assert status == 200, body
    assert case.pk in [entry["id"] for entry in json.loads(body)["results"]], body


@WITH_REPLICA
def test_the_change_feed_reports_a_write_once_the_replica_has_it(live_server, replica):  # noqa: F811
    """Control for the finding above: the same steps with the replica replaying at once
    report the update."""
    import json

    case = CaseFactory(summary="Feed before.")
    other = CaseFactory(summary="Sync 0.")
    assert fetch(live_server.url + "/api/v1/changes/")[0] == 200
    Case.objects.filter(pk=other.pk).update(summary="Sync 1.")
    caught_up(replica, other, "Sync 1.")
    until = json.loads(fetch(live_server.url + "/api/v1/changes/")[2])["until"]
    Case.objects.filter(pk=case.pk).update(summary="Feed after.")
    caught_up(replica, case, "Feed after.")
    assert fetch(live_server.url + "/api/v1/changes/")[0] == 200
    status, _, body = fetch(live_server.url + f"/api/v1/changes/?since={until.replace('+', '%2B')}")
    assert status == 200, body
    assert case.pk in [entry["id"] for entry in json.loads(body)["results"]], body


@WITH_REPLICA
def test_finding_a_lagging_replica_never_restarts_the_change_feed(live_server, replica):  # noqa: F811
    # FINDING: catch_up() reads ChangeFeed (pk=1) from the request's replica. While the
    # replica has not replayed the feed's first row, every public call finds no feed and
    # saves a new one over it: `started` moves on, the changes in between are only noted,
    # never logged, and a mirror asking with the `until` it was given gets 410 "The feed
    # starts later than `since`" and must read every list again.
    import json

    case = CaseFactory(summary="Restart before.")
    caught_up(replica, case, "Restart before.")
    on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        status, _, body = fetch(live_server.url + "/api/v1/changes/")
        assert status == 200, body
        until = json.loads(body)["until"]
        Case.objects.filter(pk=case.pk).update(summary="Restart after.")
        assert fetch(live_server.url + "/api/v1/changes/")[0] == 200
    finally:
        on_replica(replica, "SELECT pg_wal_replay_resume()")
    caught_up(replica, case, "Restart after.")
    status, _, body = fetch(live_server.url + f"/api/v1/changes/?since={until.replace('+', '%2B')}")
    assert status == 200, body
    assert case.pk in [entry["id"] for entry in json.loads(body)["results"]], body
