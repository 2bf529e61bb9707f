"""Who sees which records, written once: the door every face goes through (what of a
record they see is defections/redaction.py, the one redaction).

Staff (holders of view_case) see everything. The public sees published cases only, never
restricted notes, and of a person at risk only the name, and the form and start year of
each case. Every view, viewset, export, stat and search starts from
`Model.objects.visible_to(user)` (Case, Person, Agency, Source, Citation), and every record shown
passes through `redaction.redact(record, user)`; no face says again which fields are hidden.

What is hidden must not show through the order, the filters or the counts either, so a
public case queryset carries stand-ins (aliases, computed in SQL without a join) for what
an at-risk case hides: `shown_start`/`shown_end` (the whole shown year), `shown_updated`
(none: when hidden fields changed is not public) and `details_hidden`. Filters, orders
and ranks use them (`CaseQuerySet.shown`); a queryset without them (staff, the admin)
uses the real columns.

A field an editor withholds (defections/withholding.py) is hidden the same way, for as long
as the withholding is in force on the day of the read: a public queryset carries
`withheld_<field>` for each field that can be withheld (and the date's stand-ins are empty
where the date is), filters and facets on a field keep out the cases that withhold it
(`narrow`), the search reads no withheld word (defections/search.py), and `redact` empties
the field and names it in the copy's `withheld`.

The public's case door is the same for every reader on a given day, so `Case.objects`
builds it once a day per thread and hands out copies (`public_cases`); a related manager
(a person's cases) and staff build theirs on each call.
"""

import functools
import threading

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as Choose
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from defections import withholding
from defections.ids import InArray, parse_id
from defections.models import (
    Affiliation,
    Agency,
    Case,
    CaseQuerySet,
    Citation,
    NameKey,
    Person,
    Source,
    Withholding,
)
from defections.search import name_variants, similar

STAFF_PERMISSION = "defections.view_case"

# Filters that at-risk cases may answer: their form and year are public. A filter on
# anything else (agency, motive, country, …) would reveal that detail by listing the case.
OPEN_FILTERS = {"form", "year_min", "year_max", "ordering"}
# The withholdable fields a filter (or facet) reads: a case withholding one is never listed
# by it (nor counted). The period is derived from the date.
READS = {"year_min": ("date",), "year_max": ("date",), "period": ("date",),
         "destination_country": ("destination_country",)}

def is_staff(user) -> bool:
    return user is not None and user.has_perm(STAFF_PERMISSION)


# --- the door ------------------------------------------------------------------------------


class Compiled(RawSQL):
    """A subquery without outer references as SQL, compiled once. The door's subqueries (the
    people at risk, the records withholding a field today) each appear a dozen times in a
    list's query; compiling them as queries there was most of the time Django spent on the
    SQL of a page's ids. The same SQL, so the same plan."""

    def __init__(self, queryset):
        super().__init__(*queryset.query.sql_with_params())

    def get_group_by_cols(self):
        return []  # a set of the whole query, as an uncorrelated Subquery: never grouped by


@functools.lru_cache(maxsize=1)
def at_risk_people() -> Compiled:
    return Compiled(Person.objects.filter(at_risk=True).order_by().values("pk"))


class YearDay(Func):
    """A given day of a date's year: make_date(year, month, day)."""

    output_field = DateField()

    def __init__(self, expression, month: int, day: int):
        super().__init__(expression)
        self.template = f"make_date(EXTRACT(YEAR FROM %(expressions)s)::int, {month:d}, {day:d})"


def withheld(column: str, fields, day, outer: str = "pk"):
    """Whether the outer row's record (`outer`: its id there) withholds any of fields on day:
    `outer = ANY(ARRAY(the records withholding them))`, computed once per query."""
    return ExpressionWrapper(InArray(F(outer), withholding_records(column, tuple(fields), day)),
                             output_field=BooleanField())


@functools.lru_cache(maxsize=64)
def withholding_records(column: str, fields: tuple, day) -> Compiled:
    """The ids (`column`: of their case or person) of the records withholding any of fields on day."""
    return Compiled(Withholding.objects.active(day).filter(field__in=fields, **{f"{column}__isnull": False})
                    .order_by().values(column))


def withheld_now(column: str, outer: str, day):
    """The fields of the outer row's record withheld on day (an array, for `redact`)."""
    return ArraySubquery(Withholding.objects.active(day).filter(**{column: OuterRef(outer)})
                         .order_by("field").values("field"))


def cases(queryset, user, day=None):
    """Staff: every case, with its withholdings (to show them with their reasons). The
    public: published cases, with the stand-ins of an at-risk case's hidden date and change
    time and a withheld date, in the order of what is shown, and the withheld fields of each."""
    if is_staff(user):
        return queryset.prefetch_related(WITHHOLDINGS)
    day = day or withholding.today()
    # `person_id IN (at-risk people)`, never pulled up into a join (it is negated, or inside
    # a CASE): a hashed subplan, one lookup per row (`= ANY(ARRAY(…))` compared each row
    # with every at-risk person: seconds per scan at 100,000 cases), and no join, so a page
    # still reads its ids from the index of published cases (defections/paging.py).
    hidden = Q(person_id__in=at_risk_people())
    flags = {f"withheld_{field}": withheld("case_id", [field], day) for field in withholding.CASE_FIELDS}
    unknown = Q(withheld_date=True)
    return (queryset.public()
            .alias(details_hidden=ExpressionWrapper(hidden, output_field=BooleanField()), **flags,
                   withheld_text=withheld("case_id", withholding.SEARCHED, day),
                   withheld_native_name=withheld("person_id", ["native_name"], day, "person_id"))
            .alias(shown_destination_country=Choose(
                       When(withheld_destination_country=True, then=Value("")),
                       default=F("destination_country"), output_field=CharField()),
                   shown_period_slug=Choose(When(unknown, then=Value(None)), default=F("period__slug"),
                                            output_field=CharField()),
                   shown_start=Choose(When(unknown, then=Value(None)),
                                      When(details_hidden=True, then=YearDay("date_start", 1, 1)),
                                      default=F("date_start"), output_field=DateField()),
                   shown_end=Choose(When(unknown, then=Value(None)),
                                    When(details_hidden=True, then=YearDay("date_start", 12, 31)),
                                    default=F("date_end"), output_field=DateField()),
                   shown_updated=Choose(When(details_hidden=True, then=Value(None)),
                                        default=F("updated_at"), output_field=DateTimeField()))
            .annotate(withheld_now=withheld_now("case_id", "pk", day),
                      person_withheld_now=withheld_now("person_id", "person_id", day))
            .order_by("shown_start", "pk"))


_built = threading.local()


def public_cases(day, db=None):
    """`Case.objects.visible_to(None)` built once a day per thread and database: building
    its expressions was ~5 ms, twice or more per request. Each caller gets a copy (the
    memo is never evaluated); its SQL and what it reads are the same as built anew. Per
    thread, because copies share their inner subqueries, which compiling touches."""
    doors = getattr(_built, "doors", None)
    if doors is None or doors[0] != day:
        doors = _built.doors = (day, {})
    if db not in doors[1]:
        doors[1][db] = cases(CaseQuerySet(Case, using=db), None, day)
    return doors[1][db].all()


def shown_start_parts(queryset):
    """A public case queryset ordered by the shown start (either way, then by id) as parts
    that each read in that order from an index: [(part, its sort key)], or None for any other
    order. Their merge is the queryset's order (defections/paging.py).

    A case whose date is withheld today or whose person is at risk is exceptional, and few;
    every other case is shown its own start, so its part orders by `date_start` and reads
    the index of published cases (`case_published_date`) instead of sorting all of them.
    """
    order = tuple(queryset.query.order_by)
    if "withheld_date" not in queryset.query.annotations or order not in {
            ("shown_start", "pk"), ("-shown_start", "pk")}:
        return None
    # the at-risk part as `person_id = ANY(ARRAY(…))`: a bitmap scan of their cases' ids
    at_risk = Q(InArray(F("person_id"), at_risk_people()))
    return [(queryset.filter(withheld_date=False, details_hidden=False), F("date_start")),
            (queryset.filter(at_risk, withheld_date=False), F("shown_start")),
            (queryset.filter(withheld_date=True), F("shown_start"))]


# What staff are shown of a record's withholdings: all of them, with reasons and expiry.
WITHHOLDINGS = Prefetch("withholdings", Withholding.objects.order_by("field", "pk"))


def people(queryset, user):
    """Staff: everyone, with their withholdings. The public: people with a published case;
    an at-risk person's change time is not public; the withheld fields of each."""
    if is_staff(user):
        return queryset.prefetch_related(WITHHOLDINGS)
    day = withholding.today()
    return queryset.public().alias(
        details_hidden=F("at_risk"),
        withheld_native_name=withheld("person_id", ["native_name"], day),
        shown_updated=Choose(When(at_risk=True, then=Value(None)), default=F("updated_at"),
                             output_field=DateTimeField())
    ).annotate(withheld_now=withheld_now("person_id", "pk", day))


def details_shown(queryset):
    """The cases of queryset whose details (beyond name, form and year) its reader sees."""
    if "details_hidden" not in queryset.query.annotations:
        return queryset
    return queryset.filter(details_hidden=False)


def known(queryset, *fields):
    """The cases of queryset whose details, and these withholdable fields ("date"), its
    reader sees."""
    return not_withholding(details_shown(queryset), fields)


def not_withholding(queryset, fields):
    """The cases of queryset that withhold none of these fields from its reader."""
    for field in fields:
        if f"withheld_{field}" in queryset.query.annotations:
            queryset = queryset.filter(**{f"withheld_{field}": False})
    return queryset


def sources(queryset, user):
    """Staff: every source. The public: sources cited by a visible case (or its responses)
    whose details are public, with the chain each derives from (so a reprint's original is
    shown with it); one cited only by a draft or an at-risk person's case stays hidden, as
    its title could name what is not public."""
    if is_staff(user):
        return queryset
    return queryset.filter(pk__in=_public_sources(withholding.today()))


def citations(queryset, user):
    """The citations user may see: those backing a case (itself, one of its responses or one
    of its accounts) whose details user sees."""
    visible = details_shown(Case.objects.visible_to(user)).order_by().values("pk")
    return queryset.annotate(case_ref=Coalesce("case_id", "response__case_id", "account__case_id")).filter(
        case_ref__in=visible)


def agencies(queryset, user):
    """Staff: every agency. The public: the agencies public data names (the agency of a
    case, or of an affiliation, whose details are public), with their lines: the bodies
    above them and the bodies they replaced (NKVD → … → FSB). So the public tree and
    chains are whole, an agency known only from hidden records is not listed, and whether
    one is listed depends on public data alone (an absence tells nothing)."""
    if is_staff(user):
        return queryset
    return queryset.filter(pk__in=_public_agencies(withholding.today()))


# The public agencies and sources as SQL, compiled once a day per process: the same for
# every public reader (the day is in the key in case the rule ever reads it), and compiling
# the door's rule into it took longer than running it.


@functools.lru_cache(maxsize=2)
def _public_sources(day) -> RawSQL:
    cited = Citation.objects.visible_to(None).order_by().values("source_id")
    return _lines(Source, ["derived_from_id"], [cited])


@functools.lru_cache(maxsize=2)
def _public_agencies(day) -> RawSQL:
    cases_ = details_shown(Case.objects.visible_to(None))
    people_ = details_shown(Person.objects.visible_to(None))
    posts = Affiliation.objects.filter(person__in=people_.values("pk"))
    named = Agency.objects.filter(Q(_names(cases_)) | Q(_names(posts))).values("pk")
    return _lines(Agency, ["parent_id", "predecessor_id"], [named])


def _names(queryset) -> Subquery:
    """Whether a row of queryset names the outer agency: its first such row, looked up by
    agency in the index (`IN (the agencies of all published cases)` read every case, ~40 ms
    at 100,000 cases, for each list of agencies)."""
    return Subquery(queryset.filter(agency_id=OuterRef("pk")).order_by().values(named=Value(True))[:1],
                    output_field=BooleanField())


def affiliations(queryset, user):
    """Staff: every affiliation. The public: the career of a person it sees whose details
    are public (an at-risk person's posts are as hidden as on their page)."""
    if is_staff(user):
        return queryset
    return queryset.filter(person__in=details_shown(Person.objects.visible_to(None)).values("pk"))


def _lines(model, up: list[str], subqueries) -> RawSQL:
    """The rows of the subqueries with every row above them through the columns `up`
    (recursive): an agency's parents and predecessors, a source's originals."""
    table = model._meta.db_table
    compiled = [query.query.sql_with_params() for query in subqueries]
    roots = " OR ".join(f"id IN ({sql})" for sql, _ in compiled)
    columns = ", ".join(["id", *up])
    above = " OR ".join(f"r.id = line.{column}" for column in up)
    return RawSQL(
        f"""WITH RECURSIVE line({columns}) AS (
                SELECT {columns} FROM {table} WHERE {roots}
                UNION
                SELECT {", ".join(f"r.{c}" for c in ["id", *up])} FROM {table} r JOIN line ON {above}
            ) SELECT id FROM line""", tuple(p for _, params in compiled for p in params))


def tombstone(pk, user):
    """What the public keeps of a retracted case at its address (answered with a 410): the
    retraction, and what the record was (name, form, start year); None when there is no
    retracted case with this id (pk as the URL gives it), or the reader sees the case itself
    (staff)."""
    pk = parse_id(pk)
    return None if pk is None else tombstones([pk], user).get(pk)


def tombstones(pks, user) -> dict:
    """{id: retraction notice} of the retracted cases among pks, in one query (see tombstone)."""
    if is_staff(user):
        return {}
    cases = (Case.objects.filter(pk__in=pks, status="retracted", retracted_at__isnull=False)
             .select_related("person")
             .only("pk", "form", "date_start", "retracted_at", "retraction_note", "retraction_note_ru",
                   "person__name"))
    cases = list(cases)
    # a withheld date stays withheld on the notice, year and all
    undated = set(Withholding.objects.active().filter(case__in=[case.pk for case in cases], field="date")
                  .values_list("case_id", flat=True)) if cases else set()
    return {case.pk: {"id": case.pk, "person": case.person.name, "form": case.form,
                      "year": case.date_start.year if case.date_start and case.pk not in undated else None,
                      "retracted_at": case.retracted_at, "retraction_note": case.retraction_note,
                      "retraction_note_ru": case.retraction_note_ru}
            for case in cases}


# --- filters and searches ------------------------------------------------------------------


def people_named(q: str):
    """People whose display name (only: not native name, not aliases) is close to q."""
    condition = similar("u_name", name_variants(" ".join(q.split())))
    return Person.objects.alias(u_name=NameKey("name")).filter(condition).values("pk")


def narrow(queryset, names, q: str = "", counted: str | None = None, q_applied: bool = False):
    """Cases as the filters in `names` may show them to the queryset's reader: at-risk
    cases only where the filters ask about name, form and year alone, and no case that
    withholds a field a filter reads. `counted`: a facet counted over the cases, as if its
    filter were in force (it groups by the shown column, empty where withheld).
    `q_applied`: the queryset's search already keeps only cases this rule lets q find (the
    ids of a search narrowed by it, carried: search.matched_ids), so the name match is not
    run again."""
    if "details_hidden" not in queryset.query.annotations:
        return queryset
    queryset = not_withholding(queryset, sorted({field for name in names for field in READS.get(name, ())}))
    closed = (set(names) | ({counted} if counted else set())) - OPEN_FILTERS - {"q"}
    if closed:
        return details_shown(queryset)
    if "q" in names and q.strip() and not q_applied:
        # `IN`, a hashed set: an array (`= ANY(ARRAY(…))`) is compared item by item for each
        # at-risk case, and a short name can match thousands of people
        return queryset.filter(Q(details_hidden=False) | Q(person_id__in=people_named(q)))
    return queryset


def named_only(people_queryset, q: str, by_name_or_alias):
    """People as a search for q may find them: an at-risk person by display name only, one
    whose native name is withheld by their name or an alias (by_name_or_alias: the
    subqueries of those matches)."""
    if "details_hidden" not in people_queryset.query.annotations or not q.strip():
        return people_queryset
    named = Q()
    for subquery in by_name_or_alias:
        named |= Q(pk__in=subquery)
    return people_queryset.filter(Q(at_risk=False, withheld_native_name=False)
                                  | (Q(at_risk=False) & named) | Q(pk__in=people_named(q)))

