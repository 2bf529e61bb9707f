"""Read replicas (defections/routers.py), against a REAL streaming replica of the test server:
made with the embedded server's own `pg_basebackup -R`, started on another port. Public
reads go to it; staff, tokens and a browser pinned after its write read the primary; a
paused replay (lag) never poisons the cache; a replica that goes away leaves the primary
serving, never a 500. Over real HTTP (live_server); the tests commit (transaction=True).
"""

import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from defections import embedded, routers
from defections.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)
ALIAS = "replica_0"
WITH_REPLICA = pytest.mark.django_db(transaction=True, databases=["default", ALIAS])


@pytest.fixture(scope="module")
def replica_server(django_db_setup):
    """One streaming replica of the server holding the test database, for the module."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Not under pytest's folders: the server's own user (as root) must reach it.
    home = Path(tempfile.mkdtemp(prefix="defections-replica-"))
    if os.geteuid() == 0:
        shutil.chown(home, "embedded_postgres")
    directory = home / "data"
    primary = connection.settings_dict
    replica = embedded.start_replica(directory, port, {"HOST": primary["HOST"], "PORT": primary["PORT"]})
    # replica_0, as settings make it from DATABASE_REPLICA_URLS, pointing at the replica; added
    # before a test's database set-up, which must know it (and not flush it: a mirror).
    config = {key: replica[key] for key in ("ENGINE", "USER", "HOST", "PORT")}
    config.update(NAME=primary["NAME"], CONN_HEALTH_CHECKS=True, TEST={"MIRROR": "default"})
    configured = connections.configure_settings({"default": dict(primary), ALIAS: config})
    connections.settings[ALIAS] = configured[ALIAS]
    yield {**replica, "directory": directory}
    connections[ALIAS].close()
    del connections[ALIAS]  # not kept for the next module's replica, on another port
    del connections.settings[ALIAS]
    embedded.stop_replica(directory)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def replica(replica_server, version_row):
    routers._down_until.clear()
    yield replica_server
    routers._down_until.clear()


def on_replica(replica_server, sql, params=()):
    conn = psycopg2.connect(dbname=connection.settings_dict["NAME"], user="postgres",
                            host=replica_server["HOST"], port=replica_server["PORT"])
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        conn.close()


def caught_up(replica_server, case, summary, timeout=30):
    deadline = time.monotonic() + timeout
    while on_replica(replica_server, "SELECT summary FROM defections_case WHERE id = %s",
                     [case.pk]) != [(summary,)]:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.1)


def fetch(url, method="GET", headers=None, body=None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_settings_make_an_alias_per_replica_url(monkeypatch):
    import importlib

    from defections import settings as project_settings

    monkeypatch.setenv("DATABASE_REPLICA_URLS",
                       "postgres://reader@replica-a:5433/defections, postgres://reader@%2Ftmp%2Fr:5434/defections")
    try:
        fresh = importlib.reload(project_settings)
        assert [alias for alias in fresh.DATABASES if alias != "default"] == ["replica_0", "replica_1"]
        assert fresh.DATABASES["replica_0"]["HOST"] == "replica-a"
        assert fresh.DATABASES["replica_1"]["HOST"] == "/tmp/r"
        assert fresh.DATABASES["replica_1"]["TEST"] == {"MIRROR": "default"}
        assert "word_similarity_threshold" in fresh.DATABASES["replica_0"]["OPTIONS"]["options"]
        assert fresh.DATABASE_ROUTERS == ["defections.routers.ReplicaRouter"]
    finally:
        monkeypatch.delenv("DATABASE_REPLICA_URLS")
        importlib.reload(project_settings)


@WITH_REPLICA
def test_lag_reads_the_replica_read_your_writes_and_never_poisons_the_cache(live_server, replica):
    case = CaseFactory(summary="Before the write.")
    caught_up(replica, case, "Before the write.")
    url = live_server.url + case.get_absolute_url()
    editor = User.objects.create_user("editor-replica", password="x" * 16, is_staff=True, is_superuser=True)
    token = Token.objects.create(user=editor).key

    on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        # The write, over the API with a token: it reads and writes the primary.
        status, headers, _ = fetch(live_server.url + f"/api/v1/cases/{case.pk}/",
                                   headers={"Authorization": f"Token {token}"})
        assert status == 200
        status, headers, _ = fetch(
            live_server.url + f"/api/v1/cases/{case.pk}/", method="PATCH",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json",
                     "If-Match": headers["ETag"]},
            body=b'{"summary": "After the write."}')
        assert status == 200
        pin = headers["Set-Cookie"]
        assert pin.startswith(f"{routers.PIN_COOKIE}=") and "Max-Age=10" in pin and "HttpOnly" in pin
        assert Case.objects.get(pk=case.pk).summary == "After the write."

        # The public reads the replica, which has not replayed the write yet: old, as lag is.
        for _ in range(2):
            status, _, body = fetch(url)
            assert status == 200 and "Before the write." in body
        # The writer's browser (pinned), a staff session and a token read the primary.
        status, _, body = fetch(url, headers={"Cookie": pin.split(";")[0]})
        assert status == 200 and "After the write." in body
        status, _, body = fetch(url, headers={"Cookie": session_cookie(editor)})
        assert "After the write." in body
        status, _, body = fetch(live_server.url + f"/api/v1/cases/{case.pk}/",
                                headers={"Authorization": f"Token {token}"})
        assert "After the write." in body
    finally:
        on_replica(replica, "SELECT pg_wal_replay_resume()")
    caught_up(replica, case, "After the write.")
    # The page read from the lagging replica was kept under the replica's (old) version: once
    # the replica has the write, the public gets the new page, early or not.
    for headers in ({}, {"Cookie": "unrelated=1"}, {}):
        status, _, body = fetch(url, headers=headers)
        assert status == 200 and "After the write." in body and "Before the write." not in body


@WITH_REPLICA
def test_a_public_request_reads_the_primary_in_a_transaction_or_once_pinned(replica):
    """What writes reads what it writes from the primary: a public request's reads inside a
    transaction, and every read after one or after read_primary(), are the primary's, never
    a lagging replica's (the change feed lost writes deciding on the replica's old rows)."""
    case = CaseFactory(summary="Before.")
    caught_up(replica, case, "Before.")
    on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        Case.objects.filter(pk=case.pk).update(summary="After.")
        for pin in ("transaction", "read_primary"):
            token = routers.begin(public=True)
            try:
                assert routers.read_alias() == ALIAS
                assert Case.objects.get(pk=case.pk).summary == "Before.", pin  # the replica, behind
                if pin == "transaction":
                    with transaction.atomic():
                        assert Case.objects.get(pk=case.pk).summary == "After."
                else:
                    routers.read_primary()
                assert Case.objects.get(pk=case.pk).summary == "After.", pin  # to the request's end
            finally:
                routers.end(token)
    finally:
        on_replica(replica, "SELECT pg_wal_replay_resume()")


@WITH_REPLICA
def test_a_replica_that_goes_away_leaves_the_primary_serving(live_server, replica):
    case = CaseFactory(summary="Served either way.")
    caught_up(replica, case, "Served either way.")
    url = live_server.url + case.get_absolute_url()
    assert fetch(url)[0] == 200
    embedded.stop_replica(replica["directory"])
    try:
        Case.objects.filter(pk=case.pk).update(summary="Only the primary has this.")
        for _ in range(3):
            status, _, body = fetch(url)
            assert status == 200 and "Only the primary has this." in body
        assert routers._down_until  # left out for a while, not tried on every request
    finally:
        embedded.run_replica(replica["directory"], replica["PORT"])


@WITH_REPLICA
def test_a_public_csv_streams_its_rows_from_the_replica(live_server, replica):
    """A streamed body is read after the middleware returned: its rows come from the request's
    replica as the rest of it did, not from the primary (a mix, found by attack round 30)."""
    case = CaseFactory(summary="Before the export.")
    caught_up(replica, case, "Before the export.")
    on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        Case.objects.filter(pk=case.pk).update(summary="Only the primary has this.")
        status, headers, body = fetch(live_server.url + "/api/v1/cases/?format=csv")
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert "Before the export." in body and "Only the primary has this." not in body
    finally:
        on_replica(replica, "SELECT pg_wal_replay_resume()")
