import pytest
from django.http import QueryDict

from defections.filtersets import CaseFilterSet
from defections.models import Case


def names(query: str, queryset=None):
    fs = CaseFilterSet(QueryDict(query), queryset=queryset or Case.objects.public().for_list())
    assert fs.is_valid(), fs.errors
    return sorted({case.person.name for case in fs.qs})


def errors(query: str):
    fs = CaseFilterSet(QueryDict(query), queryset=Case.objects.public())
    assert not fs.is_valid()
    return fs.errors


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("form=final", []),
        ("form=articulated&form=final", ["Boris Bondarev", "Igor Volobuyev", "Ilya Remeslo",
                                         "Viktoria Bonya", "Yevgeny Prigozhin"]),
        ("agency=mid", ["Boris Bondarev"]),  # through its sub-agency, the Geneva mission
        ("agency_kind=state-company", ["Igor Volobuyev"]),
        ("year_min=2026", ["Denis Butsayev", "Ilya Remeslo", "Viktoria Bonya"]),
        ("year_min=2023&year_max=2023", ["Denis Butsayev", "Yevgeny Prigozhin"]),
        ("period=war-since-2022&form=geographic", ["Boris Bondarev", "Denis Butsayev",
                                                   "Igor Volobuyev"]),
        ("destination_country=US&destination_country=GB", ["Denis Butsayev", "Sergei Skripal"]),
        ("motive=corruption-probe", ["Denis Butsayev"]),
        ("motive=conflict-with-superiors&motive=corruption-probe",
         ["Denis Butsayev", "Yevgeny Prigozhin"]),
        ("response=psychiatric", ["Ilya Remeslo"]),
        ("response=assassination&response=assassination-attempt",
         ["Maxim Kuzminov", "Sergei Skripal"]),
        ("verification=confirmed", []),
        ("q=Skipal", ["Sergei Skripal"]),
        ("q=corruption", ["Denis Butsayev"]),
    ],
)
def test_case_filters_on_the_seed(seeded, query, expected):
    assert names(query) == expected


def test_agency_id_equals_agency_slug(seeded):
    from defections.models import Agency

    mid = Agency.objects.get(slug="mid")
    assert names(f"agency_id={mid.pk}") == names("agency=mid")


def test_status_filter_applies_within_the_given_queryset(seeded):
    Case.objects.filter(person__name="Ilya Remeslo").update(status="draft")
    assert names("status=draft") == []  # the public queryset has no drafts to find
    assert names("status=draft", Case.objects.all()) == ["Ilya Remeslo"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("form=lateral", "form"),
        ("year_min=abc", "year_min"),
        ("year_min=99999", "year_min"),
        ("year_max=-5", "year_max"),
        ("year_min=2026&year_max=2022", "year_max"),
        ("agency=no-such-agency", "agency"),
        ("agency_id=abc", "agency_id"),
        ("period=no-such-period", "period"),
        ("motive=greed", "motive"),
        ("response=exile", "response"),
        ("destination_country=XX", "destination_country"),
        ("updated_after=yesterday", "updated_after"),
        ("ordering=salary", "ordering"),
    ],
)
def test_bad_values_are_errors_naming_the_parameter(db, query, field):
    assert field in errors(query)


def test_ordering(seeded):
    fs = CaseFilterSet(QueryDict("ordering=-name"), queryset=Case.objects.public())
    people = [c.person.name for c in fs.qs.select_related("person")]
    assert people == sorted(people, reverse=True)


def test_updated_after(seeded):
    latest = Case.objects.order_by("-updated_at").first()
    fs = CaseFilterSet(QueryDict(f"updated_after={latest.updated_at.isoformat().replace('+', '%2B')}"),
                       queryset=Case.objects.all())
    assert fs.is_valid(), fs.errors
    assert latest in fs.qs
