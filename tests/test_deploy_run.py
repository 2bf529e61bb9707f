"""`make run`: with DEBUG=0 the pages work (static files collected first), and stopping it
stops the embedded PostgreSQL; `python -m defections.embedded stop` never stops a server a
live process still uses, and is not fooled by processes that died without cleaning up."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="DATABASE_URL is set: the embedded server is not used")

HOLD = """
import sys, time
from defections.embedded import database_settings
database_settings("holder")
print("joined", flush=True)
time.sleep(600)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running(pgdata: Path) -> bool:
    return (pgdata / "postmaster.pid").exists()


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read().decode()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 300) -> tuple[int, str]:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert process.poll() is None, "make run exited early"
        try:
            return get(url)
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} never answered")


def test_make_run_with_debug_off_serves_pages_and_ctrl_c_stops_postgres(tmp_path):
    pgdata, static = tmp_path / "pgdata", tmp_path / "static"
    port = free_port()
    env = {**os.environ, "EMBEDDED_PGDATA": str(pgdata), "STATIC_ROOT": str(static),
           "DEBUG": "0", "PORT": str(port), "ADMIN_PASSWORD": "a-long-test-password"}
    env.pop("DATABASE_URL", None)
    # -o: do not reinstall the virtual environment the tests run in.
    make = subprocess.Popen(["make", "-o", ".venv/.installed", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        status, page = wait_for(f"http://127.0.0.1:{port}/", make)
        assert status == 200
        # The stylesheet is the collected, hashed one, and it is served.
        stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, page[:2000]
        assert get(f"http://127.0.0.1:{port}{stylesheet.group(1)}")[0] == 200
        assert (static / "staticfiles.json").exists()
        assert running(pgdata)
    finally:
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output = make.communicate(timeout=120)[0]
    assert not running(pgdata), output[-3000:]
    assert "Stopped the embedded PostgreSQL" in output or "was not running" in output, output[-3000:]


def test_stop_spares_a_server_in_use_and_forgets_dead_processes(tmp_path):
    env = {**os.environ, "EMBEDDED_PGDATA": str(tmp_path / "pgdata")}
    stop = [PYTHON, "-m", "defections.embedded", "stop"]
    holder = subprocess.Popen([PYTHON, "-c", HOLD], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "joined"
        refused = subprocess.run(stop, cwd=ROOT, env=env, capture_output=True, text=True)
        assert refused.returncode == 1
        assert f"still used by process {holder.pid}" in refused.stderr
        assert running(tmp_path / "pgdata")
    finally:
        holder.kill()  # no exit handlers: its handle stays in the library's list
        holder.wait()
    assert running(tmp_path / "pgdata")
    done = subprocess.run(stop, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Stopped the embedded PostgreSQL" in done.stdout
    assert not running(tmp_path / "pgdata")
    again = subprocess.run(stop, cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "was not running" in again.stdout
