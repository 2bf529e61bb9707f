"""Every database constraint refuses a bad row, in full_clean() and in the database itself."""

from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.timezone import now

from defections.models import (
    Account,
    Affiliation,
    Agency,
    Case,
    ChangeFeed,
    ChangeState,
    Citation,
    DataVersion,
    Period,
    Person,
    PersonAlias,
    Response,
    Source,
    Withholding,
)
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory

D = date
CHOICE = "is not a valid choice"


def changed(row, **fields):
    """A saved row, fetched afresh, with bad values set."""
    row = type(row).objects.get(pk=row.pk)
    for name, value in fields.items():
        setattr(row, name, value)
    return row


def bad_rows():
    """constraint name -> (a function making an unsaved bad row, part of the expected message)."""
    person = PersonFactory()
    agency = AgencyFactory()
    source = SourceFactory(url="https://example.org/taken")
    case = CaseFactory(person=person)
    response = Response.objects.create(case=case, kind="arrest")
    Period.objects.create(slug="p1", name="P1", start=D(2000, 1, 1), end=D(2001, 1, 1))
    PersonAlias.objects.create(person=person, name="Alias")
    Person.objects.create(name="Has QID", wikidata_qid="Q42")

    ChangeState.objects.create(audience="public", kind="case", object_id=1, state="V")
    Withholding.objects.create(case=case, field="role", reason="Kept back.")
    Withholding.objects.create(person=person, field="bio", reason="Kept back.")

    def account(**fields):
        return Account(**{"case": case, "claim": "date", "holder": "ngo", "statement": "In May.",
                          **fields})

    def case_with(**fields):
        return Case(person=person, form="final", summary="s", **fields)

    return {
        "case_date_complete": (lambda: case_with(date_start=D(2020, 1, 1)), "together"),
        "case_date_start_before_end": (
            lambda: case_with(date_start=D(2021, 1, 1), date_end=D(2020, 1, 1),
                              date_precision="year"), "ends before it starts"),
        "case_date_precision_valid": (
            lambda: case_with(date_start=D(2020, 1, 1), date_end=D(2020, 1, 1),
                              date_precision="week"), CHOICE),
        "case_form_valid": (lambda: Case(person=person, form="lateral", summary="s"), CHOICE),
        "case_visibility_valid": (lambda: case_with(visibility="loud"), CHOICE),
        "case_verification_valid": (lambda: case_with(verification="sure"), CHOICE),
        "case_classification_valid": (lambda: case_with(classification="x"), CHOICE),
        "case_status_valid": (lambda: case_with(status="live"), CHOICE),
        **{f"case_published_chose_{field}": (
            lambda field=field: Case(person=person, form="final", status="published", summary="s",
                                     **{"country_from": "SU", "verification": "claimed",
                                        "classification": "possible", field: ""}),
            "needs a value for") for field in ("country_from", "verification", "classification")},
        "case_published_has_summary": (
            lambda: Case(person=person, form="final", status="published", summary="",
                         country_from="RU", verification="reported", classification="certain"),
            "needs a summary"),
        "response_date_complete": (
            lambda: Response(case=case, kind="arrest", date_precision="year"), "together"),
        "response_date_start_before_end": (
            lambda: Response(case=case, kind="arrest", date_start=D(2021, 1, 1),
                             date_end=D(2020, 1, 1), date_precision="year"), "ends before"),
        "response_date_precision_valid": (
            lambda: Response(case=case, kind="arrest", date_start=D(2021, 1, 1),
                             date_end=D(2021, 1, 1), date_precision="hour"), CHOICE),
        "response_kind_valid": (lambda: Response(case=case, kind="exile"), CHOICE),
        "affiliation_date_complete": (
            lambda: Affiliation(person=person, agency=agency, date_end=D(2020, 1, 1)), "together"),
        "affiliation_date_start_before_end": (
            lambda: Affiliation(person=person, agency=agency, date_start=D(2021, 1, 1),
                                date_end=D(2020, 1, 1), date_precision="year"), "ends before"),
        "affiliation_date_precision_valid": (
            lambda: Affiliation(person=person, agency=agency, date_start=D(2021, 1, 1),
                                date_end=D(2021, 1, 1), date_precision="x"), CHOICE),
        "person_birth_complete": (lambda: Person(name="X", birth_start=D(1950, 1, 1)), "together"),
        "person_birth_start_before_end": (
            lambda: Person(name="X", birth_start=D(1951, 1, 1), birth_end=D(1950, 1, 1),
                           birth_precision="year"), "ends before"),
        "person_birth_precision_valid": (
            lambda: Person(name="X", birth_start=D(1951, 1, 1), birth_end=D(1951, 1, 1),
                           birth_precision="x"), CHOICE),
        "person_death_complete": (lambda: Person(name="X", death_precision="year"), "together"),
        "person_death_start_before_end": (
            lambda: Person(name="X", death_start=D(1951, 1, 1), death_end=D(1950, 1, 1),
                           death_precision="year"), "ends before"),
        "person_death_precision_valid": (
            lambda: Person(name="X", death_start=D(1951, 1, 1), death_end=D(1951, 1, 1),
                           death_precision="x"), CHOICE),
        "person_born_before_death": (
            lambda: Person(name="X", birth_start=D(1990, 1, 1), birth_end=D(1990, 12, 31),
                           birth_precision="year", death_start=D(1950, 1, 1),
                           death_end=D(1950, 12, 31), death_precision="year"), "dies before"),
        "person_wikidata_qid_format": (lambda: Person(name="X", wikidata_qid="42"), "Q42"),
        "person_wikidata_qid_unique": (lambda: Person(name="X", wikidata_qid="Q42"),
                                       "Wikidata QID"),
        "alias_unique_per_person": (lambda: PersonAlias(person=person, name="Alias"),
                                    "already has this alias"),
        "agency_kind_valid": (lambda: Agency(name="A", slug="a", kind="club"), CHOICE),
        "agency_active_from_before_until": (
            lambda: Agency(name="A", slug="a", kind="other", active_from=1990, active_until=1980),
            "stops before it starts"),
        "agency_not_own_parent": (lambda: changed(agency, parent_id=agency.pk), "own parent"),
        "agency_not_own_predecessor": (lambda: changed(agency, predecessor_id=agency.pk),
                                       "own predecessor"),
        "source_url_key_unique": (
            lambda: Source(title="Copy", url="http://www.Example.org/taken/#top", kind="news"),
            "URL exists"),
        "source_kind_valid": (lambda: Source(title="S", kind="rumour"), CHOICE),
        "source_reliability_valid": (lambda: Source(title="S", kind="news", reliability="meh"),
                                     CHOICE),
        "citation_backs_one_thing": (
            lambda: Citation(source=source, case=case, response=response), "exactly one"),
        "citation_claim_valid": (lambda: Citation(source=source, case=case, claim="gossip"),
                                 CHOICE),
        "period_start_before_end": (
            lambda: Period(slug="p2", name="P2", start=D(1990, 1, 1), end=D(1980, 1, 1)),
            "ends before it starts"),
        "dataversion_one_row": (lambda: DataVersion(pk=2, version=1), "one data version"),
        "account_claim_valid": (lambda: account(claim="gossip"), CHOICE),
        "account_holder_valid": (lambda: account(holder="spy"), CHOICE),
        "account_rank_valid": (lambda: account(rank="top"), CHOICE),
        "account_has_statement": (lambda: account(statement=""), "cannot be blank"),
        "withholding_field_of_its_record": (
            lambda: Withholding(case=case, person=person, field="place", reason="r"), "one field of a case"),
        "withholding_has_reason": (
            lambda: Withholding(case=case, field="place", reason=""), "cannot be blank"),
        "withholding_once_per_case_field": (
            lambda: Withholding(case=case, field="role", reason="r"), "withheld already"),
        "withholding_once_per_person_field": (
            lambda: Withholding(person=person, field="bio", reason="r"), "withheld already"),
        "changefeed_one_row": (lambda: ChangeFeed(pk=2, started_at=now(), last_at=now(), fingerprint="f"),
                               "one change feed"),
        "changestate_one_per_record": (
            lambda: ChangeState(audience="public", kind="case", object_id=1, state="V"), "one state"),
        "period_no_overlap": (
            lambda: Period(slug="p3", name="P3", start=D(2000, 6, 1), end=D(2002, 1, 1)),
            "may not overlap"),
    }


def project_constraints():
    return {
        constraint.name
        for model in apps.get_app_config("defections").get_models()
        for constraint in model._meta.constraints
    }


@pytest.mark.django_db
def test_every_constraint_has_a_bad_row():
    assert set(bad_rows()) == project_constraints()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(project_constraints()))
def test_constraint_refuses_bad_row(name):
    make, message = bad_rows()[name]

    # Validation, as the admin, the API and load_seed run it, names the problem...
    with pytest.raises(ValidationError) as excinfo:
        make().full_clean()
    assert message in " ".join(excinfo.value.messages)

    # ...and the database refuses the same row when validation is bypassed.
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        row = make()
        if not row._state.adding:  # a changed existing row: write the change without save()
            type(row).objects.filter(pk=row.pk).update(
                parent_id=row.parent_id, predecessor_id=row.predecessor_id)
        else:
            row.save()
    assert name in str(excinfo.value)


@pytest.mark.django_db
def test_agency_parent_loop_is_refused():
    top = AgencyFactory()
    middle = AgencyFactory(parent=top)
    top.parent = middle
    with pytest.raises(ValidationError, match="loop"):
        top.full_clean()


@pytest.mark.django_db
def test_agency_tree_ids_include_descendants():
    top = AgencyFactory()
    child = AgencyFactory(parent=top)
    grandchild = AgencyFactory(parent=child)
    AgencyFactory()
    assert set(top.descendant_ids()) == {top.pk, child.pk, grandchild.pk}


@pytest.mark.django_db
def test_date_text_property_round_trips():
    case = CaseFactory(date="March 2026")
    case.refresh_from_db()
    assert (case.date_start, case.date_end, case.date_precision) == (
        D(2026, 3, 1), D(2026, 3, 31), "month")
    assert case.date == "March 2026"
    case.date = ""
    assert case.date_start is None and case.date_precision == ""
    with pytest.raises(ValidationError):
        case.date = "Smarch 2026"


@pytest.mark.django_db
def test_search_vector_is_generated():
    case = CaseFactory(summary="Resigned from the consulate in protest")
    assert Case.objects.filter(search_vector="consulate", pk=case.pk).exists()
