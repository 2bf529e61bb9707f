"""What the first reader of a URL waits: in-process cold requests on the demo database.

    .venv/bin/python bench/cold.py [URL ...]      # CASES=100000 by default

Django's test client with DEBUG=0 (run `manage.py collectstatic` once), every cache cleared
before each request, three rounds; prints the median total and SQL time and the query count
of each URL. Run it from two checkouts in turn (EMBEDDED_PGDATA pointing at one data folder)
to compare trees on the same database at the same load.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDED_DB_NAME", f"defections_demo_{os.environ.get('CASES', '100000')}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defections.settings")
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

URLS = sys.argv[1:] or ["/cases/?form=geographic&agency=demo-kgb&year_min=1950", "/cases/?q=Pavova",
                        "/api/v1/stats/"]


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.get("/about/")  # the connection and the URL conf, once
    runs: dict[str, list] = {url: [] for url in URLS}
    for _ in range(3):
        for url in URLS:
            for name in settings.CACHES:
                caches[name].clear()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                total = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, (url, response.status_code)
            sql = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            runs[url].append((total, sql, len(queries.captured_queries)))
    for url, measured in runs.items():
        print(f"{url}: total {statistics.median(m[0] for m in measured):,.0f} ms, "
              f"SQL {statistics.median(m[1] for m in measured):,.0f} ms, {measured[0][2]} queries")


if __name__ == "__main__":
    main()
