"""A backup restores into a fresh database with identical content."""

import psycopg2
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import sql
from rest_framework.test import APIClient

from defections.models import Motive
from tests.factories import CaseFactory, PersonFactory


def table_digests(cursor) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row of every project and auth table, in key order."""
    digests = {}
    tables = [m._meta.db_table for m in apps.get_models()
              if m._meta.app_label in {"defections", "auth"} and m._meta.managed]
    for table in sorted(set(tables)):
        cursor.execute(sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
        ).format(sql.Identifier(table)))
        digests[table] = cursor.fetchone()
    return digests


@pytest.mark.django_db(transaction=True)
def test_backup_restores_identically(tmp_path):
    call_command("load_seed", verbosity=0)
    case = CaseFactory(person=PersonFactory(name="Ядвига Łukasiewicz", at_risk=True),
                       status="draft", restricted_notes="notes\nwith 'quotes' and ; \\ chars",
                       date="c. 1953")
    case.motives.set(Motive.objects.all()[:2])
    dump = tmp_path / "db.dump"
    call_command("backup", output=str(dump), verbosity=0)
    assert dump.stat().st_size > 0

    restored_name = f"{connection.settings_dict['NAME']}_restored"
    try:
        call_command("restore", str(dump), into=restored_name, verbosity=0)
        with connection.cursor() as cursor:
            original = table_digests(cursor)
        # A plain connection to the restored database, outside Django's test isolation.
        db = connection.settings_dict
        restored_conn = psycopg2.connect(dbname=restored_name, user=db["USER"], host=db["HOST"],
                                         port=db["PORT"], password=db["PASSWORD"] or None)
        try:
            with restored_conn.cursor() as cursor:
                restored = table_digests(cursor)
        finally:
            restored_conn.close()
        assert original["defections_case"][0] == 11
        # The change feed's ledger starts again in a restored database (its followers may hold
        # newer data): empty there, the rest identical.
        ledger = {"defections_changefeed", "defections_changestate", "defections_changeentry",
                  "defections_changemark"}
        assert original["defections_changemark"][0] > 0
        assert all(restored.pop(table)[0] == 0 for table in ledger)
        assert restored == {table: digest for table, digest in original.items() if table not in ledger}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(restored_name)))


def test_restore_refuses_without_confirmation(tmp_path, db):
    missing = tmp_path / "nothing.dump"
    with pytest.raises(CommandError, match="No such backup"):
        call_command("restore", str(missing))
    missing.write_bytes(b"x")
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(missing))


@pytest.mark.django_db(transaction=True)
def test_after_a_restore_followers_of_the_change_feed_start_again(tmp_path):
    """A follower holds what was written after the backup: the restored feed tells it to read
    the lists again (410) instead of answering as if nothing were gone."""
    api = APIClient()
    call_command("load_seed", verbosity=0)
    until = api.get("/api/v1/changes/").json()["until"]
    dump = tmp_path / "db.dump"
    call_command("backup", output=str(dump), verbosity=0)
    CaseFactory(status="published", person=PersonFactory(name="Written after the backup"))
    until = api.get(f"/api/v1/changes/?since={until}").json()["until"]
    call_command("restore", str(dump), yes=True, verbosity=0)
    assert api.get(f"/api/v1/changes/?since={until}").status_code == 410
