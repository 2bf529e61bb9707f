import re

import pytest
from django.http import QueryDict
from django.utils import translation

from defections.filtersets import AgencyFilterSet, CaseFilterSet, PersonFilterSet, SourceFilterSet
from defections.models import Case

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


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


def test_an_agency_filter_reads_its_tree_as_an_array_of_ids(seeded):
    """The tree under an agency is probed as an array (`= ANY(ARRAY(…))`), which the planner
    can look up in the agency index, not joined as `IN (…)` after a scan of every published
    case (bench/README.md, "First reader": a facet at 1,000,000 cases 300 → 160 ms); the
    cases are those of `agency_id__in` the tree, the sub-agencies' included."""
    from defections.models import Agency

    mid = Agency.objects.get(slug="mid")
    assert Agency.objects.filter(parent=mid).exists()  # a tree, not one agency
    fs = CaseFilterSet(QueryDict("agency=mid"), queryset=Case.objects.public())
    assert fs.is_valid(), fs.errors
    sql = str(fs.qs.query)
    assert '"agency_id" = ANY(ARRAY(WITH RECURSIVE tree' in sql, sql
    assert " IN (WITH RECURSIVE" not in sql
    joined = Case.objects.public().filter(agency_id__in=Agency.objects.tree([mid.pk]))
    assert sorted(fs.qs.values_list("pk", flat=True)) == sorted(joined.values_list("pk", flat=True))
    assert fs.qs.exists()


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


def test_russian_reader_filters_with_the_same_values_and_reads_russian(seeded):
    """Query-string values are the same in both languages; labels, help and errors translate."""
    with translation.override("ru"):
        assert names("form=articulated&response=psychiatric") == ["Ilya Remeslo"]
        found = errors("year_min=2026&year_max=2022&form=lateral&updated_after=yesterday")
        assert found["year_max"] == ["Последний год раньше первого."]
        assert "lateral" in found["form"][0] and CYRILLIC.search(found["form"][0])
        assert CYRILLIC.search(found["updated_after"][0])
        for filterset in (CaseFilterSet, PersonFilterSet, AgencyFilterSet, SourceFilterSet):
            for name, field in filterset().form.fields.items():
                assert CYRILLIC.search(str(field.label)), (filterset, name, field.label)
                assert not field.help_text or CYRILLIC.search(str(field.help_text)), (filterset, name)
        fields = CaseFilterSet().form.fields
        assert dict(fields["form"].choices)["geographic"] == "Отъезд из страны"
        assert dict(fields["destination_country"].choices)["DE"] == "Германия"
        assert dict(fields["ordering"].choices)["-date"] == "По дате (сначала поздние)"
    assert str(CaseFilterSet().form.fields["year_min"].label) == "From year"  # English unchanged


def test_facet_labels_in_the_reader_language(seeded):
    """Periods, motives and agencies by their Russian names (the English one, marked, where
    none is written yet); coded values by their Russian labels; the values stay the same."""
    from django.contrib.auth.models import AnonymousUser

    from defections.facets import case_facets
    from defections.models import Agency, Motive, Period

    Period.objects.filter(slug="war-since-2022").update(name_ru="Война с 2022 года")
    Agency.objects.filter(slug="mid").update(name_ru="Министерство иностранных дел")
    Motive.objects.filter(slug="corruption-probe").update(name_ru="Расследование коррупции")
    untranslated = Motive.objects.exclude(slug="corruption-probe").filter(  # listed: it has cases
        cases__in=Case.objects.public().filter(form="geographic")).first()
    Motive.objects.filter(pk=untranslated.pk).update(name_ru="")
    visible = Case.objects.visible_to(AnonymousUser())

    def facets():
        return case_facets(CaseFilterSet(QueryDict("form=geographic"), queryset=visible), visible,
                           user=AnonymousUser())

    with translation.override("ru"):
        found = facets()
    by_value = {dimension: {row["value"]: row for row in rows} for dimension, rows in found.items()}
    assert by_value["period"]["war-since-2022"]["label"] == "Война с 2022 года"
    assert by_value["period"]["war-since-2022"]["lang"] == "ru"
    assert by_value["motive"]["corruption-probe"]["label"] == "Расследование коррупции"
    assert by_value["motive"][untranslated.slug] == {**by_value["motive"][untranslated.slug],
                                                    "label": untranslated.name, "lang": "en"}
    assert by_value["agency"]["mid"]["label"] == "Министерство иностранных дел (MID)"  # as its page
    assert by_value["form"]["geographic"]["label"] == "Отъезд из страны"
    assert by_value["form"]["geographic"]["selected"] and by_value["form"]["geographic"]["lang"] == "ru"
    english = {row["value"]: row for row in facets()["agency"]}
    assert english["mid"]["label"] == "Ministry of Foreign Affairs (MID)"
    assert {row["value"]: row["label"] for row in facets()["period"]}["war-since-2022"] == (
        Period.objects.get(slug="war-since-2022").name)
