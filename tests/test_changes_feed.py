"""`/api/v1/changes/`: a client that reads the lists once and then follows the feed holds
exactly what the API shows, as the public and as staff, across edits by every path,
retractions, unpublishing and deletions; and the public feed says nothing of what the
public cannot read."""

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg2
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from defections.api import changes as feed
from defections.api import serializers as s
from defections.changes import ChangeEntry, ChangeFeed, ChangeMark, ChangeState
from defections.models import Agency, Case, Citation, Motive, Period, Person, Source
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db
LISTS = {"case": "cases", "person": "people", "agency": "agencies", "source": "sources",
         "period": "periods"}
MARKER = "CHANGEFEED-hidden-7f3a"


def read_all(client, url):
    records = {}
    while url:
        page = client.get(url).json()
        records.update({record["id"]: record for record in page["results"]})
        url = page["next"]
    return records


def truth(client):
    return {kind: read_all(client, f"/api/v1/{name}/?page_size=100") for kind, name in LISTS.items()}


class Mirror:
    """A client keeping a copy of the API by the feed alone, after one first read."""

    def __init__(self, client):
        self.client = client
        self.until = client.get("/api/v1/changes/").json()["until"]  # first: then the lists
        self.records = truth(client)
        self.seen = []

    def follow(self):
        url = f"/api/v1/changes/?since={self.until}"
        answer = None
        while url:
            answer = self.client.get(url)
            assert answer.status_code == 200, answer.content
            body = answer.json()
            for entry in body["results"]:
                self.seen.append(entry)
                copy = self.records[entry["type"]]
                if entry["action"] == "deleted":
                    copy.pop(entry["id"], None)
                    continue
                record = self.client.get(entry["api_url"])
                if entry["action"] == "retracted" and record.status_code == 410:
                    copy.pop(entry["id"], None)  # the public keeps the notice only
                    continue
                assert record.status_code == 200, (entry, record.status_code)
                copy[entry["id"]] = record.json()
            url = body["next"]
        self.until = body["until"]
        return body["results"]


@pytest.fixture
def world(seeded):
    ed = client_for(make_user("ed", "Editor"))
    public, staff = Mirror(ed.__class__()), Mirror(ed)
    return public, staff, ed


def in_step(world, change):
    """Make a change, let both mirrors follow, and check each holds what the API shows."""
    public, staff, ed = world
    change()
    found = public.follow(), staff.follow()
    assert public.records == truth(public.client)
    assert staff.records == truth(ed)
    return found


def published_case():
    return Case.objects.filter(status="published", person__at_risk=False).order_by("pk").first()


def test_a_mirror_kept_by_the_feed_equals_the_api_after_every_kind_of_change(world):
    public, staff, ed = world
    assert public.records["case"] and len(staff.records["case"]) >= len(public.records["case"])

    # a new published case: its person, source and agency appear
    def publish():
        CaseFactory(status="published", person=PersonFactory(name="Feed Person"),
                    agency=AgencyFactory(name="Feed Agency", slug="feed-agency"))
    public_entries, _ = in_step(world, publish)
    assert {(e["type"], e["action"]) for e in public_entries} >= {
        ("case", "created"), ("person", "created"), ("agency", "created"), ("source", "created")}

    # an API edit, an update() of an agency's name, a motive's slug and a period's name
    case = published_case()
    in_step(world, lambda: ed.patch(f"/api/v1/cases/{case.pk}/", {"summary": "Edited by the API."},
                                    format="json"))
    in_step(world, lambda: Agency.objects.filter(pk=case.agency_id).update(acronym="XYZ"))
    motive = Motive.objects.filter(cases__status="published").first()
    in_step(world, lambda: Motive.objects.filter(pk=motive.pk).update(slug="renamed-motive"))
    found = in_step(world, lambda: Period.objects.update(name=F("name")))  # writes, changes nothing
    assert found == ([], [])
    period = Period.objects.first()
    found = in_step(world, lambda: Period.objects.filter(pk=period.pk).update(name="Renamed period"))
    assert ("period", period.pk, "updated") in {(e["type"], e["id"], e["action"]) for e in found[0]}

    # raw SQL: a source's title
    source = Source.objects.filter(citations__case__status="published").first()

    def retitle():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE defections_source SET title = 'Retitled' WHERE id = %s", [source.pk])
    in_step(world, retitle)

    # a person marked at risk: their cases and person are redacted, sources cited only there go
    person = Person.objects.filter(cases__status="published", at_risk=False).distinct().first()
    in_step(world, lambda: Person.objects.filter(pk=person.pk).update(at_risk=True))

    # retracted, unpublished, deleted
    retracted = published_case()
    found = in_step(world, lambda: Case.objects.filter(pk=retracted.pk).update(status="retracted"))
    assert ("case", retracted.pk, "retracted") in {(e["type"], e["id"], e["action"]) for e in found[0]}
    assert ("case", retracted.pk, "retracted") in {(e["type"], e["id"], e["action"]) for e in found[1]}
    assert public.client.get(f"/api/v1/cases/{retracted.pk}/").status_code == 410
    unpublished = published_case()
    found = in_step(world, lambda: Case.objects.filter(pk=unpublished.pk).update(status="draft"))
    assert ("case", unpublished.pk, "deleted") in {(e["type"], e["id"], e["action"]) for e in found[0]}
    assert ("case", unpublished.pk, "updated") in {(e["type"], e["id"], e["action"]) for e in found[1]}
    deleted = published_case()
    found = in_step(world, lambda: ed.delete(f"/api/v1/cases/{deleted.pk}/"))
    assert ("case", deleted.pk, "deleted") in {(e["type"], e["id"], e["action"]) for e in found[1]}

    # a citation moved to another source keeps the case sourced and changes both sources
    case = published_case()
    citation = Citation.objects.filter(case=case).first()
    in_step(world, lambda: Citation.objects.filter(pk=citation.pk).update(source=SourceFactory()))
    assert public.seen and staff.seen


def test_the_public_feed_says_nothing_of_drafts_or_of_an_at_risk_persons_details(world):
    public, staff, ed = world
    hidden_person = PersonFactory(name="Hidden Person", at_risk=False)

    def drafts():
        draft = CaseFactory(status="draft", person=hidden_person, summary=MARKER,
                            agency=AgencyFactory(name=MARKER, slug="marker-agency"))
        Citation.objects.create(case=draft, source=SourceFactory(title=MARKER))
        Case.objects.filter(pk=draft.pk).update(narrative=MARKER)
    public_entries, staff_entries = in_step(world, drafts)
    assert public_entries == [] and staff_entries

    at_risk = PersonFactory(name="At Risk", at_risk=True)
    case = CaseFactory(status="published", person=at_risk, role="colonel")
    public.follow(), staff.follow()
    public_entries, _ = in_step(world, lambda: (
        Person.objects.filter(pk=at_risk.pk).update(bio=MARKER),
        Case.objects.filter(pk=case.pk).update(role="general", place=MARKER)))
    assert public_entries == []
    # their name and the form of the case are public: a change of them is in the feed
    public_entries, _ = in_step(world, lambda: Person.objects.filter(pk=at_risk.pk).update(name="Renamed"))
    assert {(e["type"], e["id"]) for e in public_entries} >= {("person", at_risk.pk), ("case", case.pk)}
    body = public.client.get("/api/v1/changes/").content.decode()
    assert MARKER not in body and f'"id":{hidden_person.pk}' not in body.replace(" ", "")


def test_since_before_the_feed_began_is_a_410_and_bad_input_a_400(world):
    public, _, _ = world
    gone = public.client.get("/api/v1/changes/?since=2000-01-01T00:00:00Z")
    assert gone.status_code == 410 and "started" in gone.json()
    # an offset sent unencoded ("+" read as a space) is still understood
    assert public.client.get(f"/api/v1/changes/?since={public.until[:-1]} 00:00").status_code == 200
    for name, value in [("since", "yesterday"), ("since", "2026-13-45"),
                        ("since", "9999-12-31T23:59:59-23:59"), ("since", "0001-01-01T00:00:00+23:59"),
                        ("cursor", "x"), ("cursor", "2026-11-27T12:00:00Z~case~²"),
                        ("cursor", "2026-11-27T12:00:00Z~draft~1"), ("cursor", "~case~1")]:
        answer = public.client.get(f"/api/v1/changes/?{name}={value}")
        assert answer.status_code == 400 and name in answer.json(), (name, value)


def test_the_feed_pages_with_next(world, monkeypatch):
    public, _, _ = world
    monkeypatch.setattr(feed, "PAGE", 2)
    for n in range(3):
        CaseFactory(status="published", person=PersonFactory(name=f"Paged {n}"))
    first = public.client.get(f"/api/v1/changes/?since={public.until}").json()
    assert len(first["results"]) == 2 and first["next"]
    public.follow()
    assert public.records == truth(public.client)
    assert len([e for e in public.seen if e["type"] == "case"]) == 3


def test_a_mirror_follows_source_chains(world):
    """A source shows what it derives from (and makes it public); a case, its origin count."""
    public, staff, ed = world
    original = SourceFactory(title="Original, cited by a draft only")
    CaseFactory(status="draft").citations.create(source=original)
    reprint = SourceFactory(title="A reprint")
    case = CaseFactory(status="published", sourced=False)
    another = SourceFactory(title="Another")
    case.citations.create(source=reprint)
    case.citations.create(source=another)
    public.follow(), staff.follow()
    found = in_step(world, lambda: Source.objects.filter(pk=reprint.pk).update(derived_from=original))
    named = {(e["type"], e["id"], e["action"]) for e in found[0]}
    assert {("source", original.pk, "created"), ("source", reprint.pk, "updated")} <= named
    found = in_step(world, lambda: Source.objects.filter(pk=another.pk).update(derived_from=reprint))
    named = {(e["type"], e["id"], e["action"]) for e in found[0]}
    assert {("source", another.pk, "updated"), ("case", case.pk, "updated")} <= named  # 2 origins → 1
    in_step(world, lambda: Source.objects.filter(pk=original.pk).update(title="Original, retitled"))
    found = in_step(world, lambda: Source.objects.filter(pk=reprint.pk).update(derived_from=None))
    assert ("source", original.pk, "deleted") in {(e["type"], e["id"], e["action"]) for e in found[0]}


# --- found by attacking the feed -------------------------------------------------------------


def test_a_page_cursor_names_public_entries_only(world, monkeypatch):
    """Paging once went by the ledger's own ids, one sequence for both audiences: the gap
    between two public entries counted the staff-only entries written between them."""
    public, _, _ = world
    monkeypatch.setattr(feed, "PAGE", 1)
    CaseFactory(status="published", person=PersonFactory(name="Cursor"))
    body = public.client.get(f"/api/v1/changes/?since={public.until}").json()
    first = body["results"][0]
    at, kind, pk = parse_qs(urlsplit(body["next"]).query)["cursor"][0].split("~")
    assert (kind, int(pk)) == (first["type"], first["id"])
    assert datetime.fromisoformat(at) == datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert "~" not in str(first)  # and the entries themselves carry no ledger id
    assert set(first) == {"type", "id", "action", "time", "api_url"}


def test_stamps_only_grow_even_if_the_clock_steps_back(world):
    public, _, _ = world
    ahead = ChangeFeed.objects.get().last_at + timedelta(hours=1)
    ChangeFeed.objects.update(last_at=ahead)  # as if the clock had stepped back an hour since
    case = CaseFactory(status="published", person=PersonFactory(name="After the step"))
    found = public.follow()
    assert ("case", case.pk) in {(e["type"], e["id"]) for e in found}
    assert all(datetime.fromisoformat(e["time"].replace("Z", "+00:00")) > ahead for e in found)


def test_a_release_that_changes_what_the_api_shows_is_in_the_feed(world, monkeypatch):
    public, staff, _ = world
    monkeypatch.setattr(s.PeriodSerializer.Meta, "fields",
                        [f for f in s.PeriodSerializer.Meta.fields if f != "description"])
    monkeypatch.setattr(feed, "FINGERPRINT", "a new release")
    found = in_step(world, lambda: None)
    assert {e["type"] for e in found[0] if e["action"] == "updated"} >= {"period"}


@pytest.mark.django_db(transaction=True)
def test_a_poll_waits_for_no_other_catch_up():
    """A catch-up under way elsewhere (its lock held): the poll answers from what is written,
    at once."""
    api = APIClient()
    first = api.get("/api/v1/changes/").json()
    CaseFactory(status="published", person=PersonFactory(name="Caught up later"))
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [feed.LOCK])  # opens a transaction
            answer = api.get(f"/api/v1/changes/?since={first['until']}").json()
            assert (answer["until"], answer["results"]) == (first["until"], [])
        other.rollback()
    finally:
        other.close()
    later = api.get(f"/api/v1/changes/?since={first['until']}").json()
    assert [e["type"] for e in later["results"]].count("case") == 1


def test_a_poll_costs_the_same_for_many_retracted_cases_as_for_one(world):
    public, _, _ = world

    def queries_after(count):
        cases = [CaseFactory(status="published", person=PersonFactory(name=f"R{n}")) for n in range(count)]
        public.follow()
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(status="retracted")
        with CaptureQueriesContext(connection) as queries:
            public.client.get(f"/api/v1/changes/?since={public.until}")
        public.follow()
        return len(queries)

    assert queries_after(12) == queries_after(2)


def test_a_non_ascii_digit_is_no_id(client):
    for address in ["/api/v1/cases/²/", "/api/v1/cases/①/", f"/api/v1/cases/{'0' * 5000}/"]:
        assert client.get(address).status_code == 404, address


def test_the_release_fingerprint_covers_every_module_the_reading_imports():
    """Finding: the fingerprint hashed four files (the serializers, views, visibility, dates), but
    what the API shows is shaped by what they import too (redaction hides an at-risk person's
    details, withholding names the withheld fields, languages picks the text): a release changing
    only redaction.py had followers never learn of it. Guard: the fingerprint is read from every
    module of the package the reading imports, at any depth (found from the source, so the same
    in every process)."""
    import ast
    import importlib.util

    names = {path.relative_to(feed.PACKAGE).as_posix() for path in feed.shaping_paths()}
    assert {"api/serializers.py", "api/views.py", "api/languages.py", "visibility.py", "redaction.py",
            "withholding.py", "languages.py", "choices.py", "models.py", "dates.py", "json_lines.py",
            "csv_lines.py"} <= names
    assert not {name for name in names if name.startswith(("web/", "admin/"))}  # the other faces
    for name in names:  # closed: every defections module a shaping module imports is one too
        tree = ast.parse((feed.PACKAGE / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("defections"):
                for alias in node.names:
                    spec = importlib.util.find_spec(f"{node.module}.{alias.name}") \
                        if importlib.util.find_spec(node.module).submodule_search_locations else None
                    module = f"{node.module}.{alias.name}" if spec else node.module
                    origin = importlib.util.find_spec(module).origin
                    assert Path(origin).relative_to(feed.PACKAGE).as_posix() in names, (name, module)
    assert feed.FINGERPRINT == feed.fingerprint(feed.shaping_paths())


# --- bounded catch-ups (found measuring the feed at 100,000 cases) --------------------------------


def spy_readings(monkeypatch) -> list:
    """The number of records each reading reads (per kind and audience)."""
    sizes, real = [], feed.readings

    def readings(kind, ids, user):
        sizes.append(len(ids))
        return real(kind, ids, user)
    monkeypatch.setattr(feed, "readings", readings)
    return sizes


def started(client) -> dict:
    """Poll the feed until it has started: the 503s it answered before, and its first answer."""
    starting = 0
    while (answer := client.get("/api/v1/changes/")).status_code == 503:
        assert answer["Retry-After"] and "starting" in answer.json()["detail"]
        starting += 1
        assert starting < 500
    assert answer.status_code == 200, answer.content
    return {"starting": starting, **answer.json()}


def test_the_feed_starts_over_bounded_catch_ups_logging_nothing(seeded, monkeypatch):
    """Finding: a catch-up read in one request every record it had to: the first (noting what
    each audience reads), or any after a release. At 100,000 cases the first took over 20 minutes
    (~7 ms a case and audience through the serializer), past any worker's timeout: it rolled
    back, so the feed never started. Guard: a catch-up reads at most BUDGET records (per
    audience); the feed answers 503 until every record is noted, logs nothing of them, starts
    then; and a mirror made from it follows later changes exactly."""
    monkeypatch.setattr(feed, "BUDGET", 7)
    sizes = spy_readings(monkeypatch)
    first = started(APIClient())
    records = sum(model.objects.count() for model in (Case, Person, Agency, Source, Period))
    assert first["starting"] >= records // 7 and max(sizes) <= 7
    assert not ChangeEntry.objects.exists() and not ChangeMark.objects.exists()
    assert first["started"] == first["until"]
    sizes.clear()
    public = Mirror(APIClient())
    assert sizes == []  # all noted: nothing read again
    case = published_case()
    Motive.objects.filter(cases=case).update(slug="renamed-for-many")  # marks every case citing it
    while ChangeMark.objects.exists():
        public.follow()
        assert max(sizes) <= 7
    public.follow()
    assert public.records == truth(public.client)
    assert ("case", case.pk, "updated") in {(e["type"], e["id"], e["action"]) for e in public.seen}


def test_a_release_is_read_again_over_bounded_catch_ups(seeded, monkeypatch):
    """Guard: after a release every record is read again, at most BUDGET records a call, the
    feed answering (200) meanwhile, and a mirror ends equal to what the API shows."""
    started(APIClient())
    public = Mirror(APIClient())
    monkeypatch.setattr(feed, "BUDGET", 7)
    sizes = spy_readings(monkeypatch)
    monkeypatch.setattr(s.PeriodSerializer.Meta, "fields",
                        [f for f in s.PeriodSerializer.Meta.fields if f != "description"])
    monkeypatch.setattr(feed, "FINGERPRINT", "a new release")
    calls = 0
    while calls == 0 or ChangeMark.objects.exists():
        public.follow()
        calls += 1
        assert max(sizes) <= 7 and calls < 500
    public.follow()
    records = sum(model.objects.count() for model in (Case, Person, Agency, Source, Period))
    assert calls >= records // 7 and public.records == truth(public.client)
    assert {(e["type"], e["action"]) for e in public.seen} == {("period", "updated")}


def test_a_command_brings_the_feed_up_to_date_at_once(seeded, monkeypatch):
    """`manage.py catch_up_changes` does what many calls would: the feed started, nothing
    left to read, and the first call answers at once, reading nothing."""
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setattr(feed, "BUDGET", 7)
    out = StringIO()
    call_command("catch_up_changes", stdout=out)
    assert "up to date" in out.getvalue()
    assert ChangeFeed.objects.get().started_at and not ChangeMark.objects.exists()
    assert ChangeState.objects.filter(audience="public", kind="case").count() == Case.objects.public().count()
    sizes = spy_readings(monkeypatch)
    first = started(APIClient())
    assert first["starting"] == 0 and sizes == []


def test_the_readme_says_the_budget():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"Each call catches up at most {feed.BUDGET} records" in readme


def test_two_releases_side_by_side_mark_each_record_once(seeded, monkeypatch):
    """Guard: while a rolling deploy serves two releases, each catch-up sees the other's
    fingerprint and marks everything again: a record waiting to be read is not marked twice."""
    started(APIClient())
    monkeypatch.setattr(feed, "BUDGET", 3)
    records = sum(model.objects.count() for model in (Case, Person, Agency, Source, Period))
    for release in ["new", "old", "new", "old"]:
        monkeypatch.setattr(feed, "FINGERPRINT", release)
        feed.catch_up()
    assert ChangeMark.objects.count() <= records
    assert ChangeMark.objects.values("kind", "object_id").distinct().count() == ChangeMark.objects.count()


def test_an_edit_is_read_before_a_releases_reading_again(seeded, monkeypatch):
    """Guard (attack round 31): a release marks every record to be read again, which at a large
    database takes hours of calls; an edit made meanwhile is read at the next call, not behind
    them (a mirror reading its record later would read it ahead of the feed all that time)."""
    started(APIClient())
    public = Mirror(APIClient())
    monkeypatch.setattr(feed, "BUDGET", 3)
    monkeypatch.setattr(feed, "FINGERPRINT", "a new release")
    feed.catch_up()
    assert ChangeMark.objects.count() > 3
    case = published_case()
    Case.objects.filter(pk=case.pk).update(summary="Edited during the release's reading.")
    found = public.follow()
    assert ("case", case.pk, "updated") in {(e["type"], e["id"], e["action"]) for e in found}


def test_the_rest_of_a_batch_is_marked_once(seeded, monkeypatch):
    """Guard (attack round 31): the records past the budget are put back as marks, none twice,
    though some may be waiting already (writes' own marks may repeat: a trigger's each)."""

    def once(marks):
        return marks.values("kind", "object_id").distinct().count() == marks.count()

    monkeypatch.setattr(feed, "BUDGET", 3)
    while feed.catch_up() is None:
        assert once(ChangeMark.objects.filter(kind__startswith=feed.READ))
    Motive.objects.update(slug=F("slug"))  # every case, and what each shows, to read again
    Agency.objects.update(name=F("name"))
    while ChangeMark.objects.exists():
        feed.catch_up()
        assert once(ChangeMark.objects.filter(kind__startswith=feed.READ))
