"""Each public page runs a fixed number of SQL queries, whatever the amount of data.

Every page is measured on a small and a larger data set (more cases, people, motives,
responses, citations and agencies than a page shows); the counts must be equal, and are
pinned in QUERIES so that a change is a decision, not an accident.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defections.models import Case, Citation, Period, Response
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory

# page -> SQL queries it runs (with the filters of its URL below)
QUERIES = {
    "home": 5,
    "cases": 11,
    "cases-filtered": 15,
    "cases-search": 12,  # + its matching ids, read once for the counts (search.matched_ids)
    "case": 9,  # + the accounts (issue 13)
    "people": 3,
    "person": 7,  # + the sources of their cases (issue 18)
    "agencies": 2,
    "agency": 4,
    "sources": 4,
    "source": 4,  # + its public copies (derived from it; issue 13), the cases as the door shows them (18)
    "about": 2,
}


def make_data(n: int):
    """n cases across agencies (a parent with children), with motives, responses and sources."""
    Period.objects.create(slug="all-of-it", name="All of it", start=date(1900, 1, 1))
    parent = AgencyFactory(slug="parent-agency")
    agencies = [parent] + [AgencyFactory(parent=parent) for _ in range(max(1, n // 5))]
    motives = [MotiveFactory() for _ in range(3)]
    source = SourceFactory()
    person = PersonFactory(name="Repeat Person")
    cases = []
    for i in range(n):
        case = CaseFactory(agency=agencies[i % len(agencies)], date=str(1930 + i * 3 % 95),
                           person=person if i < 3 else PersonFactory(),
                           form=["articulated", "final", "geographic"][i % 3],
                           destination_country=["US", "GB", "DE"][i % 3],
                           summary=f"Case number {i} about corruption")
        case.motives.add(*motives[: 1 + i % 3])
        response = Response.objects.create(case=case, kind="arrest", date=str(1931 + i % 90))
        Citation.objects.create(case=case, source=source, locator=f"p. {i}")
        Citation.objects.create(case=case, source=SourceFactory(), locator="p. 1")
        Citation.objects.create(response=response, source=source)
        cases.append(case)
    return {"case": cases[0], "person": person, "agency": parent, "source": source,
            "motive": motives[0]}


def urls(data):
    return {
        "home": "/",
        "cases": "/cases/",
        "cases-filtered": f"/cases/?form=articulated&form=final&agency={data['agency'].slug}"
                          f"&motive={data['motive'].slug}&response=arrest&year_min=1900&destination_country=US",
        "cases-search": "/cases/?q=Repeat+Persn",
        "case": data["case"].get_absolute_url(),
        "people": "/people/",
        "person": data["person"].get_absolute_url(),
        "agencies": "/agencies/",
        "agency": data["agency"].get_absolute_url(),
        "sources": "/sources/",
        "source": data["source"].get_absolute_url(),
        "about": "/about/",
    }


def count_queries(client, data) -> dict[str, int]:
    counts = {}
    for name, url in urls(data).items():
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[name] = len(context.captured_queries)
    return counts


@pytest.mark.parametrize("size", [4, 60])
def test_each_page_runs_a_fixed_number_of_queries(client, db, size):
    data = make_data(size)
    assert Case.objects.public().count() == size
    counts = count_queries(client, data)
    assert counts == QUERIES
    # The filtered list and the search show cases (a count over an empty page proves little).
    for name in ("cases-filtered", "cases-search"):
        assert 'class="case"' in client.get(urls(data)[name]).content.decode(), name
