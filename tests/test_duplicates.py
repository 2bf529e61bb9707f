"""One article, one source; one act, one case: the same URL written another way is refused
naming the source that has it, and a second case of the same person, form and date waits for
a "not a duplicate" — in the admin and the API alike."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from defections.models import Case, Source
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import case_post, make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db

SAME_PAGE = ["http://example.org/news/1/", "https://www.Example.org/news/1",
             "https://EXAMPLE.org:443/news/1#comments", "https://example.org/news/1?utm_source=x",
             "http://example.org:80/news/1/?utm_medium=feed&utm_campaign=y"]


@pytest.fixture
def source():
    return SourceFactory(title="The first report", url="https://example.org/news/1")


def test_every_spelling_of_one_address_has_one_key(source):
    assert Source.objects.get(pk=source.pk).url_key == "//example.org/news/1"
    for url in SAME_PAGE:
        assert list(Source.objects.with_url(url)) == [source], url
    for other in ["https://example.org/news/2", "https://example.org/news/1?id=2",
                  "https://example.org:8080/news/1", "https://example.org/News/1"]:
        assert not Source.objects.with_url(other).exists(), other


def test_the_database_refuses_a_second_spelling(source):
    for url in SAME_PAGE:
        with pytest.raises(IntegrityError, match="source_url_key_unique"), transaction.atomic():
            Source.objects.create(title="Copy", url=url)


def test_the_admin_names_the_source_that_has_the_url(client, source):
    client.force_login(make_user("ed", "Editor"))
    page = client.post(reverse("admin:defections_source_add"), {
        "title": "Copy", "url": "http://www.example.org/news/1/", "reliability": "unknown"})
    assert page.status_code == 200
    assert "The first report" in page.content.decode() and f"#{source.pk}" in page.content.decode()
    assert Source.objects.count() == 1


def test_the_api_names_the_source_that_has_the_url(source):
    editor = client_for(make_user("ed", "Editor"))
    answer = editor.post("/api/v1/sources/", {"title": "Copy", "url": "http://example.org/news/1/"},
                         format="json")
    assert answer.status_code == 400
    assert "The first report" in " ".join(answer.json()["url"]), answer.json()
    assert Source.objects.count() == 1


# --- a second case of one act ------------------------------------------------------------------


@pytest.fixture
def case():
    return CaseFactory(form="geographic", date="March 2022", status="draft")


def test_the_admin_warns_of_the_same_person_form_and_date(client, case):
    client.force_login(make_user("ed", "Editor"))
    post = case_post(None, person=case.person_id, form="geographic", date="2022")
    page = client.post(reverse("admin:defections_case_add"), post)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Possible duplicate" in text and reverse("admin:defections_case_change", args=[case.pk]) in text
    assert Case.objects.count() == 1
    saved = client.post(reverse("admin:defections_case_add"), {**post, "save_anyway": "on"})
    assert saved.status_code == 302 and Case.objects.count() == 2


def test_another_form_or_date_saves_at_once(client, case):
    client.force_login(make_user("ed", "Editor"))
    for other in [{"form": "articulated", "date": "March 2022"}, {"form": "geographic", "date": "2015"}]:
        answer = client.post(reverse("admin:defections_case_add"),
                             case_post(None, person=case.person_id, **other))
        assert answer.status_code == 302, other
    assert Case.objects.count() == 3


def test_the_api_answers_400_naming_the_case_until_confirmed(case):
    editor = client_for(make_user("ed", "Editor"))
    body = {"person": case.person_id, "form": "geographic", "date": "March 2022", "summary": "Again."}
    answer = editor.post("/api/v1/cases/", body, format="json")
    assert answer.status_code == 400
    message = " ".join(answer.json()["save_anyway"])
    assert f"#{case.pk}" in message and "person, form and date" in message
    assert Case.objects.count() == 1
    confirmed = editor.post("/api/v1/cases/", {**body, "save_anyway": True}, format="json")
    assert confirmed.status_code == 201, confirmed.json()
    assert "save_anyway" not in confirmed.json()
    # an edit that leaves person, form and date alone asks nothing
    edited = editor.patch(f"/api/v1/cases/{confirmed.json()['id']}/", {"summary": "Edited."}, format="json")
    assert edited.status_code == 200, edited.json()


def test_the_migration_names_sources_already_entered_twice(source):
    """Migration 0032 keys the existing sources; two already at one address are an editor's
    merge, so it stops naming them rather than pick one."""
    migration = importlib.import_module("defections.migrations.0032_published_cases_chose_and_url_keys")
    editor = SimpleNamespace(connection=connection)
    migration.refuse_duplicate_sources(None, editor)  # one source per address: goes on
    with connection.cursor() as cursor:  # as before 0032 (the test's transaction rolls it back)
        cursor.execute("DROP INDEX source_url_key_unique")
    twin = Source.objects.create(title="Twin", url="http://www.example.org/news/1/")
    with pytest.raises(RuntimeError) as refusal:
        migration.refuse_duplicate_sources(None, editor)
    assert f"#{source.pk} https://example.org/news/1" in str(refusal.value)
    assert f"#{twin.pk} http://www.example.org/news/1/" in str(refusal.value)
