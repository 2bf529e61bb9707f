"""Cached counts: keyed by a data version that every committed write changes.

These tests commit (transaction=True): the version changes at commit, and nothing is
cached inside a transaction, so the ordinary tests, which run inside one, never see
the cache.
"""

import re

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from defections.cache import data_version
from defections.changes import ChangeEntry, ChangeFeed, ChangeMark, ChangeState
from defections.models import Case
from tests.factories import AgencyFactory, CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _version_row(version_row):
    pass


def queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries), response


def heading_count(response) -> int:
    return int(re.search(r'id="results-heading"[^>]*>(\d+) case', response.content.decode()).group(1))


def test_every_table_of_the_app_changes_the_version():
    tables = {model._meta.db_table for model in
              apps.get_app_config("defections").get_models(include_auto_created=True)}
    tables.discard("defections_dataversion")
    # The change feed's ledger records what readers read (defections/changes.py), not data: a
    # poll that writes it must not end every cached page. (Its marks come with a data write.)
    ledger = {model._meta.db_table for model in (ChangeEntry, ChangeFeed, ChangeMark, ChangeState)}
    assert ledger <= tables
    tables -= ledger
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE t.tgname = 'defections_data_version'")
        triggered = {row[0] for row in cursor.fetchall()}
    assert "defections_case_motives" in tables
    assert tables - triggered == set()


def test_a_committed_write_changes_the_version_a_rolled_back_one_does_not():
    start = data_version()
    case = CaseFactory()
    after_insert = data_version()
    Case.objects.filter(pk=case.pk).update(summary="Changed by queryset.update().")
    after_update = data_version()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE defections_case SET summary = 'Changed by raw SQL.'")
    after_raw = data_version()
    assert start < after_insert < after_update < after_raw

    with pytest.raises(RuntimeError), transaction.atomic():
        Case.objects.update(summary="Rolled back.")
        raise RuntimeError
    assert data_version() == after_raw

    with transaction.atomic():  # many writes, one commit: one new version
        for _ in range(3):
            CaseFactory()
    assert data_version() == after_raw + 1


def facet_count(response, name, value) -> int:
    pattern = rf'name="{name}" value="{value}"[^>]*>[^<]*<span class="count"[^>]*>(\d+)<'
    return int(re.search(pattern, response.content.decode()).group(1))


def test_case_list_counts_come_from_the_cache_until_a_write(client):
    agency = AgencyFactory()
    for _ in range(3):
        CaseFactory(agency=agency, form="geographic")
    CaseFactory(agency=agency, form="final")
    url = f"/cases/?form=geographic&agency={agency.slug}"
    cold, response = queries(client, url)
    warm, again = queries(client, url)
    assert again.content == response.content
    assert heading_count(response) == 3
    assert (facet_count(response, "form", "geographic"), facet_count(response, "form", "final")) == (3, 1)
    # Warm: the data version, then the whole page comes from the cache.
    assert (cold, warm) == (14, 1)

    CaseFactory(agency=agency, form="geographic")
    CaseFactory(agency=agency, form="geographic", status="draft")
    fresh, response = queries(client, url)
    assert fresh == cold
    assert heading_count(response) == 4
    assert response.content.decode().count('<li class="case">') == 4  # the page's ids are new too
    assert (facet_count(response, "form", "geographic"), facet_count(response, "form", "final")) == (4, 1)


def test_a_cached_page_is_kept_per_url_and_never_for_a_post(client):
    CaseFactory(form="final", date="1990", summary="The first summary.")
    case = Case.objects.get()
    assert "The first summary." in client.get(case.get_absolute_url()).content.decode()
    assert client.get(case.get_absolute_url() + "?x=1").status_code == 200
    warm, response = queries(client, case.get_absolute_url())
    assert warm == 1 and "The first summary." in response.content.decode()
    Case.objects.filter(pk=case.pk).update(summary="The second summary.")
    assert "The second summary." in client.get(case.get_absolute_url()).content.decode()
    assert client.post(case.get_absolute_url()).status_code == 405


def test_bad_input_is_a_400_from_the_cache_too(client):
    CaseFactory(form="final", date="1990")
    for url in ["/cases/?year_min=abc&form=lateral", "/cases/?q=%00&agency=no-such-agency"]:
        first, again = client.get(url), client.get(url)
        assert first.status_code == again.status_code == 400, url
        assert again.content == first.content


def test_each_page_of_a_list_is_cached_apart(client):
    for year in range(1990, 1995):
        CaseFactory(form="final", date=str(year))
    pages = [client.get("/cases/", {"form": "final", "page_size": 2, "page": n}).content.decode()
             for n in (1, 2, 3, 1)]
    years = [re.findall(r'class="when">(\d{4})<', page) for page in pages]
    assert years == [["1990", "1991"], ["1992", "1993"], ["1994"], ["1990", "1991"]]


def test_stats_come_from_the_cache_until_a_write_and_never_cross_to_the_public(client):
    CaseFactory(form="final", date="1990")
    CaseFactory(form="final", date="1991", status="draft")
    cold, first = queries(client, "/api/v1/stats/")
    warm, second = queries(client, "/api/v1/stats/")
    assert second.json() == first.json()
    assert first.json()["count"] == 1
    assert warm < cold
    assert warm == 1  # the version

    editor = User.objects.create_user("editor-cache", password="x" * 16, is_staff=True,
                                      is_superuser=True)
    client.force_login(editor)
    assert client.get("/api/v1/stats/").json()["count"] == 2  # staff see the draft
    client.logout()
    assert client.get("/api/v1/stats/").json()["count"] == 1  # and the public still does not

    CaseFactory(form="geographic", date="1992")
    assert client.get("/api/v1/stats/").json()["count"] == 2


def test_api_count_is_cached_until_a_write(client):
    for _ in range(3):
        CaseFactory(form="geographic", date="1995")
    url = "/api/v1/cases/?form=geographic&year_min=1990"
    assert client.get(url).json()["count"] == 3
    CaseFactory(form="geographic", date="1996")
    assert client.get(url).json()["count"] == 4


def test_restore_over_the_database_moves_the_version_past_every_cached_one(tmp_path):
    CaseFactory(form="final", date="1990")
    dump = tmp_path / "db.dump"
    call_command("backup", output=str(dump), verbosity=0)
    for _ in range(3):
        CaseFactory()
    before = data_version()
    call_command("restore", str(dump), yes=True, verbosity=0)
    assert Case.objects.count() == 1
    assert data_version() > before
