"""A page's ids read from the index (defections/paging.py) are the ids of the plain
`ORDER BY shown_start, pk` (issue 17, item 1): for every page size, offset, ordering and
reader, on the web and the API, with ordinary, at-risk, withheld-date, lapsed-withholding
and undated cases, the day before a withholding lapses and the day it does (no write).
"""

import json
from datetime import date
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import QueryDict
from rest_framework.test import APIClient

from defections import paging
from defections.filtersets import CaseFilterSet
from defections.models import Case, Withholding
from tests.factories import CaseFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import EDITOR, RESEARCHER, client_for, read_csv, user_with

pytest_plugins = ["tests.test_api_fixtures"]  # generous_throttle

pytestmark = pytest.mark.django_db

BEFORE, LAPSE = "2027-05-31 12:00Z", "2027-06-01 12:00Z"  # a withholding's last day, and the next
UNTIL = date(2027, 6, 1)
ORDERINGS = ["", "date", "-date"]
FILTERS = [{}, {"form": "geographic"}, {"year_min": 1984}]


@pytest.fixture
def cases():
    """Ordinary cases (several on one day, as a year's cases are), the cases of two at-risk
    people (shown on 1 January, among ordinary cases of that day), a date withheld for good,
    one withheld until UNTIL, one whose withholding lapsed long ago, undated cases, a draft."""
    made = {}
    for n, when in enumerate(["1983", "1983", "1983-05-02", "1985", "1985-03-04", "1990-07-08",
                              "1990", "2001-02-03", "1979", "1985-12-31"]):
        made[f"ordinary {n}"] = CaseFactory(date=when, form=["geographic", "articulated"][n % 2])
    for n in range(2):
        made[f"undated {n}"] = CaseFactory(form="final")
    for n, person in enumerate([PersonFactory(at_risk=True), PersonFactory(at_risk=True)]):
        for m, when in enumerate(["1985-06-07", "1990-01-01", "1983-11-11"][n:]):
            made[f"at risk {n}.{m}"] = CaseFactory(person=person, date=when)
    for name, until, when in [("withheld", None, "1984-04-04"), ("lapsing", UNTIL, "1985-02-02"),
                              ("lapsed", date(2001, 1, 1), "1983-03-03")]:
        made[name] = CaseFactory(date=when)
        Withholding.objects.create(case=made[name], field="date", reason="Family.", until=until)
    made["at risk, withheld"] = CaseFactory(person=PersonFactory(at_risk=True), date="1986-06-06")
    Withholding.objects.create(case=made["at risk, withheld"], field="date", reason="Family.")
    made["draft"] = CaseFactory(date="1983", status="draft")
    return made


def expected(params=(), user=None) -> list[int]:
    """The ids of the plain query: the filters, ORDER BY shown start (or as asked), pk."""
    queryset = CaseFilterSet(QueryDict(urlencode(params)), queryset=Case.objects.visible_to(user)).qs
    return list(queryset.values_list("pk", flat=True))


def shown_order(made, day_lapsed: bool, descending=False) -> list[int]:
    """The public order, worked out here from the rule itself: a withheld date sorts as none,
    an at-risk case on 1 January of its year, none last (first when descending), then id."""
    withheld = {"withheld", "at risk, withheld", *(() if day_lapsed else ("lapsing",))}
    keys = []
    for name, case in made.items():
        if case.status != "published":
            continue
        start = case.date_start
        if name in withheld:
            start = None
        elif case.person.at_risk and start:
            start = date(start.year, 1, 1)
        keys.append((start, case.pk))
    dated = sorted((k for k in keys if k[0]), key=lambda k: k[0], reverse=descending)
    undated = [k for k in keys if not k[0]]
    if descending:  # by date down, then id up among equal dates
        dated = sorted(dated, key=lambda k: (-k[0].toordinal(), k[1]))
        return [pk for _, pk in sorted(undated, key=lambda k: k[1]) + dated]
    return [pk for _, pk in sorted(dated) + sorted(undated, key=lambda k: k[1])]


def api_ids(client, size: int, **params) -> list[int]:
    """Every page of the API list, page by page."""
    ids, page = [], 1
    while True:
        body = client.get(f"/api/v1/cases/?{urlencode({**params, 'page_size': size, 'page': page})}").json()
        ids += [row["id"] for row in body["results"]]
        if not body["next"]:
            return ids
        page += 1


def web_ids(client, size: int, **params) -> list[int]:
    ids, page = [], 1
    while True:
        response = client.get(f"/cases/?{urlencode({**params, 'page_size': size, 'page': page})}")
        assert response.status_code == 200
        ids += [case.pk for case in response.context["page"].object_list]
        if not response.context["page"].has_next():
            return ids
        page += 1


@pytest.mark.parametrize("moment", [BEFORE, LAPSE])
def test_the_rule_worked_out_by_hand_is_the_plain_order(cases, moment):
    with time_machine.travel(moment, tick=False):
        lapsed = moment == LAPSE
        assert expected() == shown_order(cases, lapsed)
        assert expected({"ordering": "-date"}) == shown_order(cases, lapsed, descending=True)
        # the lapsing withholding moved its case, with no write
        assert (expected().index(cases["lapsing"].pk) < expected().index(cases["undated 0"].pk)) == lapsed


@pytest.mark.parametrize("moment", [BEFORE, LAPSE])
def test_every_slice_of_the_ids_is_the_plain_order(cases, moment):
    with time_machine.travel(moment, tick=False):
        for ordering in ORDERINGS:
            for filters in FILTERS:
                params = {**filters, **({"ordering": ordering} if ordering else {})}
                plain = expected(params)
                queryset = CaseFilterSet(QueryDict(urlencode(params)),
                                         queryset=Case.objects.visible_to(AnonymousUser())).qs
                ids = paging.ids_of(queryset)
                assert isinstance(ids, paging.MergedIds)
                for start in range(len(plain) + 1):
                    for size in (1, 7) if start % 3 else (2, 50):
                        page = list(ids[start:start + size])
                        assert page == plain[start:start + size], (params, start, size)
                assert list(ids[2:len(plain)].iterator(chunk_size=3)) == plain[2:]  # the CSV reads so
                assert list(ids[:]) == plain and ids.count() == len(plain)


@pytest.mark.parametrize("moment", [BEFORE, LAPSE])
def test_api_pages_are_the_plain_order_for_every_reader(cases, moment):
    readers = {None: APIClient(), "researcher": client_for(user_with("researcher", *RESEARCHER)),
               "editor": client_for(user_with("editor", *EDITOR))}
    with time_machine.travel(moment, tick=False):
        for name, client in readers.items():
            user = None if name is None else get_user_model().objects.get(username=name)
            for ordering in ORDERINGS:
                for filters in FILTERS:
                    params = {**filters, **({"ordering": ordering} if ordering else {})}
                    assert api_ids(client, 4, **params) == expected(params, user), (name, params)
            for size in (1, 50):
                assert api_ids(client, size) == expected((), user), (name, size)
            csv = client.get("/api/v1/cases/?format=csv&page_size=5&page=2")
            assert [int(row["id"]) for row in read_csv(csv)] == expected((), user)[5:10], name


@pytest.mark.parametrize("moment", [BEFORE, LAPSE])
def test_web_pages_are_the_plain_order_for_every_reader(client, cases, moment):
    researcher = make_user("web-researcher", "Researcher")
    with time_machine.travel(moment, tick=False):
        for user in (None, researcher):
            client.logout()
            if user:
                client.force_login(user)
            for ordering in ORDERINGS:
                for filters in FILTERS:
                    params = {**filters, **({"ordering": ordering} if ordering else {})}
                    assert web_ids(client, 4, **params) == expected(params, user), (user, params)
            for size in (1, 25):
                assert web_ids(client, size) == expected((), user), (user, size)


def nodes(plan, above=()):
    """(node, the node types above it) for every node of an EXPLAIN (FORMAT JSON) plan."""
    yield plan, above
    for child in plan.get("Plans", []):
        yield from nodes(child, (*above, plan["Node Type"]))


def test_the_first_page_reads_the_index_of_published_cases_in_order(cases):
    """The ordinary cases' part is a scan of `case_published_date` with no Sort above it (the
    plain order sorts every published case); seq scans are off, as a table of this size
    would be read whole and a large one never is."""
    queryset = CaseFilterSet(QueryDict("form=geographic"), queryset=Case.objects.visible_to(None)).qs
    sql, params = paging.ids_of(queryset)[:51].rows.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    scans = [above for node, above in nodes(plan[0]["Plan"])
             if node.get("Index Name") == "case_published_date"]
    assert any("Sort" not in above and "Merge Append" in above for above in scans), plan
    plain_sql, plain_params = paging.ids_of(queryset).ids[:51].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + plain_sql, plain_params)
        plain = cursor.fetchone()[0]
    plain = plain if isinstance(plain, list) else json.loads(plain)
    assert all("Sort" in above or node["Node Type"] == "Sort" for node, above in nodes(plain[0]["Plan"])
               if node.get("Index Name") == "case_published_date")  # the control: it sorts


def test_other_orders_and_staff_read_the_plain_query(cases):
    staff = make_user("paging-staff", "Researcher")
    public = Case.objects.visible_to(None)
    assert not isinstance(paging.ids_of(Case.objects.visible_to(staff)), paging.MergedIds)
    for ordering in ("name", "-name", "updated", "-updated"):
        queryset = CaseFilterSet(QueryDict(f"ordering={ordering}"), queryset=public).qs
        assert not isinstance(paging.ids_of(queryset), paging.MergedIds)
        assert list(paging.ids_of(queryset)[1:4]) == expected({"ordering": ordering})[1:4]
