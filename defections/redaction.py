"""What of a record a reader sees, written once: the one redaction.

Which records a reader sees is the door's (defections/visibility.py); every record shown
then passes through `redact(record, user)` (`redact_row` for a case read as a row,
defections/rows.py). Staff see a record whole. The public see a copy without the
staff-only fields and the fields withheld today, and of an at-risk person only the name,
and the form and start year of each case. The constants here are also what the CSV written
by PostgreSQL blanks (defections/csv_lines.py) and what the API schema describes.
"""

import copy
from datetime import date

from defections import withholding
from defections.models import (
    Account,
    Affiliation,
    Case,
    Citation,
    Motive,
    Person,
    PersonAlias,
    Response,
    Withholding,
)
from defections.visibility import is_staff

# What the public sees of an at-risk person and their cases (API field names).
SHOWN_AT_RISK = {Case: ("id", "api_url", "person", "form", "date"),
                 Person: ("id", "api_url", "name", "cases")}
# What the public never sees, whoever the person (the flag itself would point them out).
# (A case's retraction note is public on its retraction notice only: visibility.tombstone.)
STAFF_ONLY = {Case: ("restricted_notes", "retraction_note", "retraction_note_ru", "signed_off_by"),
              Person: ("at_risk",)}


def redact(record, user):
    """The record as user may see it: itself for staff; for the public a copy without the
    staff-only fields and the fields withheld today, and, of an at-risk person, without
    anything but the name, the form and the start year (the date becomes that whole year;
    relations come back empty).

    The copy's `shown` names the (API) fields it keeps, None for all but STAFF_ONLY; its
    `redacted` says whether details were withheld for the person's safety, its `withheld`
    which fields are withheld for now. Templates and serializers show the copy.
    """
    if is_staff(user) or type(record) not in STAFF_ONLY:
        return record
    view = copy.copy(record)
    view.shown, view.redacted, view.withheld = None, False, []
    # Why and until when a field is withheld is for staff: the copy has no withholdings.
    view._prefetched_objects_cache = {**getattr(record, "_prefetched_objects_cache", {}),
                                      "withholdings": Withholding.objects.none()}
    if isinstance(record, Case):
        view.restricted_notes = view.retraction_note = view.retraction_note_ru = ""
        view.signed_off_by = None
        person = copy.copy(record.person)
        if hasattr(record, "person_withheld_now"):
            person.withheld_now = record.person_withheld_now
        view.person = redact(person, None)
    if (record.person if isinstance(record, Case) else record).at_risk:
        _withhold_case(view) if isinstance(record, Case) else _withhold_person(view)
        # A field withheld today stays empty here too (a withheld date shows no year), as the
        # public queryset orders and counts it (`shown_start`: the withholding first).
        _blank(view, withheld_fields(record))
        view.shown, view.redacted = SHOWN_AT_RISK[type(record)], True
    else:
        view.withheld = withheld_fields(record)
        _blank(view, view.withheld)
    return view


def withheld_fields(record) -> list[str]:
    """The fields of record withheld from the public today: as its public queryset
    annotated them, else asked."""
    fields = getattr(record, "withheld_now", None)
    if fields is None:
        column = "case" if isinstance(record, Case) else "person"
        fields = Withholding.objects.active().filter(**{column: record.pk}).values_list("field", flat=True)
    return sorted(fields)


def _blank(record, fields):
    """Empty the attributes of the withheld fields (a date with its precision and period)."""
    for name, value in blanks(type(record), fields).items():
        setattr(record, name, value)


def blanks(model, fields) -> dict:
    """{attribute: its empty value} for the withheld fields of a model's record."""
    spec = withholding.CASE_FIELDS if model is Case else withholding.PERSON_FIELDS
    empty = {}
    for field in fields:
        for name in spec.get(field, ()):
            model_field = model._meta.get_field(name)
            if getattr(model_field, "multiple", False):
                empty[name] = []
            elif model_field.is_relation or model_field.null:
                empty[name] = None
            else:
                empty[name] = ""
    return empty


# What the public is not shown of an at-risk person's case and of the person: emptied.
AT_RISK_CASE_BLANK = ("role", "role_ru", "place", "summary", "summary_ru", "narrative", "narrative_ru",
                      "country_from", "destination_country", "visibility", "verification", "classification")
AT_RISK_PERSON_BLANK = ("native_name", "bio", "bio_ru", "wikidata_qid", "birth_precision", "death_precision")


def _withhold_case(case):
    year = case.date_start.year if case.date_start else None
    case.set_date(*((date(year, 1, 1), date(year, 12, 31), "year") if year else (None, None, "")))
    for name in AT_RISK_CASE_BLANK:
        setattr(case, name, "")
    case.agency = case.period = case.created_by = case.updated_by = None
    case.created_at = case.updated_at = None
    case._prefetched_objects_cache = {"motives": Motive.objects.none(),
                                      "responses": Response.objects.none(),
                                      "accounts": Account.objects.none(),
                                      "citations": Citation.objects.none()}
    case.person = redact(case.person, None)


def _withhold_person(person):
    for name in AT_RISK_PERSON_BLANK:
        setattr(person, name, "")
    person.birth_start = person.birth_end = person.death_start = person.death_end = None
    person.citizenship = []
    person.created_at = person.updated_at = None
    kept = getattr(person, "_prefetched_objects_cache", {})
    person._prefetched_objects_cache = {
        "aliases": PersonAlias.objects.none(), "affiliations": Affiliation.objects.none(),
        **({"cases": kept["cases"]} if "cases" in kept else {})}


def strip(record, data: dict) -> dict:
    """data (the serialized record) without what redact() withheld from the record: a
    withheld field is null (a date's parts and period too), and `withheld` names it."""
    shown = getattr(record, "shown", ...)
    if shown is ...:  # not redacted: a staff reader, or no rule for this kind of record
        return data
    return strip_data(type(record), data, shown, record.withheld)


def strip_data(model, data: dict, shown, withheld) -> dict:
    """strip() for a record redacted as a row (redact_row): its `shown` and `withheld`."""
    if shown is None:
        hidden = STAFF_ONLY[model]
        data = {key: value for key, value in data.items() if key not in hidden}
        spec = withholding.CASE_FIELDS if model is Case else withholding.PERSON_FIELDS
        for field in withheld:
            for key in (field, *spec[field]):
                if key in data:
                    data[key] = None
        if "withheld" in data:
            data["withheld"] = [{"field": field} for field in withheld]
        return data
    return {key: value for key, value in data.items() if key in shown}


def redact_row(row: dict, user) -> dict:
    """redact() for a case read as a row (defections/rows.py): attributes as keys, the
    person, agency and period as dicts, relations as lists. Marks the row as redact()
    marks its copy (`shown`, `redacted`, `withheld`), for strip_data."""
    if is_staff(user):
        return row
    row.update(shown=None, redacted=False, withheld=[], withholdings=[], restricted_notes="",
               retraction_note="", retraction_note_ru="", signed_off_by=None)
    person = row["person"]
    if person["at_risk"]:
        year = row["date_start"].year if row["date_start"] else None
        whole = (date(year, 1, 1), date(year, 12, 31), "year") if year else (None, None, "")
        row.update(zip(("date_start", "date_end", "date_precision"), whole, strict=True))
        row.update(agency=None, period=None, updated_at=None, motives=[], responses=[], accounts=[],
                   citations=[], shown=SHOWN_AT_RISK[Case], redacted=True)
        row.update(dict.fromkeys(AT_RISK_CASE_BLANK, ""))
        person.update(dict.fromkeys(AT_RISK_PERSON_BLANK, ""))
        row.update(blanks(Case, row["withheld_now"]))  # as redact(): the withholding first
        return row
    row["withheld"] = sorted(row["withheld_now"])
    row.update(blanks(Case, row["withheld"]))
    person.update({name: empty for name, empty in blanks(Person, person["withheld_now"]).items()
                   if name in person})
    return row


def hidden_columns(model, user) -> set[str]:
    """The fields of model never shown to user (a CSV leaves their columns out)."""
    return set() if is_staff(user) else set(STAFF_ONLY.get(model, ()))
