"""The at-risk rule, for every public face: of an at-risk person only the name, form and year.

(The other half of visibility, published cases only, is `Case.objects.public()`.)
A filter on anything else (agency, motive, country, …) would reveal that detail by
listing the case, so for the public, at-risk cases match only filters on form and
years, and a search only by their display name. The pages and the API both apply it.
"""

from django.db.models import Q

from defections.models import Case, Person, Source, Unaccented
from defections.search import name_variants, similar

# Filters that at-risk cases may answer: their form and year are public.
OPEN_FILTERS = {"form", "year_min", "year_max", "ordering"}


def people_named(q: str):
    """People whose display name (only: not native name, not aliases) is close to q."""
    condition = similar("u_name", name_variants(" ".join(q.split())))
    return Person.objects.alias(u_name=Unaccented("name")).filter(condition).values("pk")


def narrow(queryset, names, q: str = ""):
    """Cases as the filters in `names` may show them, at-risk ones kept only where allowed."""
    closed = set(names) - OPEN_FILTERS - {"q"}
    if closed:
        return queryset.exclude(person__at_risk=True)
    if "q" in names and q.strip():
        return queryset.filter(Q(person__at_risk=False) | Q(person_id__in=people_named(q)))
    return queryset


def not_at_risk(queryset, field: str = "person__at_risk"):
    return queryset.exclude(**{field: True})


def filter_names(params, filterset_class) -> set[str]:
    """The filters a query string sets (non-blank), by the FilterSet's names."""
    return {name for name, values in params.lists()
            if name in filterset_class.base_filters and any(v.strip() for v in values)}


def public_sources():
    """Sources cited by a published case (or its responses) whose details are public.

    A source cited only by a draft or an at-risk person's case stays hidden: its title
    could name what is not public.
    """
    visible = not_at_risk(Case.objects.public()).values("pk")
    return Source.objects.filter(
        pk__in=Source.objects.filter(
            Q(citations__case__in=visible) | Q(citations__response__case__in=visible)).values("pk"))
