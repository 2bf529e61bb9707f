"""Facet counts: for each filter of CaseFilterSet, how many cases each option would give.

A dimension is counted with every *other* active filter applied, so that the options of
one filter read as "any of these" (as the FilterSet combines repeated values). The
dimensions that count the same cases share one scan; the number of queries depends on
the filters in use, never on the number of cases or options. The page and the
API can both use it: hand in a bound, validated CaseFilterSet and the reader's
`Case.objects.visible_to(user)`; the filterset's `narrow` keeps at-risk cases out of the
dimensions that would reveal their details.

One rule for what every facet lists: an option that would give at least one case, and an
option that is chosen, whatever it would give (so that it can be unticked). An option that
gives none is left out, in every facet alike: most of ~250 countries, or a form no case of
the current selection has, would be a list of zeros.
"""

from django.db import connections
from django.db.models import Count, F
from django_countries import countries

from defections import choices, languages
from defections.models import Agency, Case, Motive, Period, Response
from defections.stats import grouped_over

# Filters that act together as one dimension (an agency by slug or by id).
LINKED = {"agency": ("agency", "agency_id")}

# dimension -> the column its cases are grouped by
GROUP_BY = {
    "form": "form",
    "agency": "agency_id",
    "agency_kind": "agency__kind",
    "period": "period__slug",
    "destination_country": "destination_country",
    "motive": "motives__slug",
    "response": "responses__kind",
    "verification": "verification",
}
DIMENSIONS = list(GROUP_BY)


def active_filters(filterset) -> dict:
    """The valid, non-empty filter values of a bound filterset (invalid ones are left out)."""
    filterset.form.is_valid()
    data = getattr(filterset.form, "cleaned_data", {})
    return {name: value for name, value in data.items()
            if name in filterset.filters and any(v.strip() for v in _selected(filterset, name))}


def apply_filters(filterset, queryset, active: dict, skip=(), narrow=None, built=None):
    """queryset narrowed by the active filters except those in skip (ordering is not a filter).

    narrow(queryset, names) is the at-risk rule, given the filter names in force; by
    default the filterset's own. built, a dict kept by the caller, keeps the filtered
    querysets by the filters applied: the facets apply the same ones for most dimensions,
    and building a search's queryset is costly.
    """
    narrow = narrow or getattr(filterset, "narrow", None)
    names = {name for name in active if name not in skip and name != "ordering"}
    key = frozenset(names)
    if built is not None and key in built:
        queryset = built[key]
    else:
        for name in names:
            queryset = filterset.filters[name].filter(queryset, active[name])
        if built is not None:
            built[key] = queryset
    if narrow is not None:
        queryset = narrow(queryset, names)
    return queryset


TO_MANY = {"motives__slug", "responses__kind"}


def _counts(queryset, column: str) -> dict:
    if column in TO_MANY:
        return _related_counts(queryset, column)
    rows = queryset.order_by().values_list(column).annotate(n=Count("pk"))
    return {value: n for value, n in rows if value not in (None, "")}


def _related_counts(queryset, column: str) -> dict:
    """Cases per value of a to-many column, counted in the related table over the cases' ids
    (a semi-join): joining every case to its motives and counting distinct cases sorted
    ~120,000 rows at 100,000 cases. A case has a motive once (the link table is unique), so
    its rows count cases; a case may have several responses of one kind, so those count
    distinct cases."""
    ids = queryset.order_by().values("pk")
    if column == "motives__slug":
        rows = (Case.motives.through.objects.filter(case_id__in=ids).order_by()
                .values_list("motive__slug").annotate(n=Count("*")))
    else:
        # The distinct (kind, case) pairs, then counted: `COUNT(DISTINCT case_id)` sorts every
        # response (on disk at 1,000,000 cases), the pairs hash (1.4 → 1.1 s there, 86 → 73 ms
        # at 100,000 cases).
        pairs = Response.objects.filter(case_id__in=ids).order_by().values_list("kind", "case_id").distinct()
        grouped = grouped_over(pairs)
        if grouped is None:
            return {}
        source, params = grouped
        with connections[queryset.db].cursor() as cursor:  # the cases' database, as they are read
            cursor.execute(f"SELECT kind, COUNT(*) FROM {source} pairs GROUP BY kind", params)
            rows = cursor.fetchall()
    return {value: n for value, n in rows if value not in (None, "")}


def _name(record) -> languages.Text:
    """A record's name in the reader's language (the other one, marked, when it has none)."""
    return languages.text(record, "name")


def _agency_tree(agencies) -> list[tuple[Agency, int]]:
    """Agencies in tree order (parents before children, by name in the reader's language),
    with their depth."""
    children: dict = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    ordered: list = []

    def walk(parent_id, depth):
        for agency in sorted(children.get(parent_id, []), key=_name):
            ordered.append((agency, depth))
            walk(agency.pk, depth + 1)

    walk(None, 0)
    return ordered


def roll_up(agencies, direct: dict) -> dict:
    """Each agency's count including its sub-agencies' (each case has one agency: sums are exact)."""
    parent = {a.pk: a.parent_id for a in agencies}
    total = dict.fromkeys(parent, 0)
    for pk, n in direct.items():
        seen = set()
        while pk is not None and pk in parent and pk not in seen:
            seen.add(pk)
            total[pk] += n
            pk = parent[pk]
    return total


def _selected(filterset, name) -> set[str]:
    data = filterset.data
    values = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
    if isinstance(values, str):
        values = [values]
    return {str(v) for v in values}


def grouped_counts(queryset, columns: dict[str, str]) -> dict[str, dict]:
    """{dimension: {value: count}} for several columns of one queryset, in one scan of it
    (GROUP BY GROUPING SETS: one set per column)."""
    names = {dimension: f"c{i}" for i, dimension in enumerate(columns)}
    inner = queryset.order_by().values(**{names[d]: F(column) for d, column in columns.items()})
    grouped = grouped_over(inner)
    if grouped is None:
        return {dimension: {} for dimension in columns}
    source, params = grouped
    select = ", ".join([*names.values(), *(f"GROUPING({n})" for n in names.values())])
    sets = ", ".join(f"({n})" for n in names.values())
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT {select}, COUNT(*) FROM {source} cases GROUP BY GROUPING SETS ({sets})",
                       params)
        rows = cursor.fetchall()
    counts: dict[str, dict] = {dimension: {} for dimension in columns}
    width = len(names)
    for row in rows:
        values, grouped, n = row[:width], row[width:-1], row[-1]
        i = grouped.index(0)  # the one column this row is grouped by
        if values[i] not in (None, ""):
            counts[list(columns)[i]][values[i]] = n
    return counts


def case_facets(filterset, queryset, narrow=None, user=None) -> dict[str, list[dict]]:
    """{dimension: [{"value", "label", "count", "selected", "depth"}, …]} for the case filters.

    user is the reader the queryset is visible to: only the agencies they may see are named.
    """
    narrow = narrow or getattr(filterset, "narrow", None)
    active = active_filters(filterset)
    counts = {}
    # Dimensions counted over the same cases (those whose own filter is not in use) share
    # one scan; a to-many dimension joins its table, so it has a query of its own.
    shared: dict[str, tuple] = {}
    built: dict = {}
    for dimension, column in GROUP_BY.items():
        skip = LINKED.get(dimension, (dimension,))
        facet_qs = apply_filters(filterset, queryset, active, skip=skip,
                                 narrow=_with(narrow, dimension), built=built)
        if column in TO_MANY:
            counts[dimension] = _counts(facet_qs, column)
            continue
        column = facet_qs.shown(column)  # empty where the reader's case withholds it
        same_cases = repr(facet_qs.query.sql_with_params())
        shared.setdefault(same_cases, (facet_qs, {}))[1][dimension] = column
    for facet_qs, columns in shared.values():
        counts.update(grouped_counts(facet_qs, columns))

    agencies = list(Agency.objects.visible_to(user).only("pk", "name", "name_ru", "acronym", "slug",
                                                          "parent_id"))
    agency_totals = roll_up(agencies, counts["agency"])
    chosen_agencies = _selected(filterset, "agency")
    chosen_ids = _selected(filterset, "agency_id")

    def options(name, pairs):
        """Rows for (value, label) pairs, by the one rule (module docstring); a label is in
        `lang` (a record's name may fall back)."""
        chosen = _selected(filterset, name)
        rows = []
        for value, label in pairs:
            n = counts[name].get(value, 0)
            if n or str(value) in chosen:
                rows.append({"value": value, "label": str(label), "count": n,
                             "lang": getattr(label, "lang", reader),
                             "selected": str(value) in chosen, "depth": 0})
        return rows

    reader = languages.current()

    return {
        "form": options("form", choices.Form.choices),
        "verification": options("verification", choices.Verification.choices),
        "period": options("period", [(p.slug, _name(p)) for p in Period.objects.all()]),
        "agency": [
            {"value": a.slug, "label": agency_label(a), "lang": _name(a).lang,
             "count": agency_totals.get(a.pk, 0), "depth": depth,
             "selected": a.slug in chosen_agencies or str(a.pk) in chosen_ids}
            for a, depth in _agency_tree(agencies)
            if agency_totals.get(a.pk) or a.slug in chosen_agencies or str(a.pk) in chosen_ids
        ],
        "agency_kind": options("agency_kind", choices.AgencyKind.choices),
        "destination_country": options(
            "destination_country",
            sorted(((code, countries.name(code)) for code in
                    {*counts["destination_country"], *_selected(filterset, "destination_country")}
                    if code in countries), key=lambda pair: pair[1])),
        "motive": options("motive", [(m.slug, _name(m)) for m in Motive.objects.all()]),
        "response": options("response", choices.ResponseKind.choices),
    }


def agency_label(agency) -> str:
    """An agency as the site names it, "Federal Security Service (FSB)": its name in the
    reader's language, its acronym after it when it has one, for every agency alike."""
    name = _name(agency)
    return f"{name} ({agency.acronym})" if agency.acronym else str(name)


def _with(narrow, dimension):
    """The caller's rule, told that this dimension is counted: as if its filter were in
    force (the at-risk rule), with a withheld value counted by none (its shown column)."""
    if narrow is None:
        return None
    return lambda queryset, names: narrow(queryset, names, counted=dimension)
