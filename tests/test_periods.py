"""A case's period is derived state that PostgreSQL keeps (defections/invariants.py): right
after a save, `update()`, raw SQL and any edit of the periods."""

import pytest
from django.db import connection

from defections.models import Case, Period
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def periods():
    return {
        "thaw": Period.objects.create(slug="thaw", name="Thaw", start="1953-03-01", end="1956-12-31"),
        "war": Period.objects.create(slug="war", name="War", start="2022-02-24"),
    }


def period_of(case):
    return Case.objects.get(pk=case.pk).period_id


def test_a_save_places_the_case_by_the_middle_of_its_date(periods):
    case = CaseFactory(date="1950–1955")  # middle: mid-1952, before the thaw
    assert case.period_id is None and period_of(case) is None
    case.date = "1954"
    case.save()
    assert case.period_id == period_of(case) == periods["thaw"].pk


def test_update_and_raw_sql_keep_it(periods):
    case = CaseFactory(date="2010")
    Case.objects.filter(pk=case.pk).update(date_start="2023-01-01", date_end="2023-12-31",
                                           date_precision="year")
    assert period_of(case) == periods["war"].pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE defections_case SET date_start = '1954-01-01', date_end = '1954-12-31' "
                       "WHERE id = %s", [case.pk])
        cursor.execute("UPDATE defections_case SET period_id = NULL WHERE id = %s", [case.pk])
    assert period_of(case) == periods["thaw"].pk  # not by hand either


def test_editing_the_periods_places_the_cases_again(periods):
    case = CaseFactory(date="1957")
    assert period_of(case) is None
    Period.objects.filter(pk=periods["thaw"].pk).update(end="1957-12-31")
    assert period_of(case) == periods["thaw"].pk
    Period.objects.filter(pk=periods["thaw"].pk).delete()
    assert period_of(case) is None
    Period.objects.create(slug="late", name="Late fifties", start="1957-01-01", end="1959-12-31")
    assert period_of(case) == Period.objects.get(slug="late").pk


def test_an_undated_case_has_no_period(periods):
    assert period_of(CaseFactory()) is None
