"""The embedded PostgreSQL: processes started together share one server, and no data is lost."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CLIENT = """
import sys, time
from pathlib import Path
from defections.embedded import database_settings
import psycopg2
s = database_settings("concurrency")
conn = psycopg2.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"])
conn.autocommit = True
cur = conn.cursor()
# CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL: take turns.
cur.execute("BEGIN; SELECT pg_advisory_xact_lock(1); CREATE TABLE IF NOT EXISTS hits (who text); COMMIT")
cur.execute("INSERT INTO hits VALUES (%s)", [sys.argv[1]])
cur.execute("SELECT pg_postmaster_start_time()")
started = cur.fetchone()[0]
# Stay connected until every client is, so that they truly run at the same time.
barrier = Path(sys.argv[2])
(barrier / sys.argv[1]).touch()
deadline = time.time() + 60
while len(list(barrier.iterdir())) < int(sys.argv[3]) and time.time() < deadline:
    time.sleep(0.05)
print(started)
"""


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL is set: "
                    "the embedded server is not used")
def test_processes_started_together_share_one_server(tmp_path):
    pgdata = tmp_path / "pgdata"
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "EMBEDDED_PGDATA": str(pgdata)}
    clients = [
        subprocess.Popen([sys.executable, "-c", CLIENT, f"client-{i}", str(barrier), "3"],
                         cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    results = [client.communicate(timeout=120) for client in clients]
    for client, (_out, err) in zip(clients, results, strict=True):
        assert client.returncode == 0, err
    # One server answered all three (one start time), and it stopped with the last of them.
    assert len({out.strip() for out, _ in results}) == 1
    assert not (pgdata / "postmaster.pid").exists()

    # Started again, the server has every row the three wrote.
    check = CLIENT.replace("print(started)",
                           'cur.execute("SELECT count(*) FROM hits"); print(cur.fetchone()[0])')
    barrier.joinpath("client-0").unlink()
    out = subprocess.run([sys.executable, "-c", check, "client-0", str(barrier), "3"],
                         cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "4"
