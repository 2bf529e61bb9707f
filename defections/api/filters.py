from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend

from defections import visibility
from defections.models import Case, Person


class FilterBackend(DjangoFilterBackend):
    """The shared FilterSets, then the at-risk rule for clients who are not staff.

    Of an at-risk person the public knows the name, the form and the year: their cases
    must not answer a filter on anything else, nor a search on other names
    (defections/visibility.py, as on the pages).
    """

    def filter_queryset(self, request, queryset, view):
        queryset = super().filter_queryset(request, queryset, view)
        if request.user.has_perm("defections.view_case"):
            return queryset
        params = request.query_params
        q = params.get("q", "")
        if queryset.model is Case:
            names = visibility.filter_names(params, self.get_filterset_class(view, queryset))
            return visibility.narrow(queryset, names, q)
        if queryset.model is Person and q.strip():
            return queryset.filter(Q(at_risk=False) | Q(pk__in=visibility.people_named(q)))
        return queryset
