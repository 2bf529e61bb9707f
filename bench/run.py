"""`make bench`: our app, the floor and the peer (Datasette), the same requests, one run.

Environment: CASES (default 100000), REGENERATE=1 to rebuild the demo database,
DURATION (wrk's -d, default 10s), WORKERS (gunicorn workers, default 2),
CONNECTIONS (wrk -c, default 4), CACHE (file: the workers share a cache folder, emptied
before the servers start; locmem: each worker its own, as before 2026-11-28). Everything
listens on 127.0.0.1 only, each load is bounded in time, and the servers are stopped (their
process groups) on the way out.
Ratios between targets measured in the same run are the result; absolute times on
a shared 2-core machine are noise.
"""

import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
VENV = BENCH / ".venv"
PY = ROOT / ".venv" / "bin" / "python"
PACKAGES = ["datasette>=0.65,<1", "orjson", "psycopg2-binary", "gunicorn"]

CASES = int(os.environ.get("CASES", "100000"))
REGENERATE = os.environ.get("REGENERATE", "").lower() in {"1", "true", "yes"}
DURATION = os.environ.get("DURATION", "10s")
WORKERS = int(os.environ.get("WORKERS", "2"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "4"))
TARGETS = os.environ.get("TARGETS", "ours,floor,datasette").split(",")  # to iterate on one
RECAPTURE = os.environ.get("RECAPTURE", "1") != "0"  # RECAPTURE=0 reuses the last capture
# REQUESTS=html_case,html_list loads only those (the capture's names); all by default.
REQUESTS = [name for name in os.environ.get("REQUESTS", "").split(",") if name]
# REPLICA=1: ours reads from a streaming replica of the embedded server (pg_basebackup -R),
# made for the run in bench/data/replica and stopped after it (DATABASE_REPLICA_URLS).
REPLICA = os.environ.get("REPLICA", "").lower() in {"1", "true", "yes"}
REPLICA_DIR = DATA / "replica"
# CACHE=file (default): ours' workers share one cache folder (CACHE_URL=file://…), so a page
# the probe warmed is a hit in every worker; CACHE=locmem: each worker caches on its own.
CACHE = os.environ.get("CACHE", "file")
CACHE_DIR = DATA / "cache"
REPLICA_URLS: dict = {}
CSV_TIMEOUT = 600
CAPTURE_TIMEOUT = 1800
DEMO_DB = f"defections_demo_{CASES}"
MARK = "synthetic data from generate_demo: safe to drop"
DB_SETTINGS: dict = {}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]] if duration[-1] in units else float(duration)


# --- set-up ----------------------------------------------------------------------------------


def tools() -> None:
    """bench/.venv for the bench-only packages (the project's .venv is shared), and wrk."""
    if not (VENV / ".installed").exists():
        log("creating bench/.venv (datasette, orjson, psycopg2-binary, gunicorn)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", *PACKAGES], check=True)
        (VENV / ".installed").touch()
    if shutil.which("wrk") is None:
        log("installing wrk from Debian")
        if subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True).returncode:
            subprocess.run(["apt-get", "update"], check=True, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)


def server_settings() -> dict:
    """Join the embedded server (this process holds it up for the run) and return its address."""
    if os.environ.get("DATABASE_URL"):
        sys.exit("make bench uses the embedded PostgreSQL; unset DATABASE_URL.")
    sys.path.insert(0, str(ROOT))
    from defections.embedded import database_settings

    return database_settings("postgres")


def demo_database(db: dict) -> int:
    """Reuse the demo database of this size if generate_demo made it, else (re)make it.

    Returns the database's oid, which names the SQLite export made from it.
    """
    import psycopg2

    def lookup():
        conn = psycopg2.connect(dbname="postgres", host=db["HOST"], port=db["PORT"], user=db["USER"])
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT oid, shobj_description(oid, 'pg_database') FROM pg_database "
                           "WHERE datname = %s", [DEMO_DB])
            row = cursor.fetchone()
        conn.close()
        return row

    row = lookup()
    if REGENERATE or row is None or row[1] != MARK:
        log(f"generating {CASES} cases into {DEMO_DB}")
        env = {k: v for k, v in os.environ.items() if k != "EMBEDDED_DB_NAME"}
        subprocess.run([str(PY), "manage.py", "generate_demo", "--cases", str(CASES),
                        "--database-name", DEMO_DB, "-v", "2"], cwd=ROOT, env=env, check=True,
                       timeout=CAPTURE_TIMEOUT)
        row = lookup()
    else:
        log(f"reusing {DEMO_DB} (REGENERATE=1 to rebuild it); applying new migrations")
        subprocess.run([str(PY), "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True,
                       env={**os.environ, "EMBEDDED_DB_NAME": DEMO_DB}, timeout=CAPTURE_TIMEOUT)
        vacuum()
    return row[0]


def vacuum() -> None:
    """VACUUM ANALYZE the demo database, as generate_demo ends: a migration that rewrites its
    rows (an UPDATE of every case) leaves the visibility map cleared and the statistics
    stale, so index-only scans read the heap again and plans differ from a fresh load."""
    import psycopg2

    db = DB_SETTINGS
    conn = psycopg2.connect(dbname=DEMO_DB, host=db["HOST"], port=db["PORT"], user=db["USER"])
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    finally:
        conn.close()


def active_queries() -> int:
    """Queries running on the demo database (ours and the floor's), other than this one."""
    import psycopg2

    db = DB_SETTINGS
    conn = psycopg2.connect(dbname="postgres", host=db["HOST"], port=db["PORT"], user=db["USER"])
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                           "AND pid <> pg_backend_pid()", [DEMO_DB])
            return cursor.fetchone()[0]
    finally:
        conn.close()


def app_env() -> dict:
    return {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench-only-secret-key-not-for-production",
            "EMBEDDED_DB_NAME": DEMO_DB, "API_ANON_RATE": "1000000000/s", "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1,localhost"}


def capture() -> dict:
    """Query counts and SQL per request, in-process (bench/capture.py)."""
    out = DATA / f"queries_{CASES}.json"
    if not RECAPTURE and out.exists():
        return json.loads(out.read_text())
    log("capturing SQL and query counts in-process")
    subprocess.run([str(PY), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                   env=app_env(), check=True)
    # Bounded too: each request once, the CSV export included (~2 min at 13 ms a row).
    subprocess.run([str(PY), str(BENCH / "capture.py"), str(out)], cwd=ROOT, env=app_env(), check=True,
                   timeout=CAPTURE_TIMEOUT)
    return json.loads(out.read_text())


def export_sqlite(db: dict, oid: int) -> Path:
    out = DATA / f"demo_{CASES}.db"
    stamp = DATA / f"demo_{CASES}.db.oid"
    if out.exists() and stamp.exists() and stamp.read_text() == str(oid):
        return out
    log("exporting the published cases to SQLite for Datasette")
    env = {**os.environ, "BENCH_DB_NAME": DEMO_DB, "BENCH_DB_HOST": db["HOST"],
           "BENCH_DB_PORT": str(db["PORT"]), "BENCH_DB_USER": db["USER"]}
    subprocess.run([str(VENV / "bin" / "python"), str(BENCH / "export_sqlite.py"), str(out)],
                   env=env, check=True)
    stamp.write_text(str(oid))
    return out


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, command: list[str], env: dict, cwd: Path):
        self.name, self.port = name, free_port()
        command = [part.replace("{port}", str(self.port)) for part in command]
        self.log = open(DATA / f"{name}.log", "w")
        self.proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout=120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see bench/data/{self.name}.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start in {timeout} s")

    def pids(self) -> list[int]:
        """The worker processes (gunicorn's children), else the server process itself."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    children.append(int(entry.name))
        return children or [self.proc.pid]

    def memory(self, field: str = "VmHWM") -> float:
        """The largest `field` (kB in /proc) among the workers, in MB."""
        values = []
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(field + ":"):
                        values.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return round(max(values), 1) if values else 0.0

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
        return total

    def drain(self, timeout: float = 300) -> None:
        """Wait until the server is idle: wrk leaves slow requests in flight when it stops, and
        the server would go on answering them during the next measurement. Idle = its workers
        use no CPU and (they wait on PostgreSQL) no query runs on the demo database."""
        deadline, last = time.monotonic() + timeout, self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(1)
            now = self.cpu_ticks()
            if now - last <= 5 and active_queries() == 0:  # under 5% of a core over that second
                return
            last = now

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def start_replica(db: dict) -> None:
    """A fresh streaming replica of the embedded server, holding the demo database."""
    from urllib.parse import quote

    from defections import embedded

    stop_replica()
    shutil.rmtree(REPLICA_DIR, ignore_errors=True)
    log("making a streaming replica (pg_basebackup -R) in bench/data/replica")
    replica = embedded.start_replica(REPLICA_DIR, free_port(), db)
    REPLICA_URLS["DATABASE_REPLICA_URLS"] = (f"postgres://postgres@{quote(replica['HOST'], safe='')}:"
                                             f"{replica['PORT']}/{DEMO_DB}")


def stop_replica() -> None:
    if (REPLICA_DIR / "postmaster.pid").exists():
        from defections import embedded

        embedded.stop_replica(REPLICA_DIR)


def cache_env() -> dict:
    """Ours' CACHE_URL: a folder shared by its workers, emptied so that the probe is cold."""
    if CACHE == "locmem":
        return {"CACHE_URL": "locmem://"}
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    return {"CACHE_URL": f"file://{CACHE_DIR}"}


def servers(datasette_db: Path) -> list[tuple]:
    """(name, command, environment, directory) of each target, started one at a time."""
    gunicorn = ["-w", str(WORKERS), "-b", "127.0.0.1:{port}", "--timeout", str(CSV_TIMEOUT),
                "--no-control-socket"]  # else every gunicorn shares ~/.gunicorn/gunicorn.ctl
    return [
        ("ours", [str(ROOT / ".venv" / "bin" / "gunicorn"), "defections.wsgi:application", *gunicorn],
               {**app_env(), **REPLICA_URLS, **cache_env()}, ROOT),  # only the server reads the replica
        ("floor", [str(VENV / "bin" / "gunicorn"), "floor:app", *gunicorn],
               {**os.environ, "BENCH_QUERIES": str(DATA / f"queries_{CASES}.json")}, BENCH),
        ("datasette", [str(VENV / "bin" / "datasette"), "serve", "-i", str(datasette_db),
                             "-h", "127.0.0.1", "-p", "{port}",
                             "--setting", "max_returned_rows", "10000",
                             "--setting", "max_csv_mb", "0",  # no cut: the whole export
                             "--setting", "sql_time_limit_ms", "30000",
                             "--setting", "facet_time_limit_ms", "5000",
                             "--setting", "default_facet_size", "100",
                             # No per-column facet suggestions: neither do our pages.
                             "--setting", "suggest_facets", "off"], os.environ, BENCH),
    ]


# --- the requests ----------------------------------------------------------------------------


def datasette_paths(facts: dict, datasette_db: Path) -> dict:
    """Datasette's closest equivalents of our requests (bench/README.md says where they differ)."""
    import sqlite3

    table = f"/{datasette_db.stem}/cases"
    facets = "&_facet=form&_facet=verification&_facet=period&_facet=agency_id&_facet=destination_country"
    api = f"form={facts['form']}&year_end__gte={facts['year_api']}&_sort=date_start&_shape=objects"
    db = sqlite3.connect(datasette_db)
    offset = (facts["deep_page"] - 1) * facts["page_size"] - 1
    last = db.execute("SELECT date_start, id FROM cases WHERE form = ? AND year_end >= ? "
                      "ORDER BY date_start, id LIMIT 1 OFFSET ?",
                      [facts["form"], facts["year_api"], max(offset, 0)]).fetchone()
    deep = f"&_next={last[0]},{last[1]}" if last and offset >= 0 else ""
    beyond = db.execute("SELECT id FROM cases ORDER BY id LIMIT 1 OFFSET 100000").fetchone()
    cap = f"&id__lt={beyond[0]}" if beyond else ""  # the first 100,000 rows by id: a count as ours
    db.close()
    return {
        "html_list": f"{table}?form={facts['form']}&agency_root={facts['agency_root']}"
                     f"&year_end__gte={facts['year_list']}&_sort=date_start{facets}",
        "html_search": f"{table}?_search={facts['surname']}{facets}",
        "html_case": f"{table}/{facts['case_id']}",
        "api_list": f"{table}.json?{api}&_size={facts['page_size']}",
        "api_deep": f"{table}.json?{api}&_size={facts['page_size']}{deep}",
        "api_stats": f"{table}.json?_size=0&_facet=year_start&_facet=form&_facet=agency_id"
                     "&_facet=period&_facet_size=max",
        "csv": f"{table}.csv?_size=10000&_sort=date_start",
        # Every row streamed, as many as ours writes (its files stop at 100,000 rows).
        "csv_all": f"{table}.csv?_stream=on&_sort=date_start{cap}",
    }


def probe(url: str, limit: int | None = None) -> tuple[int | str, int]:
    """One GET: its status (or the error) and the size of its body (up to limit)."""
    try:
        with urllib.request.urlopen(url, timeout=CSV_TIMEOUT) as response:
            return response.status, len(response.read(limit) if limit else response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0
    except Exception as error:  # refused, reset, a body cut short: a result, not a crash
        return f"{type(error).__name__}", 0


def load_wrk(url: str, duration: str = DURATION) -> dict:
    """wrk for DURATION: latency percentiles and requests per second."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", "60s",
               "-s", str(BENCH / "report.lua"), url]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds(duration) + 120).stdout
    except subprocess.TimeoutExpired:
        return {"error": "wrk timed out"}
    line = next((line for line in out.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        return {"error": "no wrk report"}
    r = json.loads(line[len("BENCH_JSON "):])
    if not r["requests"]:
        return {"error": "no request completed"}
    return {"p50_ms": r["p50_us"] / 1000, "p95_ms": r["p95_us"] / 1000,
            "rps": r["requests"] / (r["duration_us"] / 1e6), "requests": r["requests"],
            "errors": r["socket_errors"] + r["non2xx"] + r["timeouts"]}


def load_stream(url: str, server: Server) -> dict:
    """The CSV export: sequential downloads for DURATION (at least one), sampling the workers'
    resident memory while the body streams, to see whether it stays flat."""
    times, samples, stop = [], [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(server.memory("VmRSS"))
            time.sleep(0.25)

    rss_before = server.memory("VmRSS")
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline, first_byte, size = time.monotonic() + seconds(DURATION), [], 0
    try:
        while not times or time.monotonic() < deadline:
            started = time.monotonic()
            with urllib.request.urlopen(url, timeout=CSV_TIMEOUT) as response:
                size = len(response.read(1))
                first_byte.append(time.monotonic() - started)
                while piece := response.read(1 << 16):
                    size += len(piece)
            times.append(time.monotonic() - started)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"[:120]}
    finally:
        stop.set()
        sampler.join()
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]  # nearest rank
    return {"p50_ms": statistics.median(times) * 1000, "p95_ms": p95 * 1000,
            "rps": len(times) / sum(times), "requests": len(times), "errors": 0,
            "ttfb_ms": statistics.median(first_byte) * 1000, "body_mb": size / 1e6,
            "mb_per_s": size / 1e6 / statistics.median(times),
            "rss_before_mb": rss_before, "rss_max_mb": max(samples, default=rss_before)}


# Other filter combinations than the measured ones: each worker's first request (imports,
# templates, translations, the URL conf) is paid once per worker start, not by the first
# reader of each new filter combination, which is what "first ms" measures.
WARM_UP = ["/about/", "/cases/?form=final", "/cases/?q=Smith", "/api/v1/cases/?form=final&page_size=5",
           "/api/v1/stats/?form=final", "/cases/1/"]


def warm_up(server: Server) -> None:
    """Every worker answers each kind of request once (wrk's connections reach them all)."""
    for path in WARM_UP:
        load_wrk(server.base + path, "2s")
    server.drain()


def measure(server: Server, name: str, path: str) -> dict:
    url = server.base + path
    started = time.monotonic()
    streamed = name.startswith("csv")
    status, size = probe(url, 1 << 16 if streamed else None)  # also the warm-up
    result = {"url": path, "status": status, "bytes": size, "first_ms": (time.monotonic() - started) * 1000}
    if status == 404:
        result["error"] = "missing (404)"
    elif status != 200:
        result["error"] = f"status {status}"
    else:
        result.update(load_stream(url, server) if streamed else load_wrk(url))
        server.drain()
    result["peak_mb"] = server.memory("VmHWM")
    return result


# --- the report ------------------------------------------------------------------------------


def fmt(value, digits=0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(captured: dict, results: dict) -> str:
    targets = ["ours", "floor", "datasette"]
    lines = [
        "| request | ours p50 / p95 ms | ours req/s | SQL warm (cold) | ours peak MB | ours first ms "
        "| floor p50 / p95 ms | floor req/s | Datasette p50 / p95 ms | Datasette req/s "
        "| ours/floor req/s | ours/Datasette req/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for request in captured["requests"]:
        name = request["name"]
        cells = [f"{request['label']}"]
        rps = {}
        for target in targets:
            r = results.get(target, {}).get(name, {"error": "not run"})
            if "error" in r and r.get("status") == 200:  # it answers, but too slowly for the load
                cell = [f"one request: {fmt(r.get('first_ms'))} ({r['error']})", "–"]
            elif "error" in r:
                cell = [r["error"], "–"]
            else:
                cell = [f"{fmt(r.get('p50_ms'), 1)} / {fmt(r.get('p95_ms'), 1)}", fmt(r.get("rps"), 1)]
                rps[target] = r.get("rps")
            if target == "ours":
                queries, cold = request.get("queries"), request.get("queries_cold")
                sql = fmt(queries) if queries is not None else str(request.get("status"))
                if cold is not None and cold != queries:
                    sql += f" ({cold})"
                cell += [sql, fmt(r.get("peak_mb"), 0), fmt(r.get("first_ms"))]
            cells += cell
        for other in ("floor", "datasette"):
            cells.append(f"{rps['ours'] / rps[other]:.2f}×" if rps.get("ours") and rps.get(other) else "–")
        lines.append("| " + " | ".join(cells) + " |")
    for request in captured["requests"]:
        csv = results.get("ours", {}).get(request["name"], {})
        if "rss_max_mb" not in csv:
            continue
        lines.append("")
        lines.append(f"{request['label']}, ours: first byte after {fmt(csv['ttfb_ms'])} ms; worker RSS "
                     f"{fmt(csv['rss_before_mb'], 1)} MB before, at most {fmt(csv['rss_max_mb'], 1)} MB "
                     "while streaming. Bytes a second (the files differ: Datasette's table has fewer "
                     "columns): " + "; ".join(
                         f"{name} {fmt(r['body_mb'], 1)} MB at {fmt(r['mb_per_s'], 1)} MB/s"
                         for name in ("ours", "floor", "datasette")
                         if "mb_per_s" in (r := results.get(name, {}).get(request["name"], {}))) + ".")
    return "\n".join(lines)


def main() -> None:
    # Killed (SIGTERM) or interrupted, the `finally` below still stops the server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: terminated"))
    DATA.mkdir(exist_ok=True)
    started = time.monotonic()
    tools()
    global DB_SETTINGS
    db = DB_SETTINGS = server_settings()
    oid = demo_database(db)
    captured = capture()
    datasette_db = export_sqlite(db, oid)
    facts = captured["facts"]
    peer = datasette_paths(facts, datasette_db)
    # All three up at once (idle ones cost no CPU), measured request by request in turn, so
    # that the background load of a shared machine falls alike on the three and the ratios hold.
    running, results = [], {}
    try:
        if REPLICA:
            start_replica(db)
        for spec in servers(datasette_db):
            if spec[0] in TARGETS:
                running.append(Server(*spec))
        for server in running:
            server.wait()
            results[server.name] = {}
            log(f"{server.name}: serving on {server.base}")
            if server.name == "ours":
                warm_up(server)
        for request in captured["requests"]:
            if REQUESTS and request["name"] not in REQUESTS:
                continue
            for server in running:
                path = peer[request["name"]] if server.name == "datasette" else request["path"]
                r = measure(server, request["name"], path)
                results[server.name][request["name"]] = r
                log(f"  {server.name:9} {request['name']:11} first {r['first_ms']:.0f} ms  " + (
                    r["error"] if "error" in r else
                    f"p50 {r['p50_ms']:.1f} ms  p95 {r['p95_ms']:.1f} ms  {r['rps']:.1f} req/s  "
                    f"peak {r['peak_mb']:.0f} MB"))
    finally:
        for server in running:
            server.stop()
        if REPLICA:
            stop_replica()
    report = table(captured, results)
    header = (f"CASES={CASES} ({facts['public_cases']:,} published), {WORKERS} workers, "
              f"cache {'shared folder' if CACHE != 'locmem' else 'per worker'}, "
              f"wrk -c{CONNECTIONS} -d{DURATION}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"load average {os.getloadavg()[0]:.1f}"
              + (", ours reading from a streaming replica (REPLICA=1)" if REPLICA else ""))
    stem = (f"results_{CASES}" + ("" if len(TARGETS) == 3 and not REQUESTS else "_partial")
            + ("_replica" if REPLICA else ""))
    (DATA / f"{stem}.json").write_text(json.dumps(
        {"header": header, "facts": facts, "results": results,
         "queries": {r["name"]: r.get("queries") for r in captured["requests"]},
         "queries_cold": {r["name"]: r.get("queries_cold") for r in captured["requests"]}},
        indent=1, default=str))
    (DATA / f"{stem}.md").write_text(header + "\n\n" + report + "\n")
    print("\n" + header + "\n\n" + report)
    log(f"done in {time.monotonic() - started:.0f} s; results in bench/data/{stem}.md")


if __name__ == "__main__":
    main()
