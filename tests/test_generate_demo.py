"""generate_demo: a small load into a throwaway database; the default one is never touched."""

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from psycopg2 import sql

from defections.management.commands.generate_demo import MARK
from defections.models import Case

NAME = f"test_generate_demo_{os.getpid()}"
ROOT = Path(__file__).resolve().parent.parent


def generate_demo(*args):
    """The command in its own process, whose default database is this run's test database."""
    env = {**os.environ, "EMBEDDED_DB_NAME": settings.DATABASES["default"]["NAME"]}
    return subprocess.run([sys.executable, "manage.py", "generate_demo", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def server(dbname="postgres"):
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=dbname, host=db["HOST"], port=db["PORT"], user=db["USER"])
    conn.autocommit = True
    return conn


def drop(name):
    with closing(server()) as conn, conn.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def scalar(cursor, query):
    cursor.execute(query)
    return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_loads_a_consistent_marked_database_and_leaves_the_default_alone():
    before = Case.objects.count()
    try:
        done = generate_demo("--cases", "300", "--database-name", NAME)
        assert done.returncode == 0, done.stderr
        conn = server(NAME)
        with conn.cursor() as c:
            assert scalar(c, "SELECT count(*) FROM defections_case") == 300
            assert scalar(c, "SELECT count(*) FROM defections_person") == 240
            # Triggers were off during the load: check by hand what the foreign keys would have.
            assert scalar(c, "SELECT count(*) FROM defections_case c JOIN defections_person p "
                             "ON p.id = c.person_id") == 300
            assert scalar(c, "SELECT count(*) FROM defections_case c LEFT JOIN defections_agency a "
                             "ON a.id = c.agency_id WHERE c.agency_id IS NOT NULL AND a.id IS NULL") == 0
            assert scalar(c, "SELECT count(*) FROM defections_citation c LEFT JOIN defections_source s "
                             "ON s.id = c.source_id WHERE s.id IS NULL") == 0
            assert scalar(c, "SELECT count(*) FROM defections_case c WHERE NOT EXISTS (SELECT 1 FROM "
                             "defections_citation WHERE case_id = c.id)") == 0
            assert scalar(c, "SELECT count(*) FROM defections_case WHERE summary NOT LIKE 'Synthetic%'") == 0
            # ...and what the database's own rules would have: sources are their own origins, a
            # confirmed case cites two of them.
            assert scalar(c, "SELECT count(*) FROM defections_source "
                             "WHERE origin_id IS DISTINCT FROM id") == 0
            assert scalar(c, "SELECT count(*) FROM defections_case k WHERE verification = 'confirmed' "
                             "AND status <> 'retracted' AND (SELECT count(DISTINCT s.origin_id) FROM "
                             "defections_citation t JOIN defections_source s ON s.id = t.source_id "
                             "WHERE t.case_id = k.id) < 2") == 0
            assert scalar(c, "SELECT count(*) FROM defections_case WHERE period_id IS NOT NULL") > 100
            # The indexes dropped for the load are back, and ids continue after the loaded rows.
            assert scalar(c, "SELECT count(*) FROM pg_indexes WHERE indexname IN "
                             "('person_name_trgm', 'alias_name_trgm', 'case_search_vector')") == 3
            assert scalar(c, "SELECT nextval(pg_get_serial_sequence('defections_case', 'id'))") == 301
            assert scalar(c, "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                             f"WHERE datname = '{NAME}'") == MARK
        conn.close()
        # Run again: it may replace a database it made.
        assert generate_demo("--cases", "5", "--database-name", NAME).returncode == 0
    finally:
        drop(NAME)
    assert Case.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_refuses_the_default_database_and_databases_it_did_not_make():
    refused = generate_demo("--cases", "5", "--database-name", settings.DATABASES["default"]["NAME"])
    assert refused.returncode != 0 and "default database" in refused.stderr
    plain = NAME + "_plain"
    with closing(server()) as conn, conn.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(plain)))
    try:
        refused = generate_demo("--cases", "5", "--database-name", plain)
        assert refused.returncode != 0 and "not made by generate_demo" in refused.stderr
        server(plain).close()  # still there
    finally:
        drop(plain)


@pytest.mark.django_db(transaction=True)
def test_works_beside_a_default_database_never_migrated():
    """`make bench` on a fresh clone: the migrations read the database they migrate, not the
    default one (which had no content types yet)."""
    empty, target = f"{NAME}_empty", f"{NAME}_beside"
    with closing(server()) as conn, conn.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(empty)))
    try:
        env = {**os.environ, "EMBEDDED_DB_NAME": empty}
        done = subprocess.run([sys.executable, "manage.py", "generate_demo", "--cases", "20",
                               "--database-name", target], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        with closing(server(target)) as conn, conn.cursor() as cursor:
            assert scalar(cursor, "SELECT count(*) FROM defections_case") == 20
            assert scalar(cursor, "SELECT count(*) FROM auth_group") == 2
    finally:
        drop(target)
        drop(empty)


@pytest.mark.django_db(transaction=True)
def test_a_failed_load_leaves_no_database_to_reuse(monkeypatch):
    from django.core.management import call_command

    from defections.management.commands import generate_demo as command

    def fail(self, cases):
        raise RuntimeError("the load failed half-way")

    monkeypatch.setattr(command.Command, "load", fail)
    with pytest.raises(RuntimeError):
        call_command("generate_demo", "--cases", "5", "--database-name", f"{NAME}_failed")
    with closing(server()) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [f"{NAME}_failed"])
        assert cursor.fetchone()[0] == 0
