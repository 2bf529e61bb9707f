"""Public pages. Every query starts from the one visibility rule, `public()`."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render

from defections.models import Agency, Case, Citation, Person, Response, Source


def public_cases():
    return Case.objects.public().for_list()


def home(request):
    cases = public_cases()
    return render(request, "home.html", {
        "case_count": cases.count(),
        "people_count": Person.objects.public().count(),
        "recent": cases.order_by("-updated_at")[:10],
    })


def case_list(request):
    return render(request, "cases/list.html", {"cases": public_cases().order_by("date_start", "pk")})


def case_detail(request, pk):
    case = get_object_or_404(
        public_cases().prefetch_related(
            Prefetch("citations", Citation.objects.select_related("source")),
            Prefetch("responses", Response.objects.prefetch_related(
                Prefetch("citations", Citation.objects.select_related("source")))),
        ),
        pk=pk,
    )
    return render(request, "cases/detail.html", {"case": case})


def person_detail(request, pk):
    person = get_object_or_404(Person.objects.public().prefetch_related("aliases"), pk=pk)
    return render(request, "people/detail.html", {
        "person": person, "cases": public_cases().filter(person=person),
    })


def agency_detail(request, pk):
    agency = get_object_or_404(Agency.objects.select_related("parent", "predecessor"), pk=pk)
    return render(request, "agencies/detail.html", {
        "agency": agency,
        "children": agency.children.annotate(
            n=Count("cases", filter=Q(cases__in=Case.objects.public()))),
        "cases": public_cases().filter(agency_id__in=agency.descendant_ids()),
    })


def source_detail(request, pk):
    source = get_object_or_404(Source, pk=pk)
    cases = public_cases().filter(
        Q(citations__source=source) | Q(responses__citations__source=source)).distinct()
    return render(request, "sources/detail.html", {"source": source, "cases": cases})
