"""Cases as CSV: the export writes what the import reads (docs/readme-admin.md lists the columns).

The import is all or nothing: every row is checked (and, in a dry run, written inside a
transaction that is rolled back), and when any row fails nothing is written. Rows follow
the same permission door (defections/permissions.py) and sourcing rules
(defections/workflow.py) as the admin.
"""

import copy
import csv
import io
import json
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext

from defections import choices
from defections.csv_safe import cell, uncell
from defections.duplicates import similar_cases, similar_people
from defections.ids import parse_id
from defections.models import Agency, Case, Citation, Motive, Person, Source
from defections.permissions import authorize_save
from defections.workflow import check_sources

COLUMNS = [
    "id", "person", "agency", "role", "role_ru", "form", "date", "country_from", "destination_country",
    "place", "motives", "visibility", "verification", "classification", "status", "summary",
    "summary_ru", "narrative", "narrative_ru", "citations",
]
REQUIRED = {"person", "form"}
# Read by the import, never exported: `true` saves a row that may duplicate a case (the API's flag).
OPTIONS = ["save_anyway"]
# Plain columns copied to the case as they are; blank means the model's default.
PLAIN = ["role", "role_ru", "form", "country_from", "destination_country", "place", "visibility",
         "verification", "classification", "status", "summary", "summary_ru", "narrative", "narrative_ru"]
LIST_SEPARATOR = ";"       # between motive slugs typed by hand (the export writes a JSON array)
LOCATOR_SEPARATOR = " | "  # between a citation's URL and its locator; one citation per line


# --- export -------------------------------------------------------------------------------


def citations_cell(case) -> str:
    """Every citation, whole: a JSON list of {source (its URL, or its id when it has none),
    locator, claim, quote}, empty parts left out."""
    citations = [{"source": c.source.url or c.source_id, "locator": c.locator, "claim": c.claim,
                  "quote": c.quote} for c in case.citations.all()]
    if not citations:
        return ""
    return json.dumps([{key: part for key, part in c.items() if part != ""} for c in citations],
                      ensure_ascii=False)


def case_row(case) -> dict:
    return {
        "id": case.pk,
        "person": case.person.name,
        "agency": case.agency.slug if case.agency else "",
        "role": case.role,
        "role_ru": case.role_ru,
        "form": case.form,
        "date": case.date,
        "country_from": case.country_from.code or "",
        "destination_country": case.destination_country.code or "",
        "place": case.place,
        "motives": json.dumps([m.slug for m in case.motives.all()]) if case.motives.all() else "",
        "visibility": case.visibility,
        "verification": case.verification,
        "classification": case.classification,
        "status": case.status,
        "summary": case.summary,
        "summary_ru": case.summary_ru,
        "narrative": case.narrative,
        "narrative_ru": case.narrative_ru,
        "citations": citations_cell(case),
    }


@translation.override("en")
def export_cases(queryset, out) -> None:
    """The same file whoever exports it: dates as written in English (the import reads both
    languages), the Russian texts in their own columns."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for case in queryset.select_related("person", "agency").prefetch_related(
            "motives", "citations__source"):
        writer.writerow({name: cell(str(text)) for name, text in case_row(case).items()})


# --- import -------------------------------------------------------------------------------


@dataclass
class RowResult:
    line: int
    action: str = ""        # "create" or "update"
    case: str = ""
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # about the file as a whole
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(1 for row in self.rows if row.errors)


def messages_of(error) -> list[str]:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [f"{name}: {msg}" if name != "__all__" else msg
                    for name, msgs in error.message_dict.items() for msg in msgs]
        return list(error.messages)
    return [str(error)]


def read_rows(data: bytes | str):
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    return header, reader


def import_cases(data: bytes | str, user, *, dry_run: bool) -> ImportReport:
    """Check every row; write them all only when none fails and this is not a dry run."""
    report = ImportReport()
    try:
        header, reader = read_rows(data)
        missing, unknown = REQUIRED - set(header), set(header) - set(COLUMNS + OPTIONS)
        if missing:
            report.errors.append(gettext("Missing columns: %(columns)s.")
                                 % {"columns": ", ".join(sorted(missing))})
        if unknown:
            report.errors.append(gettext("Unknown columns: %(columns)s.")
                                 % {"columns": ", ".join(sorted(unknown))})
        if report.errors:
            return report
        with transaction.atomic():
            for row in reader:
                result = RowResult(line=reader.line_num)
                report.rows.append(result)
                savepoint = transaction.savepoint()
                try:
                    import_row(row, user, result)
                    transaction.savepoint_commit(savepoint)
                except (ValidationError, PermissionDenied, DatabaseError, ValueError) as error:
                    transaction.savepoint_rollback(savepoint)
                    result.errors.extend(messages_of(error))
            if not report.rows:
                report.errors.append(gettext("The file has no rows."))
            if dry_run or not report.ok:
                transaction.set_rollback(True)
            else:
                report.written = True
    except (UnicodeDecodeError, csv.Error) as error:
        report.errors.append(gettext("Not a readable UTF-8 CSV file: %(error)s.") % {"error": error})
    return report


def value(row, name) -> str:
    """A cell as written by the export: without the ' that keeps a formula from running."""
    return uncell(row.get(name) or "").strip()


def find_person(name: str, result: RowResult, user) -> Person:
    """The person with this name, native name or alias; a new person when there is none."""
    matches = list(Person.objects.filter(
        Q(name__iexact=name) | Q(native_name__iexact=name) | Q(aliases__name__iexact=name)
    ).distinct()[:2])
    if len(matches) > 1:
        raise ValidationError(gettext("“%(name)s” names more than one person: rename one, or add the "
                                      "case in the admin.") % {"name": name})
    if matches:
        return matches[0]
    if close := similar_people([name]):  # the admin form's question: a decision, not a new person
        raise ValidationError(gettext(
            "person: “%(name)s” is not a known name, but close to %(people)s. Write their exact "
            "name (or add it as an alias), or add the new person in the admin first.") % {
            "name": name, "people": ", ".join(f"{p.name} (#{p.pk})" for p in close)})
    person = Person(name=name)
    authorize_save(user, person)
    person.full_clean()
    person.save()
    result.notes.append(gettext("new person “%(name)s”") % {"name": name})
    return person


def find_agency(text: str) -> Agency | None:
    if not text:
        return None
    matches = list(Agency.objects.filter(
        Q(slug__iexact=text) | Q(name__iexact=text) | Q(acronym__iexact=text))[:2])
    if len(matches) != 1:
        problem = (gettext("agency: “%(text)s” is not a known agency (slug, name or acronym).")
                   if not matches else
                   gettext("agency: “%(text)s” matches more than one agency: use its slug."))
        raise ValidationError(problem % {"text": text})
    return matches[0]


def find_motives(text: str) -> list[Motive]:
    """The export's JSON array of slugs, or (as typed by hand) slugs separated by `;`."""
    if text.lstrip().startswith("["):
        try:
            given = json.loads(text)
        except ValueError as error:
            raise ValidationError(gettext("motives: not a JSON array (%(error)s).")
                                  % {"error": error}) from error
        if not isinstance(given, list) or not all(isinstance(slug, str) for slug in given):
            raise ValidationError(gettext(
                "motives: a JSON array of motive slugs, e.g. [\"corruption-probe\"]."))
    else:
        given = text.split(LIST_SEPARATOR)
    wanted = [part.strip() for part in given if part.strip()]
    found = {m.slug: m for m in Motive.objects.filter(slug__in=wanted)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise ValidationError(gettext("motives: unknown %(slugs)s (use the motive slugs).")
                              % {"slugs": ", ".join(unknown)})
    return [found[slug] for slug in wanted]


@dataclass
class Cited:
    """A citation as a row gives it; claim and quote None when the row does not say."""

    source: Source
    locator: str
    claim: str | None = None
    quote: str | None = None


def read_citations(text: str) -> list[Cited]:
    """The export's JSON list, or (as typed by hand) one citation per line: the source's URL,
    optionally “ | locator”."""
    if text.lstrip().startswith("["):
        try:
            given = json.loads(text)
        except ValueError as error:
            raise ValidationError(gettext("citations: not a JSON list (%(error)s).")
                                  % {"error": error}) from error
    else:
        given = []
        for line in text.splitlines():
            if line.strip():
                url, _, locator = line.partition(LOCATOR_SEPARATOR.strip())
                given.append({"source": url.strip(), "locator": locator.strip()})
    citations, problems = [], []
    for n, item in enumerate(given, 1):
        if not isinstance(item, dict) or not isinstance(item.get("source"), str | int):
            problems.append(gettext("citation %(n)s needs a source (its URL or id)") % {"n": n})
            continue
        ref = item["source"]
        source = (Source.objects.filter(pk=ref).first() if isinstance(ref, int) and 0 < ref < 2**63
                  else Source.objects.with_url(ref).first() if isinstance(ref, str) and ref else None)
        given_text = {key: None if item.get(key) is None else str(item[key])
                      for key in ("locator", "claim", "quote")}
        cited = Cited(source, (given_text["locator"] or "").strip(), given_text["claim"], given_text["quote"])
        if source is None:
            missing = (gettext("no source has the id %(ref)s (add the source first)") if isinstance(ref, int)
                       else gettext("no source has the URL %(ref)s (add the source first)"))
            problems.append(missing % {"ref": ref})
        elif cited.claim is not None and cited.claim not in choices.Claim.values:
            problems.append(gettext("citation %(n)s: “%(claim)s” is not a claim (%(claims)s)")
                            % {"n": n, "claim": cited.claim, "claims": ", ".join(choices.Claim.values)})
        elif len(cited.locator) > 100 or len(cited.quote or "") > 1000:
            problems.append(gettext("citation %(n)s: a locator has at most 100 characters, a quote 1000")
                            % {"n": n})
        else:
            citations.append(cited)
    if problems:
        raise ValidationError(gettext("citations: %(problems)s.") % {"problems": "; ".join(problems)})
    return citations


def import_row(row: dict, user, result: RowResult) -> None:
    errors = []
    case_id = value(row, "id")
    if case_id:
        if parse_id(case_id) is None or not (case := Case.objects.select_for_update()
                                             .filter(pk=parse_id(case_id)).first()):
            raise ValidationError(gettext("id: there is no case %(id)s.") % {"id": case_id})
        result.action = "update"
        before = copy.copy(case)
        authorize_save(user, before, before=before)  # may this user change it at all?
    else:
        case, before = Case(), None
        result.action = "create"

    name = value(row, "person")
    if not name:
        raise ValidationError(gettext("person: a case needs a person."))
    if "agency" in row:
        try:
            case.agency = find_agency(value(row, "agency"))
        except ValidationError as error:
            errors.extend(error.messages)
    if "date" in row:
        try:
            case.date = value(row, "date")
        except ValidationError as error:
            errors.extend(f"date: {message}" for message in error.messages)
    motives = citations = None
    try:
        motives = find_motives(value(row, "motives")) if "motives" in row else None
    except ValidationError as error:
        errors.extend(error.messages)
    try:
        citations = read_citations(uncell(row["citations"] or "")) if "citations" in row else None
    except ValidationError as error:
        errors.extend(error.messages)

    defaults = {f.name: f.get_default() for f in Case._meta.fields}
    for name_ in PLAIN:
        if name_ in row:
            setattr(case, name_, value(row, name_) or defaults[name_])
    case.person = find_person(name, result, user)
    authorize_save(user, case, before=before)
    try:
        errors.extend(duplicate_of(case, before, save_anyway=flag(row, "save_anyway")))
    except ValidationError as error:
        errors.extend(error.messages)
    source_ids = ([cited.source.pk for cited in citations] if citations is not None
                  else list(case.citations.values_list("source_id", flat=True)) if case.pk else [])
    try:
        check_sources(case.status, case.verification, source_ids)
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)

    case.full_clean()
    if case.pk is None:
        case.created_by = user
    case.updated_by = user
    case.save()
    result.case = str(case)
    if motives is not None:
        case.motives.set(motives)
    if citations is not None:
        sync_citations(case, citations)


def flag(row, name) -> bool:
    """A true/false cell; blank is false."""
    text = value(row, name).lower()
    if text not in ("", "true", "false"):
        raise ValidationError(gettext("%(column)s: write true or false.") % {"column": name})
    return text == "true"


def duplicate_of(case, before, *, save_anyway: bool) -> list[str]:
    """The admin form's and the API's question of a new case, or one moved to another
    person, form or date (duplicates.similar_cases): an error naming the case it may be."""
    names = ("person_id", "form", "date_start", "date_end")
    if save_anyway or (before is not None and all(getattr(case, n) == getattr(before, n) for n in names)):
        return []
    if found := similar_cases(case):
        return [gettext("Possible duplicate of %(cases)s: the same person, form and date. If this is "
                        "another act, write true in the save_anyway column.")
                % {"cases": ", ".join(f"#{c.pk} ({c})" for c in found)}]
    return []


def sync_citations(case, citations: list[Cited]) -> None:
    """Keep the citations listed (by source and locator), with the claim and quote given;
    add the new ones; delete the others."""
    unmatched = list(case.citations.all())
    keep = []
    for cited in citations:
        key = (cited.source.pk, cited.locator)
        citation = next((c for c in unmatched if (c.source_id, c.locator) == key), None)
        if citation is None:
            citation = Citation(case=case, source=cited.source, locator=cited.locator)
        else:
            unmatched.remove(citation)
        changed = citation.pk is None
        for name in ("claim", "quote"):
            if (given := getattr(cited, name)) is not None and getattr(citation, name) != given:
                setattr(citation, name, given)
                changed = True
        if changed:
            citation.full_clean()
            citation.save()
        keep.append(citation.pk)
    case.citations.exclude(pk__in=keep).delete()
