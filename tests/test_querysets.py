from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defections.models import Case, Motive, Period, Person
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory


@pytest.mark.django_db
def test_public_hides_drafts_reviews_and_retracted():
    shown = CaseFactory(status="published")
    for status in ["draft", "review", "retracted"]:
        CaseFactory(status=status)
    assert list(Case.objects.public()) == [shown]


@pytest.mark.django_db
def test_public_people_are_those_with_a_published_case():
    shown = CaseFactory(status="published").person
    CaseFactory(status="draft")
    assert list(Person.objects.public()) == [shown]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("year_min", "year_max", "expected"),
    [
        (1935, 1935, {"1930s"}),
        (1953, 1953, {"c. 1953", "1950s"}),
        (1950, None, {"c. 1953", "1950s", "March 2026", "1988–1991"}),
        (None, 1931, {"1930s"}),
        (1990, 1990, {"1988–1991"}),
        (2026, 2026, {"March 2026"}),
        (2027, None, set()),
    ],
)
def test_year_filter_overlaps_the_interval(year_min, year_max, expected):
    for text in ["1930s", "c. 1953", "1950s", "March 2026", "1988–1991", ""]:
        CaseFactory(date=text)
    found = Case.objects.in_years(year_min, year_max)
    assert {case.date for case in found} == expected  # the undated case never matches


@pytest.mark.django_db
def test_period_is_derived_from_the_date():
    purge = Period.objects.create(slug="purge", name="Purge", start=date(1936, 1, 1),
                                  end=date(1938, 12, 31))
    war = Period.objects.create(slug="war", name="War", start=date(2022, 2, 24))
    assert CaseFactory(date="1937").period == purge
    assert CaseFactory(date="24 February 2022").period == war
    # A year that starts before the war: the middle of the year is inside it.
    assert CaseFactory(date="2022").period == war
    assert CaseFactory(date="1930s").period is None  # its middle, 1934, is before the purge
    assert CaseFactory(date="").period is None

    case = CaseFactory(date="1950")
    assert case.period is None
    case.date = "1937"
    case.save()
    assert case.period == purge


@pytest.mark.django_db
def test_editing_a_period_rederives_its_cases():
    case = CaseFactory(date="1945")
    assert case.period is None
    period = Period.objects.create(slug="war", name="War", start=date(1941, 6, 22),
                                   end=date(1944, 12, 31))
    case.refresh_from_db()
    assert case.period is None
    period.end = date(1945, 12, 31)
    period.save()
    case.refresh_from_db()
    assert case.period == period
    period.delete()
    case.refresh_from_db()
    assert case.period is None


@pytest.mark.django_db
def test_for_list_needs_a_fixed_number_of_queries():
    def queries_for(n_cases):
        motive = MotiveFactory()
        for _ in range(n_cases):
            CaseFactory(agency=AgencyFactory(), date="2023").motives.add(motive)
        with CaptureQueriesContext(connection) as ctx:
            for case in Case.objects.for_list():
                str(case.person), str(case.agency), str(case.period), list(case.motives.all())
        Case.objects.all().delete()
        Motive.objects.all().delete()
        return len(ctx)

    assert queries_for(2) == queries_for(12) == 2
