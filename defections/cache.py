"""Counts and pages worth keeping, cached under the data version so that no write can
leave them stale.

The version changes at the commit of any write to our tables (a trigger, migration
0006), so a value cached under it is right for as long as the version stands, in
every process that reads it. Nothing is cached inside a transaction: there the
version read may not be the one the data will commit under.

Values are kept in the "pages" cache (settings.CACHES, from CACHE_URL): the process's own
memory by default, or a store shared by the workers (a folder, Redis), so that a page one
worker computed is a hit for every other. A versioned key's value never changes, so each
process also keeps what it read from a shared store in its own memory, in front of it.

With read replicas (defections/routers.py) the version is read from the database the
request reads its data from, before the data: a replica behind the primary gives an older
version and older data together, so lag can serve an old page but never file one under a
newer version.
"""

from hashlib import sha256

from django.conf import settings
from django.core.cache import cache, caches
from django.db import InterfaceError, OperationalError, connection, connections

from defections import languages, routers, withholding

TIMEOUT = 24 * 3600  # entries of old versions are never read again; let them expire


def data_version() -> int | None:
    """The version, from the database this request reads from (defections/routers.py).

    The first query of a request on a kept connection is its health check too: one round
    trip instead of Django's `SELECT 1` and then this. A connection the server dropped fails
    it and is opened anew, as the health check would have done.
    """
    db = connections[routers.read_alias()]
    if db.connection is not None and db.health_check_enabled and not db.health_check_done:
        db.health_check_done = True
        try:
            return _read_version(db)
        except (OperationalError, InterfaceError):
            db.close()
    return _read_version(db)


def _read_version(db) -> int | None:
    with db.cursor() as cursor:
        cursor.execute("SELECT version FROM defections_dataversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def current_version() -> int | None:
    """The version to key by (read once, for several `remember`s), or None: do not cache."""
    if connection.in_atomic_block or connections[routers.read_alias()].in_atomic_block:
        return None
    return data_version()


def key_for(name: str, parts, version: int, language: str | None = None) -> str:
    """The key of a value: by data version and by day, as a withholding lapses at the turn
    of a day with no write (defections/withholding.py), and by language (the one being
    served unless given), as labels and records' texts are rendered in it."""
    digest = sha256(repr(parts).encode()).hexdigest()
    return f"defections:{name}:{version}:{withholding.today()}:{language or languages.current()}:{digest}"


def _shared():
    """The pages cache when it is not this process's own memory (CACHE_URL), else None."""
    if settings.CACHES["pages"]["BACKEND"].endswith("LocMemCache"):
        return None  # locmem:// is the default cache's own store
    return caches["pages"]


def kept(key: str):
    """The value kept under a versioned key, or None: this process's memory first, then the
    shared store (what it gives is kept in memory too: under its version it never changes)."""
    value = cache.get(key)
    if value is None and (shared := _shared()) is not None:
        value = shared.get(key)
        if value is not None:
            cache.set(key, value, TIMEOUT)
    return value


def keep(key: str, value) -> None:
    """Keep a value under a versioned key, for this process and every one sharing the store."""
    cache.set(key, value, TIMEOUT)
    if (shared := _shared()) is not None:
        shared.set(key, value, TIMEOUT)


def remember(name: str, parts, compute, version: int | None = None):
    """compute(), or its value cached for this data version and these parts (any repr-able key)."""
    if connection.in_atomic_block:
        return compute()
    version = version or data_version()
    if version is None:
        return compute()
    key = key_for(name, parts, version)
    value = kept(key)
    if value is None:
        value = compute()
        keep(key, value)
    return value


def sql_of(queryset) -> tuple:
    """What a queryset asks of the database: the key for what it answers."""
    return queryset.query.sql_with_params()


def sequence_value() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM defections_data_version_seq")
        return cursor.fetchone()[0]


def bump_version() -> None:
    """A new version for a change outside the tables (a release): the cached pages naming the
    latest release are recomputed."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE defections_dataversion SET version = nextval('defections_data_version_seq') "
                       "WHERE id = 1")


def advance_version(past: int) -> None:
    """Move the version beyond `past` (after a restore brought back an older sequence).

    Versions the running processes have cached under must not be handed out again.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE defections_dataversion SET version = setval('defections_data_version_seq', "
            "GREATEST(%s, (SELECT last_value FROM defections_data_version_seq)) + 1) WHERE id = 1",
            [past])
