"""CSV import and export of cases: round trip, dry run, all or nothing, row errors, the admin views."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from defections import csv_io, csv_safe
from defections.models import Case, Citation, Person
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory
from tests.test_admin_support import make_user

pytestmark = pytest.mark.django_db


def to_csv(rows, columns=csv_io.COLUMNS):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


@pytest.fixture
def editor():
    return make_user("ed", "Editor")


@pytest.fixture
def world():
    return {
        "agency": AgencyFactory(slug="fsb", acronym="FSB"),
        "source": SourceFactory(url="https://example.org/a"),
        "source2": SourceFactory(url="https://example.org/b"),
        "motive": MotiveFactory(slug="opposition-to-the-war"),
    }


def good_row(**fields):
    row = {"person": "Gleb Karakulov", "agency": "fsb", "role": "captain", "form": "geographic",
           "date": "April 2022", "destination_country": "TR", "motives": "opposition-to-the-war",
           "country_from": "RU", "verification": "reported", "classification": "certain",
           "status": "draft", "summary": "Left and spoke out.",
           "citations": "https://example.org/a | para. 3"}
    row.update(fields)
    return row


def test_import_writes_cases_people_and_citations(editor, world):
    report = csv_io.import_cases(to_csv([good_row()]), editor, dry_run=False)
    assert report.ok and report.written, report
    case = Case.objects.get()
    assert (case.person.name, case.agency, case.date, case.destination_country.code) == (
        "Gleb Karakulov", world["agency"], "April 2022", "TR")
    assert [m.slug for m in case.motives.all()] == ["opposition-to-the-war"]
    assert [(c.source, c.locator) for c in case.citations.all()] == [(world["source"], "para. 3")]
    assert case.created_by == editor
    assert report.rows[0].notes == ["new person “Gleb Karakulov”"]


def test_a_dry_run_writes_nothing(editor, world):
    report = csv_io.import_cases(to_csv([good_row()]), editor, dry_run=True)
    assert report.ok and not report.written
    assert not Case.objects.exists() and not Person.objects.exists()


def test_one_bad_row_writes_nothing_and_says_which(editor, world):
    rows = [
        good_row(),
        good_row(person="Second Person", date="Marchember 2026", agency="nkvd-x"),
        good_row(person="Third Person", citations="https://unknown.example/x"),
        good_row(person="Fourth Person", status="published", citations=""),
    ]
    report = csv_io.import_cases(to_csv(rows), editor, dry_run=False)
    assert not report.ok and not report.written
    assert Case.objects.count() == 0 and Person.objects.count() == 0
    errors = {row.line: " ".join(row.errors) for row in report.rows}
    assert errors[2] == ""
    assert "date:" in errors[3] and "agency: “nkvd-x”" in errors[3]
    assert "no source has the URL https://unknown.example/x" in errors[4]
    assert "at least one source" in errors[5]


def test_a_published_row_chooses_country_verification_and_classification(editor, world):
    """Blank is "not chosen", never a default: a draft keeps them blank; publishing is refused
    naming each field."""
    unchosen = {"country_from": "", "verification": "", "classification": ""}
    report = csv_io.import_cases(to_csv([good_row(status="published", **unchosen)]), editor,
                                 dry_run=False)
    assert not report.written and not Case.objects.exists()
    errors = " ".join(report.rows[0].errors)
    assert all(f"{field}: " in errors for field in unchosen), errors
    report = csv_io.import_cases(to_csv([good_row(**unchosen)]), editor, dry_run=False)
    assert report.written, report
    case = Case.objects.get()
    assert (case.country_from, case.verification, case.classification) == ("", "", "")


def test_a_close_name_is_a_decision_not_a_new_person(editor, world):
    """The import asks the admin form's duplicate question (forms.similar_people): a close
    name is reported, not made into a second person; an exact name or alias is that person."""
    skripal = PersonFactory(name="Sergei Skripal")
    report = csv_io.import_cases(to_csv([good_row(person="Sergej Skripal")]), editor, dry_run=False)
    assert not report.written and Person.objects.count() == 1
    errors = " ".join(report.rows[0].errors)
    assert "Sergej Skripal" in errors and "Sergei Skripal" in errors and f"#{skripal.pk}" in errors
    report = csv_io.import_cases(to_csv([good_row(person="sergei skripal")]), editor, dry_run=False)
    assert report.written and Case.objects.get().person == skripal


def test_a_case_already_entered_is_a_row_error_naming_it_until_save_anyway(editor, world):
    """The admin form's and the API's duplicate question: a row giving a case of the same
    person in the same form at an overlapping date names that case and writes nothing
    (a second row repeating the first too); `save_anyway` = true saves it; a row that
    moves nothing (the export read back) asks nothing."""
    existing = CaseFactory(person=PersonFactory(name="Gleb Karakulov"), form="geographic", date="2022")
    report = csv_io.import_cases(to_csv([good_row()]), editor, dry_run=False)
    assert not report.written and Case.objects.count() == 1
    errors = " ".join(report.rows[0].errors)
    assert f"#{existing.pk} ({existing})" in errors and "save_anyway" in errors, errors
    columns = [*csv_io.COLUMNS, "save_anyway"]
    report = csv_io.import_cases(to_csv([good_row(save_anyway="yes")], columns), editor, dry_run=False)
    assert not report.written and "save_anyway: write true or false." in report.rows[0].errors
    twice = [good_row(save_anyway="TRUE"), good_row(save_anyway="")]
    report = csv_io.import_cases(to_csv(twice, columns), editor, dry_run=False)
    assert not report.written and not report.rows[0].errors and report.rows[1].errors
    report = csv_io.import_cases(to_csv([good_row(save_anyway="true")], columns), editor, dry_run=False)
    assert report.written, report
    assert Case.objects.count() == 2
    edit = {"id": existing.pk, "person": "Gleb Karakulov", "form": "geographic", "summary": "Edited."}
    report = csv_io.import_cases(to_csv([edit], list(edit)), editor, dry_run=False)
    assert report.written, report


def test_a_citation_finds_its_source_however_the_url_is_written(editor, world):
    row = good_row(citations="http://www.Example.org/a/?utm_source=feed | para. 3")
    report = csv_io.import_cases(to_csv([row]), editor, dry_run=False)
    assert report.written, report
    assert [c.source for c in Case.objects.get().citations.all()] == [world["source"]]


def test_a_researcher_cannot_publish_by_import(world):
    researcher = make_user("rita", "Researcher")
    report = csv_io.import_cases(to_csv([good_row(status="published")]), researcher, dry_run=False)
    assert not report.written and "Only an editor" in report.rows[0].errors[0]


def test_the_import_reads_what_the_export_writes(editor, world):
    case = CaseFactory(person=PersonFactory(name="Ilya Remeslo"), agency=world["agency"],
                       date="March 2026", destination_country="LT", status="published",
                       sourced=False)
    case.motives.add(world["motive"])
    Citation.objects.create(case=case, source=world["source"], locator="para. 1")
    Citation.objects.create(case=case, source=world["source2"])
    out = io.StringIO()
    csv_io.export_cases(Case.objects.all(), out)
    exported = out.getvalue()

    report = csv_io.import_cases(exported, editor, dry_run=False)
    assert report.ok and [r.action for r in report.rows] == ["update"], report
    assert Case.objects.count() == 1 and Citation.objects.count() == 2
    again = io.StringIO()
    csv_io.export_cases(Case.objects.all(), again)
    assert again.getvalue() == exported


def test_file_level_errors():
    user = make_user("ed", "Editor")
    assert csv_io.import_cases("name,colour\nx,red\n", user, dry_run=True).errors == [
        "Missing columns: form, person.", "Unknown columns: colour, name."]
    assert "not a readable" in csv_io.import_cases(b"\xff\xfe\x00", user, dry_run=True).errors[0].lower()
    assert csv_io.import_cases("person,form\n", user, dry_run=True).errors == ["The file has no rows."]


def test_admin_export_follows_the_changelist_filters(client, editor):
    client.force_login(editor)
    CaseFactory(form="final", person=PersonFactory(name="Final One"))
    CaseFactory(form="geographic", person=PersonFactory(name="Geographic One"))
    response = client.get(reverse("admin:defections_case_export"), {"form": "final"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["person"] for r in rows] == ["Final One"]


def test_admin_import_view_dry_run_then_import(client, editor, world):
    client.force_login(editor)
    url = reverse("admin:defections_case_import")

    def upload(dry_run):
        data = {"file": SimpleUploadedFile("cases.csv", to_csv([good_row()]).encode(), "text/csv")}
        if dry_run:
            data["dry_run"] = "on"
        return client.post(url, data)

    preview = upload(dry_run=True)
    assert preview.status_code == 200 and "Dry run: all 1 row(s) are valid" in preview.content.decode()
    assert not Case.objects.exists()
    done = upload(dry_run=False)
    assert "All 1 row(s) written" in done.content.decode()
    assert Case.objects.count() == 1


def test_admin_import_needs_the_add_permission(client):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("admin:defections_case_import")).status_code == 403


def test_the_documented_example_imports(seeded):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    report = csv_io.import_cases(example, make_user("ed", "Editor"), dry_run=True)
    assert report.ok, (report.errors, [row.errors for row in report.rows])


# --- formula cells (CSV injection) -----------------------------------------------------------
# A spreadsheet runs a cell that starts with = + - @ (or tab, CR) as a formula: every CSV we
# write prefixes such a cell with ' (OWASP's rule), and the import takes it off again.

FORMULAS = {"role": "=HYPERLINK(\"https://evil.example\",\"click\")", "summary": "+1+2",
            "place": "@SUM(A1:A9)", "narrative": "-2\nsecond line"}


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("'=1", "''=1"),            # already quoted by someone: quoted once more, so the import is exact
    ("'abc", "'abc"), ("a=1", "a=1"), ("1936–1938", "1936–1938"), ("", ""), ("'", "'"),
])
def test_formula_cells_are_quoted_and_unquoted(text, written):
    assert csv_safe.cell(text) == written
    assert csv_safe.uncell(written) == text


def formula_case(world):
    case = CaseFactory(person=PersonFactory(name="=Person"), agency=world["agency"], sourced=False,
                       **FORMULAS)
    Citation.objects.create(case=case, source=world["source"], locator="-p. 3")
    return case


def test_the_admin_export_quotes_formulas_and_the_import_reads_them_back(editor, world):
    case = formula_case(world)
    out = io.StringIO()
    csv_io.export_cases(Case.objects.all(), out)
    exported = out.getvalue()
    row = next(csv.DictReader(io.StringIO(exported)))
    for name, text in FORMULAS.items():
        assert row[name] == "'" + text, name
    assert row["person"] == "'=Person"

    report = csv_io.import_cases(exported, editor, dry_run=False)
    assert report.ok and [r.action for r in report.rows] == ["update"], report
    case.refresh_from_db()
    assert {name: getattr(case, name) for name in FORMULAS} == FORMULAS
    assert case.person.name == "=Person"
    assert case.citations.get().locator == "-p. 3"
    again = io.StringIO()
    csv_io.export_cases(Case.objects.all(), again)
    assert again.getvalue() == exported


def no_formula_cells(rows):
    cells = [cell for row in rows for cell in row]
    assert cells, "no rows"
    return [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_api_csv_quotes_formulas(client, world):
    case = formula_case(world)
    for url in ["/api/v1/cases/?format=csv", f"/api/v1/cases/{case.pk}/?format=csv",
                "/api/v1/people/?format=csv", f"/api/v1/people/{case.person_id}/?format=csv"]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert not no_formula_cells(rows), (url, no_formula_cells(rows))
        assert any(cell.startswith("'=") for row in rows for cell in row), url


def test_the_dataset_csv_quotes_formulas(world, tmp_path):
    formula_case(world)
    call_command("export_dataset", "--output", str(tmp_path), "--version", "t",
                 "--base-url", "http://testserver", stdout=io.StringIO())
    for name in ["cases.csv", "people.csv"]:
        with (tmp_path / name).open(newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
        assert not no_formula_cells(rows), (name, no_formula_cells(rows))
    assert "'+1+2" in (tmp_path / "cases.csv").read_text(encoding="utf-8")


def export_text(queryset) -> str:
    out = io.StringIO()
    csv_io.export_cases(queryset, out)
    return out.getvalue()


def test_a_round_trip_keeps_every_citation_whole(editor, world):
    """Issue 12: the export dropped quotes, claims and citations of sources without a URL, so
    importing the export back removed them."""
    case = CaseFactory(status="draft")
    unaddressed = SourceFactory(url="", title="A book, without an address")
    Citation.objects.create(case=case, source=world["source"], locator="p. 3", claim="date",
                            quote='He said: "I left | for good",\nthen, a new line; and a comma.')
    Citation.objects.create(case=case, source=unaddressed, locator="ch. 2", claim="motive")
    before = [(c.source_id, c.locator, c.claim, c.quote) for c in case.citations.all()]
    text = export_text(Case.objects.filter(pk=case.pk))
    cell = next(csv.DictReader(io.StringIO(text)))["citations"]
    assert "I left | for good" in cell and '"claim": "motive"' in cell
    report = csv_io.import_cases(text, editor, dry_run=False)
    assert report.ok and report.written, report
    assert [(c.source_id, c.locator, c.claim, c.quote) for c in case.citations.all()] == before
    # the same file in a database without the rows: the citations come back whole
    Case.objects.filter(pk=case.pk).delete()
    moved = text.replace(f"\r\n{case.pk},", "\r\n,", 1)
    assert csv_io.import_cases(moved, editor, dry_run=False).ok
    again = Case.objects.get(person=case.person)
    assert [(c.source_id, c.locator, c.claim, c.quote) for c in again.citations.all()] == before


def test_a_hand_typed_citation_line_keeps_the_quote_and_claim_it_does_not_mention(editor, world):
    case = CaseFactory(status="draft")
    Citation.objects.create(case=case, source=world["source"], locator="para. 3", claim="form",
                            quote="Kept.")
    row = good_row(id=str(case.pk), person=case.person.name,
                   citations="https://example.org/a | para. 3\nhttps://example.org/b")
    assert csv_io.import_cases(to_csv([row]), editor, dry_run=False).ok
    assert [(c.source, c.locator, c.claim, c.quote) for c in case.citations.all()] == [
        (world["source"], "para. 3", "form", "Kept."), (world["source2"], "", "general", "")]


@pytest.mark.parametrize("cell, error", [
    ('[{"source": "https://example.org/a", "claim": "rumour"}]', "“rumour” is not a claim"),
    ('[{"source": 999999}]', "no source has the id 999999"),
    ('[{"locator": "p. 1"}]', "citation 1 needs a source"),
    ('[{"source": "https://example.org/a", "quote": "' + "x" * 1001 + '"}]', "a quote 1000"),
    ("[not json", "not a JSON list"),
])
def test_a_bad_citation_cell_is_a_row_error_and_writes_nothing(editor, world, cell, error):
    report = csv_io.import_cases(to_csv([good_row(citations=cell)]), editor, dry_run=False)
    assert not report.written and any(error in message for message in report.rows[0].errors), report
    assert not Case.objects.exists()


def test_motives_are_a_json_array_and_the_hand_typed_form_still_reads(editor, world):
    """Several values in one cell split unambiguously: the export writes a JSON array (the
    API's and the release's form); `a; b` typed by hand is read too."""
    second = MotiveFactory(slug="second-motive")
    case = CaseFactory(status="draft")
    case.motives.add(world["motive"], second)
    text = export_text(Case.objects.filter(pk=case.pk))
    cell = next(csv.DictReader(io.StringIO(text)))["motives"]
    assert json.loads(cell) == [world["motive"].slug, "second-motive"]
    for motives in [cell, f"{world['motive'].slug}; second-motive"]:
        case.motives.clear()
        row = good_row(id=str(case.pk), person=case.person.name, motives=motives)
        assert csv_io.import_cases(to_csv([row]), editor, dry_run=False).ok
        assert {m.slug for m in case.motives.all()} == {world["motive"].slug, "second-motive"}
    for bad, error in [('["x"', "not a JSON array"), ('[1, 2]', "a JSON array of motive slugs"),
                       ('["no-such-motive"]', "unknown no-such-motive")]:
        report = csv_io.import_cases(to_csv([good_row(motives=bad)]), editor, dry_run=False)
        assert any(error in message for message in report.rows[0].errors), report


def test_the_russian_texts_go_out_and_come_back_beside_the_english(editor, world):
    row = good_row(summary_ru="Ушёл и выступил публично.", narrative_ru="Подробности.")
    report = csv_io.import_cases(to_csv([row]), editor, dry_run=False)
    assert report.ok and report.written, report
    case = Case.objects.get()
    assert (case.summary, case.summary_ru, case.narrative_ru) == (
        "Left and spoke out.", "Ушёл и выступил публично.", "Подробности.")
    out = io.StringIO()
    with translation.override("ru"):  # from /ru/admin/: the same file
        csv_io.export_cases(Case.objects.all(), out)
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert exported[0]["date"] == "April 2022"
    assert exported[0]["summary"] == "Left and spoke out."
    assert exported[0]["summary_ru"] == "Ушёл и выступил публично."
    assert exported[0]["narrative_ru"] == "Подробности."
    # a file written before the Russian columns existed leaves them as they are
    old = [c for c in csv_io.COLUMNS if not c.endswith("_ru")]
    again = {**good_row(summary="Changed."), "id": case.pk}
    report = csv_io.import_cases(to_csv([again], columns=old), editor, dry_run=False)
    assert report.ok, report
    case.refresh_from_db()
    assert (case.summary, case.summary_ru) == ("Changed.", "Ушёл и выступил публично.")


def test_import_errors_read_in_russian(editor, world):
    with translation.override("ru"):
        report = csv_io.import_cases(to_csv([good_row(agency="no-such-agency")]), editor, dry_run=True)
    assert not report.ok
    message = report.rows[0].errors[0]
    assert "no-such-agency" in message and "is not a known agency" not in message
