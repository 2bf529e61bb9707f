"""`/api/v1/changes/`: a client that reads the lists once and then follows the feed holds
exactly what the API shows, as the public and as staff, across edits by every path,
retractions, unpublishing and deletions; and the public feed says nothing of what the
public cannot read."""

import pytest
from django.db import connection
from django.db.models import F

from defections.api import changes as feed
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
                record = self.client.get(entry["url"])
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
                        ("after", "-1"),
                        ("after", "x"), ("after", str(2**63))]:
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
