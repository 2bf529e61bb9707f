"""Records that may already be entered: the one question the admin form, the API and the CSV
import ask before making a person or a case (and a source, whose URL key is unique in the
database: models.Source.url_key)."""

from django.db.models import Q

from defections import models
from defections.search import matching_person_ids


def similar_people(names, exclude=None, limit=10):
    """People whose name, native name or an alias is close to any of the names."""
    condition = Q()
    for name in names:
        name = " ".join((name or "").split())
        if name:
            people, aliases = matching_person_ids(name)
            condition |= Q(pk__in=people) | Q(pk__in=aliases)
    if not condition:
        return []
    found = models.Person.objects.filter(condition).prefetch_related("aliases")
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return list(found.distinct()[:limit])


def similar_cases(case, limit=10):
    """Other cases of the same person in the same form whose dates overlap (or both undated):
    most likely the same act entered twice."""
    if case.person_id is None or not case.form:
        return []
    found = models.Case.objects.filter(person_id=case.person_id, form=case.form)
    if case.date_start is None:
        found = found.filter(date_start__isnull=True)
    else:
        found = found.filter(date_start__lte=case.date_end, date_end__gte=case.date_start)
    if case.pk is not None:
        found = found.exclude(pk=case.pk)
    return list(found.select_related("person").order_by("pk")[:limit])
