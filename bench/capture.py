"""In-process half of the benchmark: pick the fixed requests from the demo data, run each
through Django's test Client twice (cold, then warm: counts are cached until a write),
count its SQL queries and save the warm request's SQL for the floor.

Run by bench/run.py with the project's Python and EMBEDDED_DB_NAME naming the demo
database; writes one JSON file (argv[1]). A page or endpoint that is missing (404)
or failing is recorded as such, not raised.
"""

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defections.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from defections.models import Agency, Case  # noqa: E402

FORM, AGENCY_ROOT, YEAR_LIST, YEAR_API = "geographic", "demo-kgb", 1950, 1990
PAGE_SIZE = 50


def misspell(name: str) -> str:
    """A surname with its fourth letter dropped, as "Skipal" for Skripal: 'Nikolaev' -> 'Niklaev'."""
    surname = name.split()[-1]
    return surname[:3] + surname[4:]


def choose() -> tuple[list[dict], dict]:
    """The fixed set of requests, with the values it needs from the data (deterministic)."""
    public = Case.objects.public()
    case = public.filter(person__at_risk=False).order_by("pk").select_related("person")[
        public.count() // 2]
    surname = case.person.name.split()[-1]
    wrong = misspell(case.person.name)
    api = f"form={FORM}&year_min={YEAR_API}"
    matches = public.filter(form=FORM).in_years(year_min=YEAR_API).count()
    deep = max(1, int(matches / PAGE_SIZE * 0.9))
    tree = Agency.objects.tree_ids(Agency.objects.filter(slug=AGENCY_ROOT).values_list("pk", flat=True))
    requests = [
        {"name": "html_list", "label": "/cases/ three filters + facets",
         "path": f"/cases/?form={FORM}&agency={AGENCY_ROOT}&year_min={YEAR_LIST}"},
        {"name": "html_search", "label": f"/cases/?q={wrong} (misspelt)", "path": f"/cases/?q={wrong}"},
        {"name": "html_case", "label": "/cases/<id>/", "path": f"/cases/{case.pk}/"},
        {"name": "api_list", "label": "API list, 50", "path": f"/api/v1/cases/?{api}&page_size={PAGE_SIZE}"},
        {"name": "api_deep", "label": f"API list, page {deep}",
         "path": f"/api/v1/cases/?{api}&page_size={PAGE_SIZE}&page={deep}"},
        {"name": "api_stats", "label": "/api/v1/stats/", "path": "/api/v1/stats/"},
        {"name": "csv", "label": "CSV, 10,000 rows", "path": "/api/v1/cases/?format=csv&page_size=10000"},
        # The whole export a researcher downloads: every published case, up to the API's
        # 100,000 rows a file.
        {"name": "csv_all", "label": f"CSV, {min(public.count(), 100_000):,} rows (all)",
         "path": "/api/v1/cases/?format=csv&page_size=100000"},
    ]
    facts = {"case_id": case.pk, "surname": surname, "misspelt": wrong, "form": FORM,
             "agency_root": AGENCY_ROOT, "agency_tree": tree, "year_list": YEAR_LIST,
             "year_api": YEAR_API, "deep_page": deep, "page_size": PAGE_SIZE, "api_matches": matches,
             "public_cases": public.count()}
    return requests, facts


def measure(request: dict, client: Client) -> dict:
    path = request["path"]
    cold = None
    try:
        if not request["name"].startswith("csv"):  # too slow to run twice; warmed up before
            # Cold: first-use imports and templates, and the counts not yet in the cache.
            with CaptureQueriesContext(connection) as first:
                client.get(path)
            cold = len(first.captured_queries)
        # Warm, as a server answers the same request again until the next write: the SQL
        # the floor replays.
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            elapsed = time.perf_counter() - started
    except Exception as error:  # a page that crashes is a result, not the end of the run
        return {**request, "status": "error", "error": f"{type(error).__name__}: {error}"[:300]}
    sql = [q["sql"] for q in captured.captured_queries]
    return {**request, "status": response.status_code, "queries": len(sql), "queries_cold": cold,
            "sql": sql,
            "bytes": len(body), "in_process_ms": round(elapsed * 1000, 1)}


def main(out: str) -> None:
    requests, facts = choose()
    client = Client(HTTP_HOST="127.0.0.1")
    results = [measure(request, client) for request in requests]
    db = settings.DATABASES["default"]
    json.dump({"facts": facts, "requests": results,
               "database": {"dbname": db["NAME"], "host": db["HOST"], "port": db["PORT"],
                            "user": db["USER"], "options": db.get("OPTIONS", {}).get("options", "")}},
              open(out, "w"), indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
