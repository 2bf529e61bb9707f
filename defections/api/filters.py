from datetime import UTC, datetime

from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with times moved to UTC first: PostgreSQL refuses offsets
    beyond ±15:59 that Python accepts (`updated_after=2020-01-01T00:00+19:22`)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if filterset.is_valid():
            for name, value in list(filterset.form.cleaned_data.items()):
                if isinstance(value, datetime) and value.tzinfo is not None:
                    try:
                        filterset.form.cleaned_data[name] = value.astimezone(UTC)
                    except OverflowError:
                        filterset.form.add_error(name, "This time is out of range.")
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        return filterset.qs
