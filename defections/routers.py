"""Public reads to the read replicas, writes and the writer's own reads to the primary.

Settings add each of DATABASE_REPLICA_URLS as an alias replica_0, replica_1, ...; with
none, every query goes to the primary and nothing here has any effect.

A request is given one database to read from when it starts (ReadReplicaMiddleware):
a replica for a public read (GET or HEAD with no session, no token, no pin cookie), else
the primary. One replica for the whole request, never a mix: the data version
(defections/cache.py) is read from that same replica before the data, so a page is
cached under a version no newer than the data it shows, and replica lag can leave a
page old but never keep an old page under a new version.

Read-your-writes: once a request writes, its later reads go to the primary, and its
answer sets a pin cookie that sends the next REPLICA_PIN_SECONDS of that browser's
reads there too. Sessions, users and tokens are always read from the primary.

What writes must read what it writes from the primary, from its first read: a replica
behind it would have it decide on old rows (the change feed's catch-up deleted its marks on
the primary, compared them with records read from a lagging replica, and lost the change for
good). Two ways, neither left to each query: every read inside a transaction on the
primary is the primary's (a transaction is how code reads, then writes, as one), and code
that writes from a public GET calls read_primary() before it reads anything. Either pins
the rest of the request to the primary, so it never reads older rows after newer ones.

A replica that does not answer is left out for DOWN_SECONDS; the primary serves.
"""

import random
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError, connections

PRIMARY = "default"
PIN_COOKIE = "defections_primary"
DOWN_SECONDS = 5.0
PUBLIC_APP = "defections"  # the data; auth, sessions and tokens stay on the primary


@dataclass
class Scope:
    """Where this request reads, and whether it wrote."""

    alias: str = PRIMARY
    wrote: bool = False


_scope: ContextVar[Scope | None] = ContextVar("defections_read_scope", default=None)
_down_until: dict[str, float] = {}


def replicas() -> list[str]:
    return [alias for alias in connections if alias.startswith("replica_")]


def read_alias() -> str:
    """The database this request reads from (the primary outside a request)."""
    scope = _scope.get()
    return scope.alias if scope else PRIMARY


def read_primary() -> None:
    """This request reads the primary from now on (no effect outside a request)."""
    if (scope := _scope.get()) is not None:
        scope.alias = PRIMARY


def wrote() -> bool:
    scope = _scope.get()
    return bool(scope and scope.wrote)


def reachable(alias: str) -> bool:
    """Whether alias answers now; one that does not is left out for DOWN_SECONDS."""
    if _down_until.get(alias, 0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (OperationalError, InterfaceError):
        connection.close()
        _down_until[alias] = time.monotonic() + DOWN_SECONDS
        return False
    _down_until.pop(alias, None)
    return True


def choose_replica() -> str:
    """A replica that answers (in random order, to spread the load), else the primary."""
    candidates = replicas()
    random.shuffle(candidates)
    return next((alias for alias in candidates if reachable(alias)), PRIMARY)


def begin(public: bool):
    """Open the request's scope: a replica for a public read, else the primary."""
    return _scope.set(Scope(choose_replica() if public and replicas() else PRIMARY))


def end(token) -> None:
    _scope.reset(token)


def streamed_in_scope(chunks):
    """A streamed body's chunks, each made in the request's scope (taken now): the body is
    read after the middleware returned, and must read where the rest of the request read."""
    return _in_scope(_scope.get(), iter(chunks))


def _in_scope(scope, chunks):
    try:
        while True:
            token = _scope.set(scope)
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            finally:
                _scope.reset(token)
            yield chunk
    finally:
        if hasattr(chunks, "close"):
            chunks.close()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        """The request's database for our data; otherwise (related rows of a record read, other
        apps) None: Django's choice, the record's own database or the default."""
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return None
        if model._meta.app_label != PUBLIC_APP:
            return None
        if connections[PRIMARY].in_atomic_block:  # a transaction reads what it will write
            read_primary()
        return read_alias()

    def db_for_write(self, model, **hints):
        scope = _scope.get()
        if scope is not None:  # read your own writes, for the rest of the request
            scope.alias, scope.wrote = PRIMARY, True
        instance = hints.get("instance")
        if instance is not None and (instance._state.db or "").startswith("replica_"):
            return PRIMARY  # a record read from a replica is written to the primary
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """Never into a replica (read-only, fed by the primary); other aliases as Django decides
        (generate_demo migrates a database of its own)."""
        return False if db.startswith("replica_") else None
