"""The agency pages: the tree of bodies, with the cases whose details the reader sees
counted directly and with sub-agencies, and the line each body belongs to (NKVD → … → FSB)."""

from collections import defaultdict

from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from defections import facets
from defections.models import Agency, Case
from defections.web.views import cached_page, redacted


def agency_index(user):
    """The agencies user may see, with the cases whose details they see counted (direct
    and with sub-agencies)."""
    agencies = list(Agency.objects.visible_to(user).order_by("name"))
    direct = dict(Case.objects.visible_to(user).details_shown().order_by()
                  .values_list("agency_id").annotate(n=Count("pk")))
    direct.pop(None, None)
    totals = facets.roll_up(agencies, direct)
    by_pk = {a.pk: a for a in agencies}
    children, successors = defaultdict(list), defaultdict(list)
    for agency in agencies:  # in name order, so the lists are too
        children[agency.parent_id].append(agency)
        successors[agency.predecessor_id].append(agency)
    for agency in agencies:
        agency.direct_count = direct.get(agency.pk, 0)
        agency.total_count = totals.get(agency.pk, 0)
        agency.parent_obj = by_pk.get(agency.parent_id)
        agency.predecessor_obj = by_pk.get(agency.predecessor_id)
        agency.successor_objs = successors[agency.pk]
        agency.child_objs = children[agency.pk]
    return agencies, by_pk


def predecessor_chain(agency, by_pk) -> list:
    """The line of bodies this one belongs to, oldest first (NKVD → MGB → KGB → FSB)."""
    first, seen = agency, {agency.pk}
    while first.predecessor_id in by_pk and first.predecessor_id not in seen:
        first = by_pk[first.predecessor_id]
        seen.add(first.pk)
    chain, node, seen = [first], first, {first.pk}
    while True:
        nxt = [a for a in node.successor_objs if a.pk not in seen]
        if not nxt:
            return chain
        node = nxt[0]
        seen.add(node.pk)
        chain.append(node)


@cached_page
def agency_list(request):
    agencies, by_pk = agency_index(request.user)
    tree = facets._agency_tree(agencies)
    chains, seen = [], set()
    for agency in agencies:
        if agency.predecessor_id or agency.successor_objs:
            chain = predecessor_chain(agency, by_pk)
            key = tuple(a.pk for a in chain)
            if key not in seen:
                seen.add(key)
                chains.append(chain)
    return render(request, "agencies/list.html", {"tree": tree, "chains": chains})


@cached_page
def agency_detail(request, pk):
    agencies, by_pk = agency_index(request.user)
    agency = by_pk.get(pk)
    if agency is None:
        raise Http404("No such agency.")
    ancestors, node = [], agency.parent_obj
    while node is not None and node not in ancestors:
        ancestors.insert(0, node)
        node = node.parent_obj
    subtree = [pk for pk, _ in _subtree(agency)]
    cases = (Case.objects.visible_to(request.user).details_shown().for_list()
             .filter(agency_id__in=subtree))
    chain = predecessor_chain(agency, by_pk) if agency.predecessor_id or agency.successor_objs else []
    return render(request, "agencies/detail.html", {
        "agency": agency, "ancestors": ancestors, "chain": chain,
        "cases": redacted(cases[:50], request.user),
        "list_url": f"{reverse('case-list')}?agency={agency.slug}",
    })


def _subtree(agency, depth=0, seen=None):
    seen = seen if seen is not None else set()
    if agency.pk in seen:
        return []
    seen.add(agency.pk)
    out = [(agency.pk, depth)]
    for child in agency.child_objs:
        out += _subtree(child, depth + 1, seen)
    return out
