"""The source pages: each source with the cases it backs (directly, or through a response
or an account) whose details the reader sees, its chain of reprints and what derives from it."""

from datetime import date

from django.shortcuts import get_object_or_404, render

from defections import redaction
from defections.filtersets import SourceFilterSet
from defections.models import Case, Citation, Source
from defections.web.case_query import clean_params
from defections.web.views import cached_page, paginate, query_without


def supported_cases(source_ids, user) -> dict[int, list[Case]]:
    """{source id: the cases it backs (directly, or through a response or an account) whose
    details user sees}, in two queries."""
    pairs = (Citation.objects.visible_to(user).filter(source_id__in=source_ids)
             .order_by().values_list("source_id", "case_ref").distinct())
    pairs = sorted(set(pairs))
    found = Case.objects.visible_to(user).select_related("person", "agency").in_bulk({c for _, c in pairs})
    cases = {pk: redaction.redact(case, user) for pk, case in found.items()}  # by the date shown
    out: dict[int, list[Case]] = {}
    for source_id, case_id in pairs:
        out.setdefault(source_id, []).append(cases[case_id])
    for items in out.values():
        items.sort(key=lambda c: (c.date_start or date.max, c.pk))
    return out


@cached_page
def source_list(request):
    data = clean_params(request)
    visible = Source.objects.visible_to(request.user)
    filterset = SourceFilterSet(data, queryset=visible, request=request)
    valid = filterset.is_valid()
    sources = filterset.qs if valid else visible
    page = paginate(request, sources.order_by("-published_on", "title", "pk"))
    supports = supported_cases([s.pk for s in page.object_list], request.user)
    for source in page.object_list:
        source.supported = supports.get(source.pk, [])
    return render(request, "sources/list.html", {
        "page": page, "form": filterset.form, "query": query_without(request, "page"),
    }, status=200 if valid else 400)


@cached_page
def source_detail(request, pk):
    source = get_object_or_404(Source.objects.visible_to(request.user), pk=pk)
    citations = list(Citation.objects.visible_to(request.user).filter(source=source)
                     .select_related("response", "account").order_by("pk"))
    # The cases as the door shows them (a withheld date is not in a case's label).
    cases = Case.objects.visible_to(request.user).select_related("person", "agency").in_bulk(
        {c.case_ref for c in citations})
    for citation in citations:
        citation.target = redaction.redact(cases[citation.case_ref], request.user)
    derivatives = Source.objects.visible_to(request.user).filter(derived_from=source).order_by("title", "pk")
    return render(request, "sources/detail.html", {"source": source, "citations": citations,
                                                   "chain": source.chain(), "derivatives": derivatives})
