"""`/api/v1/changes/`: what changed in what the caller can read, so a client can mirror it.

The ledger is defections/changes.py. On each request the feed first catches up: it takes
the marks written since the last catch-up, reads every record they may have changed as each
audience reads it here (the detail endpoints' own querysets and serializers, so the feed
and the API cannot disagree), and logs an entry wherever the reading changed:

- created: the record is now readable and was not;
- updated: it reads differently;
- retracted: a case was retracted: the public reads a 410 with its notice, staff the case;
- deleted: it is no longer readable (deleted, unpublished, or no longer named by public data).

Catch-ups take turns (an advisory lock) and stamp their entries with the time they took
it, so entries only ever get later: a client asks again with `since` = the `until` it got.
"""

import ast
import hashlib
import importlib.util
from datetime import UTC, timedelta
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as APIResponse
from rest_framework.utils.urls import replace_query_param

from defections import changes, routers, visibility, withholding
from defections.api import serializers as serializers_module
from defections.api import views
from defections.api.rows import shape
from defections.changes import ChangeEntry, ChangeFeed, ChangeMark, ChangeState
from defections.ids import parse_id
from defections.rows import case_rows

LOCK = 7_142_001  # pg_advisory_xact_lock key: one catch-up at a time
PAGE = 500
VIEWSETS = {"case": views.CaseViewSet, "person": views.PersonViewSet, "agency": views.AgencyViewSet,
            "source": views.SourceViewSet, "period": views.PeriodViewSet}


class StaffReader(AnonymousUser):
    """Whom staff entries are for: any holder of view_case reads the same."""

    def has_perm(self, perm, obj=None):
        return perm == visibility.STAFF_PERMISSION


class Reading:
    """The request a serializer expects: whose it is, and relative links."""

    def __init__(self, user):
        self.user = user

    @staticmethod
    def build_absolute_uri(location):
        return location


AUDIENCES = {"public": AnonymousUser(), "staff": StaffReader()}


def audience_of(user) -> str:
    return "staff" if visibility.is_staff(user) else "public"


def readings(kind: str, ids, user) -> dict[int, str]:
    """{id: state} of the records of kind among ids that user can read: "V" and a digest of
    the record as the API shows it, or for a retracted case "R" and a digest of its notice
    (the public) or of the record (staff)."""
    viewset = VIEWSETS[kind]()
    viewset.request, viewset.kwargs, viewset.format_kwarg = Reading(user), {}, None
    context = {"request": viewset.request, "view": viewset, "format": None}
    serializer = viewset.get_serializer_class()
    if kind == "case":  # read as rows, as the API's lists are (many times faster, the same data)
        represent = shape(serializer(context=context))
        shown = ((row["id"], represent(row)) for row in case_rows(ids, user))
    else:
        shown = ((record.pk, serializer(record, context=context).data)
                 for record in viewset.get_queryset().filter(pk__in=ids))
    found = {}
    for pk, data in shown:
        retracted = kind == "case" and data.get("status") == "retracted"
        found[pk] = ("R" if retracted else "V") + digest(data)
    if kind == "case":
        notices = visibility.tombstones(set(ids) - set(found), user)
        found.update({pk: "R" + digest(notice) for pk, notice in notices.items()})
    return found


def digest(data) -> str:
    return hashlib.md5(JSONRenderer().render(data), usedforsecurity=False).hexdigest()


def action(before: str | None, after: str | None) -> str | None:
    if before == after:
        return None
    if after is None:
        return "deleted"
    if after[0] == "R":  # retracted, or its notice changed: read it again
        return "retracted"
    return "created" if before is None else "updated"


# The code that shapes what the API shows: a release that changes it has every record read
# again (and its changes logged), or followers would never learn of them. That code is the
# serializers and views and every module of ours they import, at any depth (redaction,
# withholding, languages, the models ...): found from the source, so every process agrees.
PACKAGE = Path(visibility.__file__).parent
READING = (serializers_module, views)


def shaping_paths(roots=READING) -> list[Path]:
    """The source files of roots and of every `defections` module they import, sorted."""
    found, todo = set(), [Path(m.__file__) for m in roots]
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.add(path)
        for node in ast.walk(ast.parse(path.read_bytes())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.split(".")[0] == PACKAGE.name and (spec := _spec(name)) and spec.origin:
                    todo.append(Path(spec.origin))
    return sorted(found)


def _spec(name):
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:  # defections.models.Case: a name in a module, not a module
        return None


def fingerprint(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


FINGERPRINT = fingerprint(shaping_paths())


# A catch-up reads at most this many records (per audience), so that a request is answered in
# seconds however many records wait: the rest wait in the marks for the next one. Reading
# every record (the feed's start, a release) is marks like any others.
BUDGET = 250
READ = "read:"  # a mark's kind prefix: read this record again, and nothing it may change


@transaction.atomic
def catch_up():
    """Turn the marks into entries, and answer the time up to which the entries are complete
    (None: the feed is starting). Until every record is noted, the feed is starting: it
    notes what each audience reads and logs nothing; it starts when the last is noted.

    One catch-up at a time: a request that finds one under way answers from what is written.
    Stamps only grow, even if the clock steps back.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s), clock_timestamp()", [LOCK])
        locked, now = cursor.fetchone()
        feed = ChangeFeed.objects.filter(pk=1).first()
        if not locked:
            return feed.last_at if feed and feed.started_at else None
    if feed is None:
        feed = ChangeFeed(pk=1, started_at=None, last_at=now, fingerprint=FINGERPRINT)
        mark_everything()
    elif feed.fingerprint != FINGERPRINT:  # a release: every record is read again
        mark_everything()
    starting = feed.started_at is None
    marked = take(BUDGET)
    if not feed._state.adding:  # starting too: a record noted before a lapse is read again
        now = max(now, feed.last_at + timedelta(microseconds=1))
        # A withholding that ended since changed what the public reads, with no write to mark it.
        marked += withholding.lapsed(feed.last_at.date(), withholding.today())
    candidates = within_budget(marked)
    for audience, user in AUDIENCES.items():
        for kind, ids in candidates.items():
            if ids:
                note(audience, user, kind, ids, None if starting else now)
    if starting and not ChangeMark.objects.exists():
        feed.started_at = now
    feed.last_at, feed.fingerprint = now, FINGERPRINT
    feed.save()
    return None if feed.started_at is None else now


def mark_everything():
    """A mark for every record, and for every record an audience read (it may be gone); none
    twice (two releases serving side by side would mark everything at each turn)."""
    tables = " UNION ".join(f"SELECT '{READ}{kind}', id FROM {model_of(kind)._meta.db_table}"
                            for kind in VIEWSETS)
    mark(f"{tables} UNION SELECT '{READ}' || kind, object_id FROM {ChangeState._meta.db_table}")


def mark(rows: str, params=()) -> None:
    """Insert the marks (kind, object_id) the SQL rows selects, but those already waiting."""
    marks = ChangeMark._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {marks} (kind, object_id) {rows} "
                       f"EXCEPT SELECT kind, object_id FROM {marks}", params)


def model_of(kind: str):
    return VIEWSETS[kind].serializer_class.Meta.model


def take(limit: int) -> list[tuple[str, int]]:
    """The oldest marks, consumed: writes' before readings again (the start, a release, the
    rest of a batch), so that hours of a release's reading do not hold back an edit."""
    table = ChangeMark._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
                       f"ORDER BY starts_with(kind, %s), id LIMIT %s) RETURNING kind, object_id",
                       [READ, limit])
        return cursor.fetchall()


def within_budget(marked) -> dict[str, set[int]]:
    """The records to read for these marks, at most BUDGET: the rest marked to be read next."""
    plain = [(kind, pk) for kind, pk in marked if not kind.startswith(READ)]
    candidates = changes.affected(plain)
    for kind, pk in marked:
        if kind.startswith(READ):
            candidates[kind.removeprefix(READ)].add(pk)
    records = [(kind, pk) for kind in changes.KINDS for pk in sorted(candidates[kind])]
    if later := records[BUDGET:]:
        mark("SELECT * FROM unnest(%s::text[], %s::bigint[])",
             [[READ + kind for kind, _pk in later], [pk for _kind, pk in later]])
    chosen = {kind: set() for kind in changes.KINDS}
    for kind, pk in records[:BUDGET]:
        chosen[kind].add(pk)
    return chosen


def note(audience, user, kind, ids, at):
    """Compare what audience reads of these records now with what it read; log the changes
    at `at` (None: only note them)."""
    after = readings(kind, ids, user)
    before = dict(ChangeState.objects.filter(audience=audience, kind=kind, object_id__in=ids)
                  .values_list("object_id", "state"))
    entries, gone = [], []
    for pk in sorted(ids):
        if (what := action(before.get(pk), after.get(pk))) is None:
            continue
        if at is not None:
            entries.append(ChangeEntry(audience=audience, kind=kind, object_id=pk, action=what, at=at))
        if pk not in after:
            gone.append(pk)
    ChangeEntry.objects.bulk_create(entries)
    ChangeState.objects.filter(audience=audience, kind=kind, object_id__in=gone).delete()
    ChangeState.objects.bulk_create(
        [ChangeState(audience=audience, kind=kind, object_id=pk, state=state)
         for pk, state in after.items() if before.get(pk) != state],
        update_conflicts=True, unique_fields=["audience", "kind", "object_id"], update_fields=["state"])


# --- the endpoint ------------------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=changes.KINDS, source="kind")
    id = serializers.IntegerField(source="object_id")
    action = serializers.ChoiceField(choices=changes.ACTIONS)
    time = serializers.DateTimeField(source="at")
    api_url = serializers.SerializerMethodField()

    def get_api_url(self, entry) -> str:
        return self.context["request"].build_absolute_uri(
            reverse(f"api:{entry.kind}-detail", kwargs={"pk": entry.object_id}))


class ChangesSerializer(serializers.Serializer):
    started = serializers.DateTimeField(help_text=_("When the feed began: it knows no earlier change."))
    until = serializers.DateTimeField(help_text=_("Ask again with `since` set to this."))
    next = serializers.URLField(allow_null=True, help_text=_("More entries up to `until`."))
    results = ChangeSerializer(many=True)


class ChangesView(views.APIMixin, generics.GenericAPIView):
    """Created, updated, retracted and deleted records, as the caller reads them, oldest
    first. Mirror the API: read the lists, then follow this feed from the `until` of a first
    call (made before reading them); on created, updated and retracted read the record
    again (a retracted case answers the public 410 with its notice: drop it), on deleted
    drop it."""

    serializer_class = ChangesSerializer
    permission_classes = [permissions.AllowAny]  # read only; each audience reads its own entries
    pagination_class = None
    filter_backends = []
    renderer_classes = [JSONRenderer]

    @extend_schema(parameters=[
        OpenApiParameter("since", str, description=_(
            "An ISO 8601 time: changes after it (UTC if no offset).")),
        OpenApiParameter("cursor", str, description=_("Paging: where the last page ended (from `next`).")),
    ])
    def get(self, request, *args, **kwargs):
        # A GET that writes: the catch-up and the entries up to the `until` it answers are
        # read from the primary, never from a replica behind it (defections/routers.py).
        routers.read_primary()
        since, cursor = self.since(request), self.cursor(request)
        until = catch_up()
        if until is None:
            return APIResponse({"detail": gettext("The feed is starting: ask again in a moment.")},
                               status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
        started = ChangeFeed.objects.get(pk=1).started_at
        if since is not None and since < started:
            return APIResponse({"detail": gettext("The feed starts later than `since`: read the lists "
                                                  "again, then follow the feed from `until`."),
                                "started": started, "until": until}, status=status.HTTP_410_GONE)
        entries = ChangeEntry.objects.filter(audience=audience_of(request.user), at__lte=until)
        if since is not None:
            entries = entries.filter(at__gt=since)
        if cursor is not None:  # after the entry that ended the last page, in the feed's order
            at, kind, pk = cursor
            entries = entries.filter(Q(at__gt=at) | Q(at=at, kind__gt=kind)
                                     | Q(at=at, kind=kind, object_id__gt=pk))
        page = list(entries.order_by("at", "kind", "object_id")[:PAGE + 1])
        last = page[PAGE - 1] if len(page) > PAGE else None
        following = None
        if last is not None:
            following = replace_query_param(request.build_absolute_uri(), "cursor",
                                            f"{last.at.isoformat()}~{last.kind}~{last.object_id}")
        data = {"started": started, "until": until, "next": following, "results": page[:PAGE]}
        return APIResponse(ChangesSerializer(data, context={"request": request}).data)

    @staticmethod
    def since(request):
        raw = request.query_params.get("since")
        if raw is None:
            return None
        if (value := moment(raw)) is None:
            raise exceptions.ValidationError({"since": [
                gettext("Give a time as ISO 8601, e.g. 2026-11-27T12:00:00Z.")]})
        return value

    @staticmethod
    def cursor(request):
        """(time, type, id) of the entry that ended the last page: public facts only, so a
        cursor tells nothing of other audiences' entries."""
        raw = request.query_params.get("cursor")
        if raw is None:
            return None
        at, _tilde, rest = raw.partition("~")
        kind, _tilde, pk = rest.partition("~")
        at, pk = moment(at), parse_id(pk)
        if at is None or kind not in changes.KINDS or pk is None:
            raise exceptions.ValidationError({"cursor": [gettext("Use the `next` link as given.")]})
        return at, kind, pk


def moment(raw: str):
    """An ISO 8601 time in UTC (UTC if it names no offset), or None."""
    try:  # an unencoded "+01:00" arrives as " 01:00"
        value = parse_datetime(raw.strip().replace(" ", "+"))
        return (value if value.tzinfo else timezone.make_aware(value, UTC)).astimezone(UTC)
    except (AttributeError, ValueError, OverflowError):  # None, 2026-13-45, year 9999 -23:59
        return None
