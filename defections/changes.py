"""The change feed's ledger: which records a write may have changed, and what each reader
last saw of them.

Every write to a table the API shows marks the records it may change (`ChangeMark`), by
database trigger, so `update()`, raw SQL and cascades mark too. The feed
(defections/api/changes.py) turns marks into entries: it reads each marked record as a
reader sees it (the public, and staff), compares a digest of that with what it saw last
(`ChangeState`) and logs the difference (`ChangeEntry`: created, updated, retracted,
deleted). A reader's feed so lists exactly the changes to what that reader can read, and
nothing about what it cannot: a draft's edits, or the hidden details of an at-risk person,
leave no entry in the public feed.
"""

import pgtrigger
from django.db import models
from django.db.models import Q

KINDS = ("case", "person", "agency", "source", "period")  # the API's types, by URL name
ACTIONS = ("created", "updated", "retracted", "deleted")


class ChangeFeed(models.Model):
    """One row: when the ledger started (a feed cannot vouch for changes before it; null while
    it is still noting what each audience reads), when its last catch-up was (entries only
    ever get later), and a fingerprint of the code that shapes what the API shows (a release
    that changes it has everything read again)."""

    started_at = models.DateTimeField(null=True)
    last_at = models.DateTimeField()
    fingerprint = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(
            condition=Q(pk=1), name="changefeed_one_row",
            violation_error_message="There is one change feed: the row with id 1.")]

    def __str__(self):
        if self.started_at is None:
            return "change feed, starting"
        return f"change feed since {self.started_at:%Y-%m-%d %H:%M}"


class ChangeMark(models.Model):
    """A record (kind, id) that a committed write may have changed; the feed consumes it.
    Kinds beyond KINDS ("response", "account", "motive") stand for the cases they belong to."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class ChangeState(models.Model):
    """What an audience last read of a record: "V" or "R" (a retraction) and a digest."""

    audience = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    state = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["audience", "kind", "object_id"], name="changestate_one_per_record",
            violation_error_message="An audience has one state per record.")]

    def __str__(self):
        return f"{self.kind} {self.object_id} as {self.audience} read it"


class ChangeEntry(models.Model):
    """One change an audience can see, in the order the feed found them."""

    audience = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=[(a, a) for a in ACTIONS])
    at = models.DateTimeField()

    class Meta:
        # The feed's order: by time, then by record, so a page's cursor names public things only.
        indexes = [models.Index(fields=["audience", "at", "kind", "object_id"], name="changeentry_feed")]

    def __str__(self):
        return f"{self.kind} {self.object_id} {self.action}"


# Emptying these restarts the feed: its next call starts a new ledger, and a client asking
# from before it gets a 410 (read the lists again). A restore does it: the restored data may
# be older than what followers already read.
RESTART = ("TRUNCATE defections_changefeed, defections_changestate, defections_changeentry, "
           "defections_changemark")


# --- the marks, by trigger -----------------------------------------------------------------


def marks(name: str, *pairs: tuple[str, str]) -> pgtrigger.Trigger:
    """A trigger marking, for each (kind, column) of the row before and after the write,
    the record that column names."""

    def insert(row: str) -> str:
        values = " UNION ALL ".join(f"SELECT '{kind}', {row}.{column}" for kind, column in pairs)
        return (f"INSERT INTO defections_changemark (kind, object_id) "
                f"SELECT * FROM ({values}) AS m (kind, id) WHERE id IS NOT NULL;")

    return pgtrigger.Trigger(
        name=name, when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=f"""
    IF TG_OP <> 'DELETE' THEN {insert('NEW')}
    END IF;
    IF TG_OP <> 'INSERT' THEN {insert('OLD')}
    END IF;
    RETURN NULL;""")


# A case shows its person, agency and period; an affiliation makes its agency public; an
# agency shows its parent and predecessor, which its line makes public.
CASE_MARKS = marks("case_marks", ("case", "id"), ("person", "person_id"), ("agency", "agency_id"))
PERSON_MARKS = marks("person_marks", ("person", "id"))
ALIAS_MARKS = marks("alias_marks", ("person", "person_id"))
AGENCY_MARKS = marks("agency_marks", ("agency", "id"), ("agency", "parent_id"),
                     ("agency", "predecessor_id"))
AFFILIATION_MARKS = marks("affiliation_marks", ("person", "person_id"), ("agency", "agency_id"))
SOURCE_MARKS = marks("source_marks", ("source", "id"), ("source", "derived_from_id"),
                     ("source", "origin_id"))
CITATION_MARKS = marks("citation_marks", ("case", "case_id"), ("response", "response_id"),
                       ("account", "account_id"), ("source", "source_id"))
RESPONSE_MARKS = marks("response_marks", ("case", "case_id"))
ACCOUNT_MARKS = marks("account_marks", ("case", "case_id"))
PERIOD_MARKS = marks("period_marks", ("period", "id"))
MOTIVE_MARKS = marks("motive_marks", ("motive", "id"))
# The motives table is the one Django made for the many-to-many field: its trigger is
# installed by migration 0014 with this function.
CASE_MOTIVES_MARKS = f"""
CREATE OR REPLACE FUNCTION defections_case_motives_marks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{marks("case_motives_marks", ("case", "case_id")).func}
END; $$;
CREATE TRIGGER defections_case_motives_marks AFTER INSERT OR UPDATE OR DELETE
ON defections_case_motives FOR EACH ROW EXECUTE FUNCTION defections_case_motives_marks();
"""


# --- what a mark may change ------------------------------------------------------------------


def affected(pairs) -> dict[str, set[int]]:
    """The records of KINDS whose reading the marked records may change: a case shows its
    person's name, its agency's, its sources' titles; a person lists their cases; a source
    shows (and makes public) what it derives from; whether a source or agency
    is public depends on the cases that cite or name it, and an agency's on its line."""
    from defections.models import Account, Agency, Case, Citation, Response, Source

    marked = {kind: set() for kind in (*KINDS, "response", "account", "motive")}
    for kind, pk in pairs:
        marked.setdefault(kind, set()).add(pk)
    cases, people, agencies = marked["case"], marked["person"], marked["agency"]
    cases |= set(Response.objects.filter(pk__in=marked["response"]).values_list("case_id", flat=True))
    cases |= set(Account.objects.filter(pk__in=marked["account"]).values_list("case_id", flat=True))
    cases |= set(Case.objects.filter(
        Q(motives__in=marked["motive"]) | Q(period__in=marked["period"]) | Q(person__in=people)
        | Q(agency__in=agencies) | Q(citations__source__in=marked["source"])
        | Q(responses__citations__source__in=marked["source"])
        | Q(accounts__citations__source__in=marked["source"])).values_list("pk", flat=True))
    for person_id, agency_id in Case.objects.filter(pk__in=cases).values_list("person_id", "agency_id"):
        people.add(person_id)
        if agency_id:
            agencies.add(agency_id)
    marked["source"] |= set(Citation.objects.filter(
        Q(case__in=cases) | Q(response__case__in=cases) | Q(account__case__in=cases))
        .values_list("source_id", flat=True))
    # A source shows what it derives from, and makes it public: its whole tree is read again.
    sources = marked["source"]
    sources |= set(Source.objects.filter(origin__in=Source.objects.filter(pk__in=sources).values("origin_id"))
                   .values_list("pk", flat=True))
    agencies |= set(Agency.objects.filter(affiliations__person__in=people).values_list("pk", flat=True))
    # An agency's line (everything above and before it) is public with it, and its children
    # and successors show its name: the whole family is read again (agencies are few).
    frontier = set(agencies)
    while frontier:
        family = Agency.objects.filter(
            Q(pk__in=Agency.objects.filter(pk__in=frontier).values("parent_id"))
            | Q(pk__in=Agency.objects.filter(pk__in=frontier).values("predecessor_id"))
            | Q(parent__in=frontier) | Q(predecessor__in=frontier))
        frontier = set(family.values_list("pk", flat=True)) - agencies
        agencies |= frontier
    return {kind: marked[kind] for kind in KINDS}
