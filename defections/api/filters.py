from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """The shared FilterSets, over the viewset's `visible_to(user)` queryset.

    Who sees what is not decided here: the queryset carries the reader's rule and the
    FilterSets apply it (defections/visibility.py), as on the pages.
    """
