"""What a request no longer builds for itself (issue 17): the public door from `Case.objects`
is built once a day per process and copied (visibility.public_cases), and the case list's
JSON is written by PostgreSQL and put into the answer as it is (api/renderers.JSONRenderer).
Each must answer exactly as the path it stands for: same SQL, same rows, never the memo
itself changed by a caller, never a stale day."""

import json
from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from defections import visibility, withholding
from defections.models import Case, Citation, Withholding
from tests.factories import CaseFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import RESEARCHER, all_pages, client_for, user_with

pytest_plugins = ["tests.test_api_fixtures"]
pytestmark = pytest.mark.django_db


def built_anew(user=None, day=None):
    """The door as it was built on every call before the memo."""
    return visibility.cases(Case.objects.get_queryset(), user, day)


@pytest.fixture
def mixed():
    guarded = PersonFactory(name="Guarded Person", at_risk=True)
    return {
        "open": CaseFactory(status="published", form="final", date="1991", destination_country="GB"),
        "other": CaseFactory(status="published", form="geographic", date="1992"),
        "at_risk": CaseFactory(person=guarded, status="published", form="geographic", date="1990"),
        "draft": CaseFactory(status="draft", form="final", date="1993"),
    }


def test_the_memo_is_the_door_built_anew(mixed):
    memo = Case.objects.visible_to(None)
    assert memo.query.sql_with_params() == built_anew().query.sql_with_params()
    rows = list(memo.values_list("pk", "withheld_now"))
    assert rows == list(built_anew().values_list("pk", "withheld_now"))
    assert mixed["draft"].pk not in set(memo.values_list("pk", flat=True))
    assert Case.objects.visible_to(AnonymousUser()).query.sql_with_params() == memo.query.sql_with_params()


def test_a_caller_narrowing_its_copy_leaves_the_next_callers_whole(mixed):
    narrowed = Case.objects.visible_to(None).filter(form="final").order_by("-pk")
    narrowed.query.clear_ordering(force=True)  # even a change made in place, on the copy
    assert list(narrowed.values_list("pk", flat=True)) == [mixed["open"].pk]
    whole = Case.objects.visible_to(None)
    assert set(whole.values_list("pk", flat=True)) == {mixed[k].pk for k in ("open", "other", "at_risk")}
    assert whole.query.order_by == ("shown_start", "pk")


def test_the_memo_reads_the_data_of_now_not_of_when_it_was_built(mixed):
    public = set(Case.objects.visible_to(None).values_list("pk", flat=True))
    Citation.objects.create(case=mixed["draft"], source=SourceFactory())  # a published case is sourced
    Case.objects.filter(pk=mixed["draft"].pk).update(status="published")
    mixed["open"].person.__class__.objects.filter(pk=mixed["open"].person_id).update(at_risk=True)
    now = Case.objects.visible_to(None)
    assert set(now.values_list("pk", flat=True)) == public | {mixed["draft"].pk}
    assert set(now.details_shown().values_list("pk", flat=True)) == {mixed["other"].pk, mixed["draft"].pk}


def test_a_withholding_lapses_on_its_day_in_the_memo_too(mixed, monkeypatch):
    Withholding.objects.create(case=mixed["open"], field="destination_country", reason="Sensitive.",
                               until=date(2031, 1, 1))

    def withheld_on(day):
        monkeypatch.setattr(withholding, "today", lambda: day)
        return dict(Case.objects.visible_to(None).values_list("pk", "withheld_now"))[mixed["open"].pk]

    assert withheld_on(date(2030, 12, 31)) == ["destination_country"]
    assert withheld_on(date(2031, 1, 1)) == []
    assert withheld_on(date(2030, 12, 31)) == ["destination_country"]  # each day its own
    assert (Case.objects.visible_to(None).query.sql_with_params()
            == built_anew(day=date(2030, 12, 31)).query.sql_with_params())


def test_a_related_manager_and_staff_build_their_own(mixed):
    person = mixed["open"].person
    CaseFactory(person=person, status="draft", form="geographic", date="1995")
    assert list(person.cases.visible_to(None).values_list("pk", flat=True)) == [mixed["open"].pk]
    staff = user_with("memo-staff", *RESEARCHER)
    seen = set(Case.objects.visible_to(staff).values_list("pk", flat=True))
    assert mixed["draft"].pk in seen and seen == set(Case.objects.values_list("pk", flat=True))


def test_a_database_named_keeps_its_name(mixed):
    assert Case.objects.db_manager("default").visible_to(None).db == "default"
    assert Case.objects.visible_to(None)._db is None  # the router chooses, as before


# --- the JSON written by PostgreSQL, in the answer -----------------------------------------------


def test_the_written_page_is_valid_json_compact_or_indented(mixed, api):
    compact = api.get("/api/v1/cases/?page_size=2")
    assert compact.status_code == 200 and b'"results":[{"id":' in compact.content
    body = json.loads(compact.content)
    assert list(body) == ["count", "next", "previous", "results"] and len(body["results"]) == 2
    indented = api.get("/api/v1/cases/?page_size=2", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b'\n  "results": [\n' in indented.content
    assert json.loads(indented.content) == body


def test_the_written_page_hides_what_the_door_hides(mixed, api):
    listed = all_pages(api, "/api/v1/cases/?page_size=2")
    assert {record["id"] for record in listed} == {mixed[k].pk for k in ("open", "other", "at_risk")}
    at_risk = next(record for record in listed if record["id"] == mixed["at_risk"].pk)
    assert set(at_risk) == {"id", "api_url", "person", "form", "date"} and at_risk["date"] == "1990"
    staff = client_for(user_with("memo-editor", *RESEARCHER))
    assert mixed["draft"].pk in {record["id"] for record in all_pages(staff, "/api/v1/cases/")}


def test_each_thread_builds_its_own(mixed):
    """Copies share their inner subqueries, which compiling touches: no two threads share
    a memo (a threaded server, the test server)."""
    import threading

    day = withholding.today()
    mine = visibility.public_cases(day)
    built_here = visibility._built.doors[1][None]
    found = {}

    def other():
        found["before"] = getattr(visibility._built, "doors", None)
        found["sql"] = visibility.public_cases(day).query.sql_with_params()  # no rows: another connection
        found["memo"] = visibility._built.doors[1][None]

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found["before"] is None and found["memo"] is not built_here
    assert found["sql"] == mine.query.sql_with_params()
