"""Writes: tokens, the model-permission matrix, the workflow rules, nested saves, validation."""

import pytest
from django.contrib.auth.models import User

from defections.models import Agency, Case, Citation, Motive, Person, Response, Source
from tests.factories import CaseFactory, MotiveFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import client_for, read_csv

pytest_plugins = ["tests.test_api_fixtures"]


@pytest.fixture
def person(db):
    return PersonFactory(name="Writer Test")


@pytest.fixture
def source(db):
    return SourceFactory()


def a_case(person, **fields):
    return {"person": person.pk, "form": "geographic", "date": "March 2026",
            "summary": "Left the country.", "country_from": "RU", "verification": "reported",
            "classification": "certain", **fields}


def test_token_from_username_and_password(api, db):
    User.objects.create_user("someone", password="a-long-test-password")
    response = api.post("/api/v1/auth/token/", {"username": "someone", "password": "a-long-test-password"})
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    bad = api.post("/api/v1/auth/token/", {"username": "someone", "password": "wrong"})
    assert bad.status_code == 400 and "non_field_errors" in bad.json()


@pytest.mark.parametrize(
    ("who", "create", "update", "delete"),
    [("anonymous", 401, 401, 401), ("nobody", 403, 403, 403), ("researcher", 201, 200, 204),
     ("editor", 201, 200, 204)],
)
def test_permission_matrix_on_drafts(request, person, who, create, update, delete):
    client = request.getfixturevalue("api" if who == "anonymous" else who)
    draft = CaseFactory(status="draft", person=person)
    # another act than the draft's (the PUT below gives the draft this one's form and date)
    assert client.post("/api/v1/cases/", a_case(person, form="final"), format="json").status_code == create
    assert client.patch(f"/api/v1/cases/{draft.pk}/", {"role": "Major"}, format="json").status_code \
        in {update, 404}
    assert client.put(f"/api/v1/cases/{draft.pk}/", a_case(person), format="json").status_code \
        in {update, 404}
    assert client.delete(f"/api/v1/cases/{draft.pk}/").status_code in {delete, 404}
    if who in {"anonymous", "nobody"}:
        assert Case.objects.filter(pk=draft.pk, role="").exists()


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_a_researcher_cannot_publish(researcher, person, source, method):
    draft = CaseFactory(status="draft", person=person)
    body = a_case(person, status="published", citations=[{"source": source.pk}])
    url = "/api/v1/cases/" if method == "post" else f"/api/v1/cases/{draft.pk}/"
    response = getattr(researcher, method)(url, body, format="json")
    assert response.status_code == 403
    assert "Only an editor" in response.json()["detail"]
    assert Case.objects.filter(status="published", person=person).count() == 0


def test_a_researcher_submits_for_review_but_cannot_touch_a_published_case(researcher, person):
    draft = CaseFactory(status="draft", person=person)
    assert researcher.patch(f"/api/v1/cases/{draft.pk}/", {"status": "review"},
                            format="json").status_code == 200
    published = CaseFactory(status="published", person=person)
    response = researcher.patch(f"/api/v1/cases/{published.pk}/", {"role": "x"}, format="json")
    assert response.status_code == 403 and "editor" in response.json()["detail"]
    assert researcher.delete(f"/api/v1/cases/{published.pk}/").status_code == 403


def test_an_editor_publishes_a_whole_sourced_case_in_one_request(editor, person, source):
    motive = MotiveFactory(slug="corruption-probe-test")
    body = a_case(
        person, status="published", motives=[motive.slug], verification="reported",
        citations=[{"source": source.pk, "locator": "para. 12", "quote": "He left.", "claim": "date"}],
        responses=[{"kind": "in-absentia", "date": "2024", "description": "Sentenced in absentia."}],
    )
    response = editor.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["date"] == "March 2026" and data["date_precision"] == "month"
    assert data["motives"] == [motive.slug] and data["status"] == "published"
    assert data["citations"][0]["source"]["id"] == source.pk
    assert data["responses"][0]["date"] == "2024"
    case = Case.objects.get(pk=data["id"])
    assert case.created_by.username == "editor" and case.updated_by.username == "editor"
    assert case.citations.count() == 1 and case.responses.count() == 1


def test_publishing_without_a_citation_is_a_400(editor, person):
    response = editor.post("/api/v1/cases/", a_case(person, status="published"), format="json")
    assert response.status_code == 400 and "citations" in response.json()
    response = editor.post("/api/v1/cases/", a_case(person, verification="confirmed",
                                                    citations=[{"source": SourceFactory().pk}]),
                           format="json")
    assert response.status_code == 400 and "two independent origins" in str(response.json())


def test_nothing_is_half_written(editor, person, source):
    before = (Case.objects.count(), Citation.objects.count(), Response.objects.count())
    body = a_case(person, citations=[{"source": source.pk}],
                  responses=[{"kind": "arrest", "date": "31 February 2024"}])
    response = editor.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400 and "responses" in response.json()
    assert (Case.objects.count(), Citation.objects.count(), Response.objects.count()) == before


def test_the_date_as_a_triple(editor, person):
    body = {"person": person.pk, "form": "final", "date_start": "2023-01-01",
            "date_end": "2023-12-31", "date_precision": "year"}
    response = editor.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201 and response.json()["date"] == "2023"
    bad = editor.post("/api/v1/cases/", {**body, "date_end": "2022-01-01"}, format="json")
    assert bad.status_code == 400 and "ends before it starts" in str(bad.json()["date"])
    both = editor.post("/api/v1/cases/", {**body, "date": "2023"}, format="json")
    assert both.status_code == 400 and "date" in both.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"form": "lateral"}, "form"),
        ({"date": "Marchember 2026"}, "date"),
        ({"person": 999999999}, "person"),
        ({"person": "Skripal"}, "person"),
        ({"motives": ["greed-xyz"]}, "motives"),
        ({"agency": 10**30}, "agency"),
        ({"role": "x" * 1000}, "role"),
        ({"summary": "a\x00b"}, "summary"),
        ({"destination_country": "XX"}, "destination_country"),
        ({"citations": [{"source": None}]}, "citations"),
        ({"citations": "not a list"}, "citations"),
    ],
)
def test_validation_errors_name_the_field(editor, person, body, field):
    response = editor.post("/api/v1/cases/", {**a_case(person), **body}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_malformed_json_is_a_400(editor, db):
    response = editor.post("/api/v1/cases/", "{not json", content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()


def test_model_constraints_are_400s_not_500s(editor, person):
    # A published case needs a summary: a database constraint, checked before saving.
    response = editor.post("/api/v1/cases/", a_case(person, status="published", summary="",
                                                    citations=[{"source": SourceFactory().pk}]),
                           format="json")
    assert response.status_code == 400
    assert "summary" in str(response.json())


@pytest.fixture
def admin_client(db):
    return client_for(User.objects.create_superuser("boss", password="a-long-test-password"))


def test_writes_on_people_agencies_sources_and_periods(admin_client):
    person = admin_client.post("/api/v1/people/", {"name": "New Person", "aliases": ["Nyu Persn"],
                                                   "birth": "1970s", "citizenship": ["RU"]},
                               format="json")
    assert person.status_code == 201, person.json()
    assert person.json()["aliases"] == ["Nyu Persn"] and person.json()["birth"] == "1970s"
    parent = admin_client.post("/api/v1/agencies/", {"name": "Ministry", "slug": "ministry",
                                                     "kind": "government"}, format="json")
    assert parent.status_code == 201, parent.json()
    child = admin_client.post("/api/v1/agencies/", {"name": "Mission", "slug": "mission",
                                                    "kind": "diplomatic", "parent": parent.json()["id"]},
                              format="json")
    assert child.json()["parent"]["name"] == "Ministry"
    loop = admin_client.patch(f"/api/v1/agencies/{parent.json()['id']}/",
                              {"parent": child.json()["id"]}, format="json")
    assert loop.status_code == 400 and "parent" in loop.json()
    assert admin_client.delete(f"/api/v1/agencies/{parent.json()['id']}/").status_code == 409
    source = admin_client.post("/api/v1/sources/", {"title": "T", "kind": "news",
                                                    "url": "https://example.org/x"}, format="json")
    assert source.status_code == 201
    duplicate = admin_client.post("/api/v1/sources/", {"title": "T2", "kind": "news",
                                                       "url": "https://example.org/x"}, format="json")
    assert duplicate.status_code == 400
    period = admin_client.post("/api/v1/periods/", {"slug": "p", "name": "P", "start": "1900-01-01",
                                                    "end": "1901-01-01"}, format="json")
    assert period.status_code == 201
    overlap = admin_client.post("/api/v1/periods/", {"slug": "q", "name": "Q", "start": "1900-06-01",
                                                     "end": "1902-01-01"}, format="json")
    assert overlap.status_code == 400
    assert admin_client.delete(period.json()["api_url"]).status_code == 204
    assert Agency.objects.filter(slug="mission").exists() and Source.objects.count() == 1
    assert Person.objects.filter(name="New Person").exists() and Motive.objects.count() == 0


def test_a_person_with_a_known_name_is_a_400_naming_them_until_confirmed(admin_client, person):
    """The admin form's duplicate guard, in the API: a close name (in another transliteration,
    or spaced another way) is a 400 under save_anyway naming the person; true saves it, with
    its name single-spaced; a rename asks again, an edit that keeps the names does not."""
    for name in ("Writer Test", "writer  test", "Vriter Test"):
        answer = admin_client.post("/api/v1/people/", {"name": name}, format="json")
        assert answer.status_code == 400, (name, answer.json())
        assert f"#{person.pk} (Writer Test)" in " ".join(answer.json()["save_anyway"]), name
    assert Person.objects.count() == 1
    saved = admin_client.post("/api/v1/people/", {"name": "writer  test", "save_anyway": True}, format="json")
    assert saved.status_code == 201, saved.json()
    assert saved.json()["name"] == "writer test" and "save_anyway" not in saved.json()
    other = admin_client.post("/api/v1/people/", {"name": "Quite Different"}, format="json")
    assert other.status_code == 201, other.json()
    url = other.json()["api_url"]
    assert admin_client.patch(url, {"bio": "Edited."}, format="json").status_code == 200
    renamed = admin_client.patch(url, {"name": "Writer Tests"}, format="json")
    assert renamed.status_code == 400 and "save_anyway" in renamed.json()
    header = list(read_csv(admin_client.get("/api/v1/people/?format=csv"))[0])
    assert "save_anyway" not in header and "name" in header


def test_a_cited_source_cannot_be_deleted(admin_client, person, source):
    Citation.objects.create(case=CaseFactory(person=person), source=source)
    response = admin_client.delete(f"/api/v1/sources/{source.pk}/")
    assert response.status_code == 409 and "detail" in response.json()

