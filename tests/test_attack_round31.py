"""Attack round 31: the change feed's bounded catch-ups (BUDGET records a call, the start and a
release's reading again as `read:` marks, 503 while starting) and `manage.py catch_up_changes`."""

import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import psycopg2
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from rest_framework.test import APIClient

from defections import withholding
from defections.api import changes as feed
from defections.changes import ChangeEntry, ChangeFeed, ChangeMark
from defections.management.commands import catch_up_changes
from defections.models import Agency, Case, Motive, Person, Source, Withholding
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)
from tests.test_changes_feed import Mirror, published_case, started, truth

pytestmark = pytest.mark.django_db
CHANGES = "/api/v1/changes/"
MARKER = "ROUND31-hidden-c0ffee"
NATIVE = "Скрытоеимя"


class Follower(Mirror):
    """A Mirror reading the feed as the README says; a record answering 404 when read for an
    entry (a later change not logged yet: marks wait) is dropped, as it is not readable now."""

    def follow(self):
        url, found = f"{CHANGES}?since={self.until}", []
        while url:
            body = self.client.get(url).json()
            for entry in body["results"]:
                self.seen.append(entry)
                found.append(entry)
                copy, record = self.records[entry["type"]], None
                if entry["action"] != "deleted":
                    record = self.client.get(entry["api_url"])
                if record is None or record.status_code in (404, 410):
                    copy.pop(entry["id"], None)
                else:
                    assert record.status_code == 200, (entry, record.status_code)
                    copy[entry["id"]] = record.json()
            url = body["next"]
        self.until = body["until"]
        return found


def drain(*mirrors):
    """Follow until no mark waits, then once more: every change is in the feed."""
    for _ in range(500):
        for mirror in mirrors:
            mirror.follow()
        if not ChangeMark.objects.exists():
            break
    for mirror in mirrors:
        mirror.follow()
    assert not ChangeMark.objects.exists()


def unique(name):
    return f"{name} {time.monotonic_ns()}"


def changes_of_every_kind(ed):
    """Each kind of change, made on whatever is published now."""
    def publish():
        CaseFactory(status="published", person=PersonFactory(name=unique("Published")),
                    agency=AgencyFactory(name=unique("Agency"), slug=unique("a").replace(" ", "-")))

    def by_status(status):
        return lambda: Case.objects.filter(pk=published_case().pk).update(status=status)

    def delete():
        assert ed.delete(f"/api/v1/cases/{published_case().pk}/").status_code == 204

    def rename_motive():
        motive = Motive.objects.annotate(n=Count("cases")).order_by("-n", "pk").first()
        Motive.objects.filter(pk=motive.pk).update(slug=unique("m").replace(" ", "-"))

    def rename_agency():
        agency = Agency.objects.annotate(n=Count("cases")).order_by("-n", "pk").first()
        Agency.objects.filter(pk=agency.pk).update(name=unique("Renamed agency"))

    def retitle():
        source = Source.objects.filter(citations__case__status="published").order_by("?").first()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE defections_source SET title = %s WHERE id = %s", [unique("T"), source.pk])

    def at_risk():
        Person.objects.filter(pk=published_case().person_id).update(at_risk=True)

    def withhold():
        Withholding.objects.create(case=published_case(), field="place", reason="r")

    def lift():
        Withholding.objects.filter(field="place", until=None).order_by("pk").first().delete()

    return [publish, by_status("draft"), by_status("retracted"), delete, rename_motive, rename_agency,
            retitle, at_risk, withhold, lift]


def test_no_change_is_lost_at_any_awkward_moment(seeded, monkeypatch):
    """Guard: with a small budget, every kind of change made between the 503s of the start,
    while excess marks wait, while a release is half read again, and a withholding lapsing
    then: a public and a staff mirror made at the first 200 end equal to the lists; no entry
    is logged twice, and none says `created` of a record the mirrors had from the lists."""
    monkeypatch.setattr(feed, "BUDGET", 4)
    ed = client_for(make_user("ed", "Editor"))
    anon, today = APIClient(), withholding.today()
    Withholding.objects.create(case=published_case(), field="role", reason="r", until=today)
    midnight = datetime.combine(today, datetime.min.time(), UTC)
    with time_machine.travel(midnight - timedelta(hours=1), tick=False):  # the role still withheld
        for change in changes_of_every_kind(ed):
            assert anon.get(CHANGES).status_code == 503
            change()
        first = started(anon)
        assert first["starting"] > 0
        public, staff = Follower(APIClient()), Follower(ed)
        public.until = first["until"]  # the lists were read after the first 200: follow from it
        had = {(audience, kind, pk) for audience, mirror in [("public", public), ("staff", staff)]
               for kind, records in mirror.records.items() for pk in records}
        waiting = []
        for change in changes_of_every_kind(ed):  # with excess marks waiting
            change()
            public.follow()
            waiting.append(ChangeMark.objects.exists())
        assert sum(waiting) >= 5, waiting
    ChangeFeed.objects.update(last_at=midnight - timedelta(seconds=1))  # the database's clock then
    monkeypatch.setattr(feed, "FINGERPRINT", "round 31 release")
    for change in changes_of_every_kind(ed):  # a release half read again; the role lapsed
        public.follow(), staff.follow()
        change()
    drain(public, staff)
    assert public.records == truth(public.client)
    assert staff.records == truth(ed)
    twice = ChangeEntry.objects.values("audience", "kind", "object_id", "at").annotate(n=Count("id"))
    assert not twice.filter(n__gt=1)
    created = set(ChangeEntry.objects.filter(action="created").values_list("audience", "kind", "object_id"))
    assert not created & had


def test_a_withholding_lapsing_while_the_feed_starts_is_read_again(db, monkeypatch):
    """Guard (a finding until 80668c2): while starting, the feed skipped `withholding.lapsed`
    yet moved `last_at` on, so a withholding lapsing between the start's catch-ups was never
    read again: the public's state of a record noted before midnight stayed the withheld one,
    and when the field was withheld again the record read as that stale state, no entry: the
    mirror (made from the lists after the start) kept showing the native name the API now
    withholds. (A start at 100,000 records is ~800 catch-ups, Retry-After 5: past midnight.)"""
    monkeypatch.setattr(feed, "BUDGET", 3)
    today = withholding.today()
    person = PersonFactory(name="Lapsing Person", native_name=NATIVE)
    case = CaseFactory(status="published", person=person)
    held = Withholding.objects.create(person=person, field="native_name", reason="r", until=today)
    CaseFactory.create_batch(4, status="published")
    anon, midnight = APIClient(), datetime.combine(today, datetime.min.time(), UTC)
    # what reads the case or person again: their `read:` marks, and any plain mark (it may expand)
    mine = ChangeMark.objects.filter(object_id=case.pk, kind="read:case") | \
        ChangeMark.objects.filter(object_id=person.pk, kind="read:person") | \
        ChangeMark.objects.exclude(kind__startswith="read:")
    with time_machine.travel(midnight - timedelta(minutes=1), tick=False):  # the start, before midnight
        assert anon.get(CHANGES).status_code == 503
        while mine.exists():  # till the case and person are noted (withheld), and not marked again
            assert anon.get(CHANGES).status_code == 503
        if not ChangeMark.objects.exists():
            CaseFactory(status="published")  # the start goes on past midnight
    ChangeFeed.objects.update(last_at=midnight - timedelta(seconds=1))  # the database's clock then
    started(anon)
    public = Mirror(APIClient())
    assert public.records["case"][case.pk]["person"]["native_name"] == NATIVE
    Withholding.objects.filter(pk=held.pk).update(until=None)  # withheld again
    drain(public)
    assert APIClient().get(f"/api/v1/cases/{case.pk}/").json()["person"]["native_name"] == ""
    assert public.records["case"][case.pk] == truth(public.client)["case"][case.pk]


def test_an_entry_read_while_a_later_change_waits_keeps_the_record(seeded):
    """Guard, at the real BUDGET (finding, accepted for bursts past it): a mirror reading an
    entry's record can find it changed again with no entry yet when the change waits in the
    marks: unpublished, the case answers 404; dropped, it is lost when it is published again
    before the feed reads it (the feed reads the state it noted: no entry). One request read
    every mark before, so only a change between its answer and the client's read could do
    it; now also a burst of more than BUDGET records' changes between two calls (a release's
    reading again no longer holds edits back: 80668c2). At the real BUDGET an editors' burst
    is read in one call, and the record is kept."""
    started(APIClient())
    public, other = Follower(APIClient()), APIClient()
    case = published_case()
    Case.objects.filter(pk=case.pk).update(summary="Edited, then read by another client's call")
    while ChangeMark.objects.exists():
        other.get(CHANGES)  # another client's calls log the update
    for n in range(4):  # a backlog: editors at work
        CaseFactory(status="draft", person=PersonFactory(name=f"Backlog {n}"))
    Case.objects.filter(pk=case.pk).update(status="draft")  # behind the backlog
    public.follow()  # reads the update's entry: the case answers 404
    Case.objects.filter(pk=case.pk).update(status="published")  # as it was: the feed noted this
    drain(public)
    assert case.pk in truth(public.client)["case"]
    assert case.pk in public.records["case"]
    assert public.records == truth(public.client)


def hidden_world():
    """A draft (its person, agency and source named by it alone), an at-risk person's case and
    a withheld place, each holding MARKER; what the public may never hear of by id."""
    draft = CaseFactory(status="draft", person=PersonFactory(name=MARKER), summary=MARKER,
                        agency=AgencyFactory(name=MARKER, slug="round31-hidden"))
    draft.citations.create(source=SourceFactory(title=MARKER))
    at_risk = CaseFactory(status="published", person=PersonFactory(name="Round31 At Risk", at_risk=True),
                          place=MARKER, role=MARKER)
    Person.objects.filter(pk=at_risk.person_id).update(bio=MARKER)
    withheld = CaseFactory(status="published", place=MARKER)
    Withholding.objects.create(case=withheld, field="place", reason=MARKER)
    return draft, at_risk, withheld


def hidden_edits(draft, at_risk, withheld, n):
    Case.objects.filter(pk=draft.pk).update(narrative=f"{MARKER} {n}")
    Agency.objects.filter(pk=draft.agency_id).update(acronym=f"R{n}")
    Person.objects.filter(pk=at_risk.person_id).update(bio=f"{MARKER} {n}")
    Case.objects.filter(pk=at_risk.pk).update(place=f"{MARKER} {n}")
    Case.objects.filter(pk=withheld.pk).update(place=f"{MARKER} {n}")


def test_no_answer_of_the_feed_names_a_hidden_record_or_detail(seeded, monkeypatch):
    """Guard: as the public, every 503 and 200 of the start and after (pages of one entry, so
    every `next` cursor too), while hidden records are edited between them, holds no hidden
    text, and names no record the public could not read."""
    monkeypatch.setattr(feed, "BUDGET", 5)
    monkeypatch.setattr(feed, "PAGE", 1)
    draft, at_risk, withheld = hidden_world()
    anon, bodies, n = APIClient(), [], 0
    while (answer := anon.get(CHANGES)).status_code == 503:
        bodies.append(answer.content.decode())
        if (n := n + 1) < 5:  # while edits mark more than a catch-up reads, the feed cannot start
            hidden_edits(draft, at_risk, withheld, n)
    public = Follower(APIClient())
    readable = {(kind, pk) for kind, records in public.records.items() for pk in records}
    for n in range(3):
        hidden_edits(draft, at_risk, withheld, n + 100)
        Motive.objects.filter(cases=at_risk).update(name=f"Round31 motive {n}")
        Case.objects.filter(pk=published_case().pk).update(summary=f"A public edit {n}")
        url = f"{CHANGES}?since={public.until}"
        while url:
            body = anon.get(url)
            bodies.append(body.content.decode())
            url = body.json()["next"]
        public.follow()
        readable |= {(kind, pk) for kind, records in public.records.items() for pk in records}
    named = {(e["type"], e["id"]) for e in public.seen}
    assert named and named <= readable
    assert not named & {("case", draft.pk), ("person", draft.person_id), ("agency", draft.agency_id)}
    assert not [body for body in bodies if MARKER in body]
    assert public.records == truth(public.client)


def polls_until_seen(client, since, kind, pk):
    for polls in range(1, 200):
        body = client.get(f"{CHANGES}?since={since}").json()
        if (kind, pk) in {(e["type"], e["id"]) for e in body["results"]}:
            return polls
    raise AssertionError("never seen")


def test_a_public_change_waits_for_no_ordinary_hidden_work(seeded):
    """Guard, at the real BUDGET (finding, accepted for bursts past it): a catch-up reads the
    oldest marks first, hidden records' as much as public ones, so a public change written
    after many hidden writes reaches the public feed only after about their number / BUDGET
    polls: the public can time the hidden backlog. The feed read everything in one request
    before (its duration told the same). With BUDGET 4, 30 drafts delayed it 23 polls; at the
    real BUDGET they do not."""
    draft, at_risk, withheld = hidden_world()
    anon = APIClient()
    started(anon)

    def delay(hidden):
        since = anon.get(CHANGES).json()["until"]
        for n in range(hidden):
            CaseFactory(status="draft", summary=MARKER, person=PersonFactory(name=f"{MARKER} {n}"))
        case = published_case()
        Case.objects.filter(pk=case.pk).update(summary=unique("Public"))
        return polls_until_seen(anon, since, "case", case.pk)

    quiet = delay(0)
    busy = delay(30)
    assert busy == quiet


# --- another process's catch-up, and the command (transactions of their own) ------------------


def holding_the_lock():
    other = psycopg2.connect(**connection.get_connection_params())
    other.cursor().execute("SELECT pg_advisory_xact_lock(%s)", [feed.LOCK])  # opens a transaction
    return other


@pytest.mark.django_db(transaction=True)
def test_odd_input_and_a_catch_up_elsewhere_while_starting(monkeypatch):
    """Guard: before the feed exists and while it starts, a catch-up under way elsewhere (its
    lock held) answers 503, never a 500 or a 200; odd `since` and `cursor` are a 400 then as
    after; a good one waits (503); after the start, the held lock answers 200 from what is
    written, during a release too."""
    monkeypatch.setattr(feed, "BUDGET", 2)
    CaseFactory.create_batch(3, status="published")
    api = APIClient()
    odd = ["since=yesterday", "since=", "since=%00", "cursor=x", "cursor=2026-01-01T00:00:00Z~case~-1",
           "cursor=2026-01-01T00:00:00Z~case~99999999999999999999", "cursor=2026-01-01T00:00:00Z~~1",
           "since=2026-01-01T00:00:00Z&cursor=~case~1"]
    good = ["", "since=2026-01-01T00:00:00Z", "since=9999-12-31T23:59:59Z",
            "cursor=2026-01-01T00:00:00Z~case~1", "since=0001-01-01T00:00:00Z"]

    def answers(queries):
        return [api.get(f"{CHANGES}?{query}").status_code for query in queries]

    for phase in ["no feed yet", "starting"]:
        other = holding_the_lock()
        try:
            assert answers(good) == [503] * len(good), phase
            assert answers(odd) == [400] * len(odd), phase
        finally:
            other.close()
        assert api.get(CHANGES).status_code == 503  # one catch-up: the feed starts after more
        assert answers(odd) == [400] * len(odd), phase
    first = started(api)
    monkeypatch.setattr(feed, "FINGERPRINT", "round 31 release")
    for _ in range(2):
        other = holding_the_lock()
        try:
            body = api.get(f"{CHANGES}?since={first['until']}").json()
            assert (body["until"], body["results"]) == (first["until"], [])
        finally:
            other.close()
    assert api.get(f"{CHANGES}?since={first['until']}").status_code == 200
    assert ChangeMark.objects.exists()  # the release is being read again


def run_command(errors, stdout):
    try:
        call_command("catch_up_changes", stdout=stdout)
    except Exception as error:  # noqa: BLE001 (reported to the test)
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_command_waits_for_another_catch_up_without_spinning(monkeypatch):
    """Guard: while another process holds the catch-up and writes commit meanwhile, the command
    waits (a call or two a half second, not a hot loop: it sleeps when the count of marks has
    not moved since its last call), does not crash, and ends once the lock is free."""
    monkeypatch.setattr(feed, "BUDGET", 2)
    CaseFactory.create_batch(3, status="published")
    calls, real = [], catch_up_changes.catch_up
    monkeypatch.setattr(catch_up_changes, "catch_up", lambda: calls.append(1) or real())
    writer = psycopg2.connect(**connection.get_connection_params())
    writer.autocommit = True
    other, errors, out = holding_the_lock(), [], StringIO()
    command = threading.Thread(target=run_command, args=(errors, out))
    try:
        command.start()
        for _ in range(30):  # 1.5 s of writes elsewhere, committed
            writer.cursor().execute("UPDATE defections_source SET title = title")
            time.sleep(0.05)
        while_held = len(calls)
    finally:
        other.close()
        writer.close()
    command.join(60)
    assert not command.is_alive() and not errors, errors
    assert ChangeFeed.objects.get().started_at and not ChangeMark.objects.exists()
    assert "up to date" in out.getvalue()
    assert while_held <= 10, while_held  # one a half-second, as when nothing is written


def test_the_command_with_writes_between_its_catch_ups(seeded, monkeypatch):
    """Guard: `catch_up_changes` with every kind of change written between its catch-ups, at
    the start and at a release: it ends with nothing left, and mirrors made at the start end
    equal to the lists, with no `created` for a record they had."""
    monkeypatch.setattr(feed, "BUDGET", 8)
    ed = client_for(make_user("ed", "Editor"))
    real = catch_up_changes.catch_up

    def writing(todo):
        def catch_up():
            if todo:
                todo.pop(0)()
            return real()
        return catch_up

    todo = changes_of_every_kind(ed)
    monkeypatch.setattr(catch_up_changes, "catch_up", writing(todo))
    call_command("catch_up_changes", stdout=StringIO())
    assert not todo and ChangeFeed.objects.get().started_at and not ChangeMark.objects.exists()
    assert not ChangeEntry.objects.exists()
    public, staff = Follower(APIClient()), Follower(ed)
    had = {(kind, pk) for kind, records in public.records.items() for pk in records}
    monkeypatch.setattr(feed, "FINGERPRINT", "round 31 release")
    todo = changes_of_every_kind(ed)
    monkeypatch.setattr(catch_up_changes, "catch_up", writing(todo))
    call_command("catch_up_changes", stdout=StringIO())
    assert not todo and not ChangeMark.objects.exists()
    drain(public, staff)
    assert public.records == truth(public.client) and staff.records == truth(ed)
    assert not {(e["type"], e["id"]) for e in public.seen if e["action"] == "created"} & had
