"""Attack round 16: the bilingual paths (Russian columns, /ru/ pages, ?lang=) probed for
leaks, lost writes and 500s. Each test names the defect it pins."""

import pytest
from django.contrib.auth.models import User

from defections.models import Affiliation, Case, Withholding
from tests.factories import AgencyFactory, CaseFactory, PersonFactory
from tests.test_api_fixtures import client_for, read_csv

pytest_plugins = ["tests.test_api_fixtures"]

ROLE_RU = {"at_risk": "АТАКАроль-риск-x1", "withheld": "АТАКАроль-удержана-x2",
           "draft": "АТАКАроль-черновик-x3", "career": "АТАКАдолжность-риск-x4"}


@pytest.fixture
def boss(db):
    return client_for(User.objects.create_superuser("boss16", password="a-long-test-password"))


@pytest.fixture
def hidden_roles(db):
    """role_ru markers in records the public must not read: an at-risk person's case and
    career, a published case whose role is withheld, a draft."""
    agency = AgencyFactory(name="Probe Agency")
    control = CaseFactory(summary="Control case.", role="analyst", role_ru="аналитик")
    guarded = PersonFactory(at_risk=True, name="Probe Guarded")
    at_risk = CaseFactory(role_ru=ROLE_RU["at_risk"], person=guarded)
    Affiliation.objects.create(person=at_risk.person, agency=agency, role_ru=ROLE_RU["career"], date="1999")
    withheld = CaseFactory(role="officer", role_ru=ROLE_RU["withheld"])
    Withholding.objects.create(case=withheld, field="role", reason="Safety.")
    draft = CaseFactory(status="draft", role_ru=ROLE_RU["draft"])
    return {"control": control, "at_risk": at_risk, "withheld": withheld, "draft": draft}


def leaked(text):
    return [marker for marker in ROLE_RU.values() if marker in text]


@pytest.mark.parametrize("lang", ["ru", "all", "en"])
def test_no_hidden_russian_role_reaches_the_api(api, hidden_roles, lang):
    """Guard (the canary has no role_ru markers): role_ru was added after it."""
    seen = ""
    for url in ["/api/v1/cases/", "/api/v1/people/", "/api/v1/affiliations/", "/api/v1/agencies/",
                f"/api/v1/cases/{hidden_roles['at_risk'].pk}/",
                f"/api/v1/cases/{hidden_roles['withheld'].pk}/",
                f"/api/v1/people/{hidden_roles['at_risk'].person.pk}/"]:
        response = api.get(url, {"lang": lang})
        assert response.status_code == 200, url
        seen += response.content.decode()
    csv = api.get("/api/v1/cases/", {"lang": lang, "format": "csv"})
    seen += str(read_csv(csv))
    assert "аналитик" in seen or "analyst" in seen
    assert leaked(seen) == []


@pytest.mark.parametrize("marker", ["at_risk", "withheld", "draft"])
def test_a_search_for_a_hidden_russian_role_finds_nothing(client, api, hidden_roles, marker):
    """Guard: the Russian role is in the search vector ('russian'); hidden ones must not match."""
    word = ROLE_RU[marker]
    page = client.get("/ru/cases/", {"q": word})
    assert page.status_code == 200
    assert hidden_roles[marker].get_absolute_url() not in page.content.decode()
    listed = api.get("/api/v1/cases/", {"q": word, "lang": "ru"}).json()
    assert listed["count"] == 0
    control = api.get("/api/v1/cases/", {"q": "аналитик", "lang": "ru"}).json()
    assert [c["id"] for c in control["results"]] == [hidden_roles["control"].pk]


def test_no_hidden_russian_role_on_the_russian_pages(client, hidden_roles):
    seen = ""
    for url in ["/ru/cases/", "/ru/people/", "/ru/cases/feed/", "/ru/agencies/",
                f"/ru/cases/{hidden_roles['at_risk'].pk}/", f"/ru/cases/{hidden_roles['withheld'].pk}/",
                f"/ru/people/{hidden_roles['at_risk'].person.pk}/",
                f"/ru/cases/{hidden_roles['withheld'].pk}/citation.json/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += response.content.decode()
    assert leaked(seen) == []


def test_a_russian_withholding_reason_written_through_the_api_is_kept(boss, db):
    case = CaseFactory(status="draft")
    response = boss.patch(f"/api/v1/cases/{case.pk}/?lang=en", {"withheld": [
        {"field": "role", "reason": "Safety.", "reason_ru": "Безопасность."}]}, format="json")
    assert response.status_code == 200, response.content
    assert Withholding.objects.get(case=case).reason_ru == "Безопасность."


def test_a_reworded_russian_withholding_reason_is_kept(boss, db):
    case = CaseFactory(status="draft")
    Withholding.objects.create(case=case, field="role", reason="Safety.", reason_ru="Старое.")
    response = boss.patch(f"/api/v1/cases/{case.pk}/?lang=all", {"withheld": [
        {"field": "role", "reason_en": "Safety.", "reason_ru": "Новое."}]}, format="json")
    assert response.status_code == 200, response.content
    assert Withholding.objects.get(case=case).reason_ru == "Новое."


@pytest.mark.parametrize("field", ["role_ru", "summary_ru"])
def test_a_long_russian_text_is_a_400_or_kept(boss, db, field):
    case = CaseFactory(status="draft")
    response = boss.patch(f"/api/v1/cases/{case.pk}/", {field: "я" * 100_000}, format="json")
    assert response.status_code in (200, 400), response.content[:300]


def test_a_long_russian_career_role_is_a_400(boss, db):
    person = PersonFactory()
    agency = AgencyFactory()
    response = boss.post("/api/v1/affiliations/", {"person": person.pk, "agency": agency.pk,
                                                   "role_ru": "я" * 500, "date": "1999"}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "role_ru" in response.json()


@pytest.mark.parametrize("marker", ["at_risk", "withheld"])
def test_counts_do_not_answer_a_search_for_a_hidden_russian_role(api, hidden_roles, marker):
    """Guard: /stats/ counts the same search the list answers."""
    stats = api.get("/api/v1/stats/", {"q": ROLE_RU[marker], "lang": "ru"})
    assert stats.status_code == 200
    assert stats.json()["count"] == 0


def test_a_staff_visit_in_russian_is_not_served_to_the_public(client, hidden_roles):
    """Guard: a page staff saw at /ru/ (with the withheld Russian role) is not cached for all."""
    from tests.test_admin_support import make_user

    staff = make_user("staff16", "Editor")
    client.force_login(staff)
    url = f"/ru/cases/{hidden_roles['withheld'].pk}/"
    assert ROLE_RU["withheld"] in client.get(url).content.decode()
    client.logout()
    assert ROLE_RU["withheld"] not in client.get(url).content.decode()


def test_an_agency_is_found_by_its_russian_name(api, db):
    """Search in both languages: an agency searched by its Russian name (name_ru) is found,
    as on /ru/ it is shown by that name."""
    agency = AgencyFactory(name="Central Intelligence Agency", acronym="CIA", native_name="",
                           name_ru="Центральное разведывательное управление")
    CaseFactory(agency=agency)
    found = api.get("/api/v1/agencies/", {"q": "разведывательное", "lang": "ru"}).json()
    assert [a["id"] for a in found["results"]] == [agency.pk]


@pytest.mark.parametrize("header", ["ru;q=abc", "ru-" + "x" * 600, "*;q=0.5,ru", "ру", "\x00ru",
                                    "ru;q=1e999", ",,,;;;", "en;q=0,ru;q=0"])
def test_odd_accept_language_is_never_a_500(client, api, db, header):
    CaseFactory()
    for url in ["/api/v1/cases/", "/cases/", "/ru/cases/", "/api/v1/stats/"]:
        response = (api if url.startswith("/api") else client).get(url, HTTP_ACCEPT_LANGUAGE=header)
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("value", ["ru\x00", "ALL", "ru-RU", "en_GB", "ru" * 1000, "рус", "all,ru"])
def test_odd_lang_values_are_a_200_or_a_400_naming_lang(api, db, value):
    response = api.get("/api/v1/cases/", {"lang": value})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert list(response.json()) == ["lang"]


def test_a_long_russian_role_in_a_csv_import_is_a_row_error(db):
    from defections.csv_io import import_cases

    boss = User.objects.create_superuser("boss16csv", password="a-long-test-password")
    data = "person,form,role_ru,status\nSomeone New,geographic," + "я" * 300 + ",draft\n"
    report = import_cases(data.encode(), boss, dry_run=False)
    assert not report.ok
    assert not Case.objects.exists()


def test_a_researcher_cannot_change_a_published_russian_summary_by_csv(db):
    from defections.csv_io import import_cases
    from tests.test_admin_support import make_user

    researcher = make_user("researcher16", "Researcher")
    case = CaseFactory(summary_ru="Исходный текст.")
    data = (f"id,person,form,summary,summary_ru\n{case.pk},{case.person.name},{case.form},"
            f"{case.summary},Подменённый текст.\n")
    import_cases(data.encode(), researcher, dry_run=False)
    case.refresh_from_db()
    assert case.summary_ru == "Исходный текст."


def test_a_researcher_cannot_change_a_published_russian_role_through_the_api(db):
    from tests.test_api_fixtures import RESEARCHER, user_with

    researcher = client_for(user_with("researcher16api", *RESEARCHER))
    case = CaseFactory(role_ru="Исходная.")
    for body in [{"role_ru": "Подменённая."}, {"summary_ru": "Подменённый."}, {"retraction_note_ru": "x"}]:
        response = researcher.patch(f"/api/v1/cases/{case.pk}/?lang=ru", body, format="json")
        assert response.status_code in (403, 400), (body, response.status_code)
    case.refresh_from_db()
    assert (case.role_ru, case.summary_ru, case.retraction_note_ru) == ("Исходная.", "", "")


@pytest.mark.parametrize("item_id", [2**70, -1, 0, "1", 1.5])
def test_an_odd_nested_response_id_in_a_russian_write_is_a_400(boss, db, item_id):
    case = CaseFactory(status="draft")
    response = boss.patch(f"/api/v1/cases/{case.pk}/?lang=ru", {"responses": [
        {"id": item_id, "kind": "arrest", "description_ru": "Арест."}]}, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])


@pytest.mark.parametrize("body", [{"summary_ru": "a\x00b"}, {"role_ru": "a\x00b"},
                                  {"responses": [{"kind": "arrest", "description_ru": "a\x00b"}]},
                                  {"withheld": [{"field": "role", "reason_en": "x", "reason_ru": "a\x00b"}]},
                                  {"summary_en": None}, {"summary_ru": None}, {"summary_ru": ["x"]},
                                  {"summary_en": "x", "summary": "y"}])
def test_odd_russian_writes_are_a_400(boss, db, body):
    case = CaseFactory(status="draft")
    response = boss.patch(f"/api/v1/cases/{case.pk}/?lang=all", body, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])


@pytest.mark.parametrize("url", ["/ru/cases/?q=" + "я" * 5000, "/ru/cases/feed/?q=перебежчик&lang=xx",
                                 "/ru/cases/?q=%D0", "/ru/people/?q=" + "ё" * 300,
                                 "/api/v1/cases/?lang=ru&format=csv&q=перебежчик",
                                 "/ru/cases/?agency=%D1%84%D1%81%D0%B1"])
def test_odd_russian_queries_are_never_a_500(client, api, db, url):
    CaseFactory(summary_ru="Перебежчик.")
    response = (api if url.startswith("/api") else client).get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_a_russian_citation_does_not_pass_an_english_summary_off_as_russian(client, db):
    """A fallback is marked, never silent (defections/languages.py): a case with no Russian
    summary, cited from /ru/, must not give its English summary as the abstract of an item
    whose language is Russian (a reference manager files it as Russian text)."""
    case = CaseFactory(summary="Left for the West.", summary_ru="")
    response = client.get(f"/ru/cases/{case.pk}/citation.json/")
    assert response.status_code == 200
    item = response.json()[0]
    assert not (item.get("abstract") == "Left for the West." and item.get("language") == "ru"), item


def test_the_russian_feed_marks_an_english_summary_standing_in(client, db):
    """The Russian feed (xml:lang ru) gives a case's English summary, when it has no Russian
    one, as if it were Russian: the fallback is silent there, unlike on every page."""
    CaseFactory(summary="Left for the West.", summary_ru="")
    body = client.get("/ru/cases/feed/").content.decode()
    assert "Left for the West." in body
    assert "Перевода пока нет; показано на английском." in body or 'lang="en"' in body


@pytest.mark.parametrize("url", ["/api/v1/schema/", "/api/v1/stats/", "/api/v1/analysis/",
                                 "/api/v1/changes/", "/api/v1/periods/", "/api/v1/cases/999999/"])
@pytest.mark.parametrize("lang", ["xx", "all", "ru"])
def test_every_api_address_takes_lang_without_a_500(api, db, url, lang):
    """Guard: ?lang= on the endpoints beside the viewsets (a bad one a 400, never a 500)."""
    response = api.get(url, {"lang": lang})
    assert response.status_code < 500, (url, lang, response.status_code)
    if lang == "xx":
        assert response.status_code == 400, (url, response.status_code)


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/nowhere/", "/api/v1/cases/0.5/"])
def test_lang_wins_on_every_api_address(api, db, url):
    """?lang=ru wins over Accept-Language on the whole API (README), but the API root and the
    catch-all 404 ignore it and answer in English."""
    response = api.get(url, {"lang": "ru"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.get("Content-Language") == "ru", (url, response.get("Content-Language"))


def test_a_bad_lang_on_the_api_root_is_a_400(api, db):
    response = api.get("/api/v1/", {"lang": "xx"})
    assert response.status_code == 400


@pytest.mark.parametrize("lang", ["xx", "ru", "all"])
def test_the_token_endpoint_takes_lang_without_a_500(api, db, lang):
    response = api.post(f"/api/v1/auth/token/?lang={lang}", {"username": "nobody", "password": "x"})
    assert response.status_code == 400, response.status_code


@pytest.mark.parametrize("path", ["//evil.example/x/", "//evil.example/cases/"])
def test_the_language_switch_never_links_off_the_site(client, db, path):
    """The switch (web/context.py) links to translate_url(request.get_full_path()): for an
    address that starts with // (https://site//evil.example/cases/, a 404) that is a
    protocol-relative link to another host, on our own error page ("//evil.example/ru/cases/"
    for Русский)."""
    import re

    response = client.get("/", PATH_INFO=path)
    assert response.status_code == 404
    links = re.findall(r'href="([^"]*)"', response.content.decode())
    assert [link for link in links if link.startswith("//")] == []


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_an_at_risk_persons_withholding_reasons_stay_staff_only(client, db, prefix):
    """Guard (the canary gives an at-risk record no withholdings): _withhold_case and
    _withhold_person replace the redacted copy's prefetched relations wholesale, so the
    pages' `record.withholdings.all` must still not reach the stored reasons."""
    person = PersonFactory(at_risk=True, name="Probe Guarded Reasons")
    case = CaseFactory(person=person)
    Withholding.objects.create(case=case, field="destination_country", reason="CASEREASON-x9",
                               reason_ru="ПРИЧИНАдела-x9")
    Withholding.objects.create(person=person, field="bio", reason="PERSONREASON-x9",
                               reason_ru="ПРИЧИНАлица-x9")
    body = client.get(f"{prefix}/cases/{case.pk}/").content.decode() + \
        client.get(f"{prefix}/people/{person.pk}/").content.decode()
    assert "Probe Guarded Reasons" in body
    assert [m for m in ["CASEREASON-x9", "ПРИЧИНАдела-x9", "PERSONREASON-x9", "ПРИЧИНАлица-x9"]
            if m in body] == []
