"""Migration 0029: the circa dates stored as one year become that year give or take two, and
back; its SQL run on real rows."""

import importlib
from datetime import date

import pytest
from django.db import connection

from defections.dates import CIRCA_YEARS, parse_partial_date
from defections.models import Case, Person
from tests.factories import CaseFactory, PersonFactory

MIGRATION = importlib.import_module("defections.migrations.0029_circa_is_two_years_either_side")

pytestmark = pytest.mark.django_db

ONE_YEAR = {"date_start": date(1953, 1, 1), "date_end": date(1953, 12, 31), "date_precision": "circa"}


def run(statements):
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def dates(obj, prefix="date"):
    obj.refresh_from_db()
    return tuple(getattr(obj, f"{prefix}_{part}") for part in ["start", "end", "precision"])


def test_circa_is_widened_and_narrowed_back():
    assert MIGRATION.YEARS == CIRCA_YEARS
    old = CaseFactory(date="1953")
    Case.objects.filter(pk=old.pk).update(**ONE_YEAR)  # as stored before codebook version 3
    year, new = CaseFactory(date="1953"), CaseFactory(date="c. 1960")
    response = old.responses.create(kind="arrest")
    response.__class__.objects.filter(pk=response.pk).update(**ONE_YEAR)
    person = PersonFactory()
    Person.objects.filter(pk=person.pk).update(birth_start=date(1920, 1, 1), birth_end=date(1920, 12, 31),
                                              birth_precision="circa", death_start=date(1990, 5, 1),
                                              death_end=date(1990, 5, 31), death_precision="month")

    run(MIGRATION.WIDEN)
    widened = parse_partial_date("c. 1953")
    assert dates(old) == dates(response) == (widened.start, widened.end, "circa")
    assert old.date == "c. 1953"
    assert dates(person, "birth") == (date(1918, 1, 1), date(1922, 12, 31), "circa")
    assert dates(person, "death") == (date(1990, 5, 1), date(1990, 5, 31), "month")
    assert dates(year) == (date(1953, 1, 1), date(1953, 12, 31), "year")
    assert dates(new) == (date(1958, 1, 1), date(1962, 12, 31), "circa")  # already wide: kept

    run(MIGRATION.NARROW)
    assert dates(old) == dates(response) == tuple(ONE_YEAR.values())
    assert dates(person, "birth") == (date(1920, 1, 1), date(1920, 12, 31), "circa")
    assert dates(year) == (date(1953, 1, 1), date(1953, 12, 31), "year")
    assert dates(new) == (date(1960, 1, 1), date(1960, 12, 31), "circa")  # what the old code reads


@pytest.mark.parametrize("year", [1, 2, 9998, 9999])
def test_a_circa_year_at_the_ends_of_the_calendar_stays_as_it_is(year):
    """Widened, it would be a year that does not exist (the migration failed on year 2)."""
    case = CaseFactory(date="1953")
    one = {"date_start": date(year, 1, 1), "date_end": date(year, 12, 31), "date_precision": "circa"}
    Case.objects.filter(pk=case.pk).update(**one)
    run(MIGRATION.WIDEN)
    assert dates(case) == (date(year, 1, 1), date(year, 12, 31), "circa")
