"""The API in Russian and English: which language answers, translated texts with their
fallbacks, writes that name the language, messages and the schema, and redaction of the
Russian columns (markers that must never reach the public)."""

import pytest

from defections.models import Agency, Period, Response, Withholding
from tests.factories import AgencyFactory, CaseFactory, PersonFactory
from tests.test_api_fixtures import MARKER, client_for, read_csv, user_with

pytest_plugins = ["tests.test_api_fixtures"]

CYRILLIC = set("абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")


def cyrillic(text: str) -> bool:
    return bool(CYRILLIC & set(text))


@pytest.fixture
def bilingual(db):
    agency = AgencyFactory(name="Federal Security Service", name_ru="Федеральная служба безопасности")
    case = CaseFactory(agency=agency, summary="He fled in March.", summary_ru="Он бежал в марте.",
                       narrative="Only in English.", role="officer")
    Response.objects.create(case=case, kind="arrest", description="", description_ru="Заочный арест.")
    return case


# --- which language ---------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "header", "expected"), [
    ("", "", "en"),
    ("", "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
    ("", "de-DE,ru;q=0.5", "ru"),
    ("", "fr, de", "en"),
    ("?lang=ru", "", "ru"),
    ("?lang=en", "ru", "en"),
    ("?lang=all", "ru", "ru"),
    ("?lang=all", "", "en"),
])
def test_the_language_is_lang_else_accept_language_else_english(api, bilingual, query, header, expected):
    response = api.get(f"/api/v1/cases/{bilingual.pk}/{query}", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert response["Content-Language"] == expected
    assert "Accept-Language" in response["Vary"]
    assert response.json()["summary"] == ("Он бежал в марте." if expected == "ru" else "He fled in March.")


@pytest.mark.parametrize("value", ["xx", "", "russian", "ru,en"])
def test_a_language_the_api_does_not_serve_is_a_400_naming_lang(api, db, value):
    response = api.get("/api/v1/cases/", {"lang": value})
    assert response.status_code == 400
    assert list(response.json()) == ["lang"]


def test_errors_come_in_the_language_asked(api, db):
    english = api.get("/api/v1/cases/999999999/")
    russian = api.get("/api/v1/cases/999999999/?lang=ru")
    assert english.status_code == russian.status_code == 404
    assert english.json()["detail"] == "No Case matches the given query."
    assert cyrillic(russian.json()["detail"]) and russian["Content-Language"] == "ru"
    # DRF's own validation messages too, and on the token view
    token = api.post("/api/v1/auth/token/", {}, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert token.status_code == 400 and cyrillic(token.json()["username"][0])
    assert token["Content-Language"] == "ru"


# --- reading texts ----------------------------------------------------------------------------


def test_each_text_reads_in_the_language_and_a_fallback_is_named(api, bilingual):
    english = api.get(f"/api/v1/cases/{bilingual.pk}/").json()
    assert english["summary"] == "He fled in March." and english["narrative"] == "Only in English."
    assert "summary_ru" not in english and "summary_en" not in english
    assert english["agency"]["name"] == "Federal Security Service" and "name_ru" not in english["agency"]
    # the response has only Russian: English readers get it, marked
    assert english["responses"][0]["description"] == "Заочный арест."
    assert english["responses"][0]["fallback"] == ["description"]
    assert "fallback" not in english  # the case's own texts are all in English

    russian = api.get(f"/api/v1/cases/{bilingual.pk}/?lang=ru").json()
    assert russian["summary"] == "Он бежал в марте."
    assert russian["narrative"] == "Only in English." and russian["fallback"] == ["role", "narrative"]
    assert russian["agency"]["name"] == "Федеральная служба безопасности"
    assert russian["responses"][0]["description"] == "Заочный арест."
    assert "fallback" not in russian["responses"][0]


def test_lang_all_gives_both_columns_as_stored(api, bilingual):
    data = api.get(f"/api/v1/cases/{bilingual.pk}/?lang=all").json()
    assert data["summary"] == data["summary_en"] == "He fled in March."
    assert data["summary_ru"] == "Он бежал в марте."
    assert data["narrative_en"] == "Only in English." and data["narrative_ru"] == ""
    assert data["agency"]["name_en"] == "Federal Security Service"
    assert data["agency"]["name_ru"] == "Федеральная служба безопасности"
    response = data["responses"][0]
    assert response["description_en"] == "" and response["fallback"] == ["description"]


def test_lists_agencies_periods_people_and_stats_read_in_russian(api, bilingual):
    Period.objects.create(slug="test-period", name="Test period", name_ru="Тестовый период",
                          start="2020-01-01", description="A period.")
    bilingual.person.bio_ru = "Биография."
    bilingual.person.save()
    cases = api.get("/api/v1/cases/?lang=ru").json()["results"]
    assert [case["summary"] for case in cases] == ["Он бежал в марте."]
    agency = api.get(f"/api/v1/agencies/{bilingual.agency_id}/?lang=ru").json()
    assert agency["name"] == "Федеральная служба безопасности"
    periods = api.get("/api/v1/periods/?lang=ru").json()["results"]
    period = next(p for p in periods if p["slug"] == "test-period")
    assert period["name"] == "Тестовый период" and period["description"] == "A period."
    assert period["fallback"] == ["description"]
    person = api.get(f"/api/v1/people/{bilingual.person_id}/?lang=ru").json()
    assert person["bio"] == "Биография."
    stats = api.get("/api/v1/stats/?lang=ru").json()
    assert stats["by_agency"][0]["agency"]["name"] == "Федеральная служба безопасности"
    english = api.get("/api/v1/stats/").json()
    assert english["by_agency"][0]["agency"]["name"] == "Federal Security Service"


def test_csv_keeps_the_english_columns_and_adds_the_russian(api, bilingual):
    for query in ("", "&lang=ru"):
        rows = read_csv(api.get(f"/api/v1/cases/?format=csv{query}"))
        assert rows[0]["summary"] == "He fled in March." and rows[0]["summary_ru"] == "Он бежал в марте."
        assert rows[0]["agency.name"] == "Federal Security Service"
        assert rows[0]["agency.name_ru"] == "Федеральная служба безопасности"


def test_a_retraction_notice_reads_in_russian(api, db):
    case = CaseFactory(status="published")
    case.status, case.retraction_note = "retracted", "Wrong person."
    case.retraction_note_ru = "Не тот человек."
    case.save()
    gone = api.get(f"/api/v1/cases/{case.pk}/?lang=ru")
    assert gone.status_code == 410
    assert gone.json()["retraction_note"] == "Не тот человек."
    assert "retraction_note_ru" not in gone.json()
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["retraction_note"] == "Wrong person."


# --- writing texts ----------------------------------------------------------------------------


def test_plain_text_in_a_russian_write_is_refused_naming_it(editor, bilingual):
    for query, header in (("?lang=ru", ""), ("", "ru"), ("?lang=all", "")):
        response = editor.patch(f"/api/v1/cases/{bilingual.pk}/{query}", {"summary": "Текст."},
                                format="json", HTTP_ACCEPT_LANGUAGE=header)
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["summary"]
    bilingual.refresh_from_db()
    assert bilingual.summary == "He fled in March."


def test_writes_name_their_column(editor, bilingual):
    response = editor.patch(f"/api/v1/cases/{bilingual.pk}/?lang=ru",
                            {"summary_ru": "Новое.", "summary_en": "New.", "narrative_ru": "Рассказ."},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Новое." and response.json()["narrative"] == "Рассказ."
    bilingual.refresh_from_db()
    assert (bilingual.summary, bilingual.summary_ru, bilingual.narrative, bilingual.narrative_ru) == (
        "New.", "Новое.", "Only in English.", "Рассказ.")
    both = editor.patch(f"/api/v1/cases/{bilingual.pk}/", {"summary": "A.", "summary_en": "B."},
                        format="json")
    assert both.status_code == 400 and list(both.json()) == ["summary_en"]
    english = editor.patch(f"/api/v1/cases/{bilingual.pk}/", {"summary": "Plain."}, format="json")
    assert english.status_code == 200
    bilingual.refresh_from_db()
    assert (bilingual.summary, bilingual.summary_ru) == ("Plain.", "Новое.")


@pytest.fixture
def keeper(db):
    return client_for(user_with("keeper", "add_agency", "change_agency", "view_agency", "view_case"))


def test_a_fallback_read_and_sent_back_writes_nothing(keeper, db):
    editor = keeper
    agency = AgencyFactory(name="Agency X", description="", description_ru="Описание.")
    read = editor.get(f"/api/v1/agencies/{agency.pk}/").json()
    assert read["description"] == "Описание." and read["fallback"] == ["description"]
    body = {key: value for key, value in read.items() if key not in ("id", "api_url", "fallback")}
    body["parent"] = body["predecessor"] = None
    written = editor.put(f"/api/v1/agencies/{agency.pk}/", body, format="json")
    agency.refresh_from_db()
    assert written.status_code == 200, written.content
    assert agency.description == "" and agency.description_ru == "Описание."


def test_a_nested_response_fallback_sent_back_stays_in_its_column(editor, bilingual):
    read = editor.get(f"/api/v1/cases/{bilingual.pk}/").json()
    response = read["responses"][0]
    assert response["fallback"] == ["description"]
    written = editor.patch(f"/api/v1/cases/{bilingual.pk}/", {"responses": [
        {"id": response["id"], "kind": "arrest", "description": response["description"]}]}, format="json")
    assert written.status_code == 200, written.content
    stored = Response.objects.get(pk=response["id"])
    assert (stored.description, stored.description_ru) == ("", "Заочный арест.")


# --- redaction of the Russian columns ---------------------------------------------------------


@pytest.fixture
def russian_secrets(db):
    """Markers in the Russian columns of what the public must not read."""
    withheld = CaseFactory(narrative=f"narrative {MARKER}", narrative_ru=f"рассказ {MARKER}",
                           person=PersonFactory(bio=f"bio {MARKER}", bio_ru=f"био {MARKER}"))
    Withholding.objects.create(case=withheld, field="narrative", reason="Sources at risk.",
                               reason_ru=f"причина {MARKER}")
    Withholding.objects.create(person=withheld.person, field="bio", reason="Family.",
                               reason_ru=f"причина {MARKER}")
    at_risk = CaseFactory(summary_ru=f"сводка {MARKER}", narrative_ru=f"рассказ {MARKER}",
                          person=PersonFactory(name="Guarded", at_risk=True, bio_ru=f"био {MARKER}"))
    Response.objects.create(case=at_risk, kind="arrest", description_ru=f"ответ {MARKER}")
    draft = CaseFactory(status="draft", summary_ru=f"черновик {MARKER}")
    retracted = CaseFactory(status="published")
    retracted.status, retracted.retraction_note_ru = "retracted", "Ошибка."
    retracted.save()
    notes = CaseFactory(restricted_notes="internal")
    notes.retraction_note_ru = f"заметка {MARKER}"
    notes.save()
    return {"withheld": withheld, "at_risk": at_risk, "draft": draft}


@pytest.mark.parametrize("lang", ["en", "ru", "all"])
def test_no_russian_column_leaks_to_the_public_in_any_language(api, russian_secrets, lang):
    bodies = []
    for endpoint in ("cases", "people", "agencies", "periods"):
        bodies.append(api.get(f"/api/v1/{endpoint}/?lang={lang}&page_size=500").content.decode())
        bodies.append(b"".join(api.get(f"/api/v1/{endpoint}/?format=csv&lang={lang}").streaming_content)
                      .decode())
    for case in russian_secrets.values():
        bodies.append(api.get(f"/api/v1/cases/{case.pk}/?lang={lang}").content.decode())
    bodies.append(api.get(f"/api/v1/people/{russian_secrets['withheld'].person_id}/?lang={lang}")
                  .content.decode())
    for body in bodies:
        assert MARKER not in body
    withheld = api.get(f"/api/v1/cases/{russian_secrets['withheld'].pk}/?lang={lang}").json()
    assert withheld["narrative"] is None and "narrative" not in withheld.get("fallback", [])
    assert withheld["withheld"] == [{"field": "narrative"}]
    if lang == "all":
        assert withheld["narrative_en"] is None and withheld["narrative_ru"] is None


def test_staff_read_the_russian_columns_and_reasons(researcher, russian_secrets):
    case = russian_secrets["withheld"]
    data = researcher.get(f"/api/v1/cases/{case.pk}/?lang=ru").json()
    assert data["narrative"] == f"рассказ {MARKER}"
    assert data["withheld"][0]["reason"] == f"причина {MARKER}"
    both = researcher.get(f"/api/v1/cases/{case.pk}/?lang=all").json()
    assert both["withheld"][0]["reason_en"] == "Sources at risk."


# --- the schema -------------------------------------------------------------------------------


def test_the_schema_describes_the_language_and_the_columns(api, db):
    schema = api.get("/api/v1/schema/?format=json").json()
    case = schema["components"]["schemas"]["Case"]["properties"]
    assert {"summary", "summary_en", "summary_ru", "fallback"} <= set(case)
    request = schema["components"]["schemas"]["CaseRequest"]["properties"]
    assert {"summary", "summary_en", "summary_ru"} <= set(request) and "fallback" not in request
    parameters = {p["name"] for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert "lang" in parameters


def test_the_schema_is_served_in_russian(api, db):
    english = api.get("/api/v1/schema/?format=json").json()
    russian = api.get("/api/v1/schema/?format=json&lang=ru")
    assert russian.status_code == 200 and russian["Content-Language"] == "ru"
    russian = russian.json()
    assert english["info"]["description"] != russian["info"]["description"]
    assert cyrillic(russian["info"]["description"])
    errors = russian["paths"]["/api/v1/cases/"]["get"]["responses"]["404"]["description"]
    assert cyrillic(errors)
    assert api.get("/api/v1/schema/?format=json", HTTP_ACCEPT_LANGUAGE="ru").json() == russian
    # objects are described for readers, never by their serializers' docstrings
    components = russian["components"]["schemas"]
    assert cyrillic(components["Withholding"]["description"])
    assert "description" not in components["AgencyBrief"]
    assert cyrillic(russian["paths"]["/api/v1/cases/{id}/"]["delete"]["responses"]["204"]["description"])


def test_writable_models_keep_their_english_and_russian_columns(keeper, db):
    created = keeper.post("/api/v1/agencies/?lang=ru", {"name_en": "New Agency", "name_ru": "Новое ведомство",
                                                         "kind": "intelligence"}, format="json")
    assert created.status_code == 201, created.content
    agency = Agency.objects.get(pk=created.json()["id"])
    assert (agency.name, agency.name_ru, agency.slug) == ("New Agency", "Новое ведомство", "new-agency")
    assert created.json()["name"] == "Новое ведомство"


def test_an_unknown_address_answers_in_the_language_asked(api, db):
    english = api.get("/api/v1/cases/0.5/")
    russian = api.get("/api/v1/cases/0.5/", HTTP_ACCEPT_LANGUAGE="ru")
    assert english.status_code == russian.status_code == 404
    assert english.json() == {"detail": "Not found."}
    assert cyrillic(russian.json()["detail"]) and russian["Content-Language"] == "ru"
    assert "Accept-Language" in russian["Vary"]


def test_our_own_messages_read_in_russian(api, editor, bilingual):
    page = api.get("/api/v1/cases/?format=csv&page=0&lang=ru")
    assert page.status_code == 400 and cyrillic(page.json()["page"][0])
    refused = editor.patch(f"/api/v1/cases/{bilingual.pk}/?lang=ru", {"summary": "Текст."}, format="json")
    assert cyrillic(refused.json()["summary"][0]) and "summary_ru" in refused.json()["summary"][0]
    stale = editor.patch(f"/api/v1/cases/{bilingual.pk}/?lang=ru", {"role": "x"}, format="json",
                         HTTP_IF_MATCH='"not-the-version"')
    assert stale.status_code == 412 and cyrillic(stale.json()["detail"])
