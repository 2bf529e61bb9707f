"""A new client writes the facts it has: for every writable resource of the API router, the
schema's `required` is exactly the facts the codebook requires (REQUIRED), and a POST with
those alone is a 201. A new resource fails here until its row is declared."""

import pytest

from defections.api.urls import router
from defections.models import Agency, Period, Source
from tests.factories import AgencyFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for

pytest_plugins = ["tests.test_api_fixtures"]

# The facts without which a record says nothing (the models' non-blank fields without a
# default that a client can know): a slug is derived from the name, a status, a
# verification or a reliability has its default, a source's kind may be coded later.
REQUIRED = {
    "case": {"person", "form"},
    "person": {"name"},
    "agency": {"name", "kind"},
    "source": {"title"},
    "period": {"name", "start"},
    "affiliation": {"person", "agency"},
}
# Who writes each in the review workflow: periods are the editors' (the codebook's).
ROLE = {"period": "Editor"}
WRITABLE = sorted(basename for _prefix, viewset, basename in router.registry
                  if "create" in dir(viewset))


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def request_component(schema, basename):
    prefix = next(prefix for prefix, _v, name in router.registry if name == basename)
    body = schema["paths"][f"/api/v1/{prefix}/"]["post"]["requestBody"]["content"]["application/json"]
    return schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]


def test_every_writable_resource_is_declared():
    assert set(WRITABLE) == set(REQUIRED)


@pytest.mark.parametrize("basename", WRITABLE)
def test_the_schema_requires_exactly_the_codebooks_facts(schema, basename):
    assert set(request_component(schema, basename).get("required", [])) == REQUIRED[basename]


def minimal_body(basename) -> dict:
    values = {"person": PersonFactory().pk, "agency": AgencyFactory().pk, "form": "final",
              "name": f"Ivan Primerov ({basename}, invented)", "kind": "intelligence",
              "title": "An invented article", "start": "2190-01-01"}
    return {field: values[field] for field in REQUIRED[basename]}


@pytest.mark.parametrize("basename", WRITABLE)
def test_a_post_of_the_required_facts_alone_is_created(db, basename):
    client = client_for(make_user(f"{basename}-writer", ROLE.get(basename, "Researcher")))
    prefix = next(prefix for prefix, _v, name in router.registry if name == basename)
    response = client.post(f"/api/v1/{prefix}/", minimal_body(basename), format="json")
    assert response.status_code == 201, response.json()
    assert client.get(response.json()["api_url"]).status_code == 200


def test_a_slug_is_derived_from_the_name_and_kept_unique(db):
    editor = client_for(make_user("slug-editor", "Editor"))
    first = editor.post("/api/v1/agencies/", {"name": "Main Directorate", "kind": "military"}, format="json")
    assert first.status_code == 201 and first.json()["slug"] == "main-directorate"
    Agency.objects.filter(pk=first.json()["id"]).update(name="Renamed")
    second = editor.post("/api/v1/agencies/", {"name": "Main Directorate", "kind": "military"}, format="json")
    assert second.json()["slug"] == "main-directorate-2"
    cyrillic = editor.post("/api/v1/agencies/", {"name": "Главное управление", "kind": "military"},
                           format="json")
    assert cyrillic.json()["slug"] == "glavnoe-upravlenie"
    period = editor.post("/api/v1/periods/", {"name": "Invented Thaw", "start": "2191-01-01"}, format="json")
    assert Period.objects.get(pk=period.json()["id"]).slug == "invented-thaw"
    given = editor.post("/api/v1/agencies/", {"name": "Given", "slug": "own-slug", "kind": "military"},
                        format="json")
    assert given.json()["slug"] == "own-slug"


@pytest.mark.parametrize("slug", ["not a slug", "", "main-directorate"])
def test_a_bad_or_taken_slug_is_a_400_naming_it(db, slug):
    editor = client_for(make_user("slug-checker", "Editor"))
    AgencyFactory(slug="main-directorate")
    response = editor.post("/api/v1/agencies/", {"name": "Other", "slug": slug, "kind": "military"},
                           format="json")
    assert response.status_code == 400 and set(response.json()) == {"slug"}


def test_a_source_without_a_kind_is_uncoded_and_its_web_address_is_url(db):
    researcher = client_for(make_user("source-writer", "Researcher"))
    response = researcher.post("/api/v1/sources/", {"title": "Invented", "url": "https://example.org/a"},
                               format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == "" and response.json()["url"] == "https://example.org/a"
    assert Source.objects.get(pk=response.json()["id"]).url == "https://example.org/a"
    assert "/api/v1/sources/" in response.json()["api_url"]
    duplicate = researcher.post("/api/v1/sources/", {"title": "Again", "url": "https://example.org/a"},
                                format="json")
    assert duplicate.status_code == 400 and "url" in duplicate.json()
