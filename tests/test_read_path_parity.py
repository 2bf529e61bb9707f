"""The API's lists and exports read cases as plain rows (defections/rows.py, shaped by
defections/api/rows.py); a case's own page reads it as a model instance through its
serializer. The two must never drift: for every case of the fixtures and of a generated
database, for every reader (anonymous, researcher, editor) and every language (en, ru,
all, and none: the CSV), both paths give the same bytes, with drafts, retracted cases,
at-risk people, withheld fields (in force and lapsed) among them. The case CSV is written by
PostgreSQL (defections/csv_lines.py): its bytes are compared with the rows path's too."""

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from defections import csv_lines, json_lines, visibility
from defections.api.renderers import Echo, columns_of, row_of
from defections.api.rows import shape
from defections.api.serializers import CaseSerializer
from defections.api.views import CSV_LINES_CHUNK, CaseViewSet
from defections.dates import format_partial_date, parse_partial_date
from defections.models import Account, Case, Citation, Motive, Response, Withholding
from defections.rows import case_rows
from tests.factories import CaseFactory, PersonFactory, SourceFactory
from tests.test_api_fixtures import EDITOR, RESEARCHER, all_pages, client_for, read_csv, user_with

pytest_plugins = ["tests.test_api_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = [None, "en", "ru", "all"]  # None: as the CSV reads (the columns as stored)


def readers() -> dict:
    """The three kinds of reader, made in the current database."""
    found = {}
    for name, codenames in [("researcher", RESEARCHER), ("editor", EDITOR)]:
        user = User.objects.filter(username=f"parity-{name}").first() or User.objects.create_user(
            f"parity-{name}", password="a-long-test-password")
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="defections",
                                                            codename__in=codenames))
        found[name] = User.objects.get(pk=user.pk)  # fresh: no permission cache
    return {"anonymous": AnonymousUser(), **found}


def differences(user, lang) -> list[str]:
    """Every case user sees, read both ways in lang: what differs (empty: nothing)."""
    request = Request(APIRequestFactory().get("/api/v1/cases/", HTTP_HOST="localhost"))
    request.user = user
    view = CaseViewSet(request=request, format_kwarg=None, kwargs={}, action="list")
    context = {"request": request, "view": view}
    if lang is not None:
        context.update(lang="en" if lang == "all" else lang, both=lang == "all")
    instances = list(view.get_queryset())
    serializer = CaseSerializer(context=context)
    represent = shape(CaseSerializer(context=context))
    rows = case_rows([case.pk for case in instances], user)
    problems = []
    if [row["id"] for row in rows] != [case.pk for case in instances]:
        problems.append("the rows path sees other cases than the door")
    render = JSONRenderer().render
    for case, row in zip(instances, rows, strict=False):
        old, new = render(serializer.to_representation(case)), render(represent(row))
        if old != new:
            problems.append(f"case {case.pk}, lang {lang}:\n  instances {old.decode()}\n"
                            f"  rows      {new.decode()}")
    ids = [case.pk for case in instances]
    return problems + csv_differences(user, lang, request, ids) + json_differences(user, lang, request, ids)


def json_differences(user, lang, request, ids) -> list[str]:
    """The JSON PostgreSQL writes for a page (defections/json_lines.py) against the rows
    path's, byte for byte, in lang (a list always has one: None is the CSV's)."""
    if lang is None:
        return []
    context = {"request": request, "lang": "en" if lang == "all" else lang, "both": lang == "all"}
    serializer = CaseSerializer(context=context)
    represent, render, link = shape(serializer), JSONRenderer().render, serializer.fields["api_url"]
    fields = json_lines.fields_of(CaseSerializer)
    assert fields == tuple(name for name, field in serializer.fields.items() if not field.write_only)
    assert json_lines.supported(fields)
    with translation.override("ru" if lang == "ru" else "en"):
        old = [render(represent(row)).decode() for row in case_rows(ids, user)]
        new = json_lines.case_objects(ids, user, fields, context["lang"], context["both"],
                                      link.prefix(link.view_name, request))
    problems = [] if len(old) == len(new) else [f"{len(old)} rows, {len(new)} JSON texts"]
    return problems + [f"JSON, lang {lang}:\n  rows {a}\n  json {b}" for a, b in zip(old, new, strict=False)
                       if a != b]


def csv_differences(user, lang, request, ids) -> list[str]:
    """The CSV lines PostgreSQL writes against the rows path's, in lang's date words."""
    serializer = CaseSerializer(context={"request": request})  # a CSV has no lang: columns as stored
    columns, represent, writer = columns_of(serializer), shape(serializer), csv.writer(Echo())
    link = serializer.fields["api_url"]
    with translation.override("ru" if lang == "ru" else "en"):
        old = [writer.writerow(row_of(represent(row), columns)) for row in case_rows(ids, user)]
        new = [f"{line}\r\n" for line in csv_lines.case_lines(ids, user, columns,
                                                               link.prefix(link.view_name, request))]
    problems = [] if len(old) == len(new) else [f"{len(old)} CSV rows, {len(new)} lines"]
    return problems + [f"CSV, lang {lang}:\n  rows  {a!r}\n  lines {b!r}"
                       for a, b in zip(old, new, strict=False) if a != b]


def all_differences() -> dict:
    """{reader: number of cases compared} after asserting the paths agree for every one."""
    compared = {}
    for name, user in readers().items():
        for lang in LANGUAGES:
            problems = differences(user, lang)
            assert not problems, "\n".join(problems[:5])
        compared[name] = Case.objects.visible_to(user).count()
    return compared


@pytest.fixture
def varied(secrets):
    """The seed and the leak canary's secrets, plus every kind of withholding (in force and
    lapsed), accounts, responses with citations, motives, and Russian texts."""
    guarded = CaseFactory(status="published", date="March 2020", role="Colonel", role_ru="Полковник",
                          place="Riga", narrative="Long story", narrative_ru="Долгая история",
                          destination_country="LV", summary_ru="Кратко",
                          person=PersonFactory(native_name="Тайное Имя"))
    for field in ["role", "place", "date", "country_from", "destination_country", "narrative"]:
        Withholding.objects.create(case=guarded, field=field, reason="Family still there.",
                                   reason_ru="Семья ещё там.", until=date(2099, 1, 1))
    Withholding.objects.create(person=guarded.person, field="native_name", reason="Named by no one else.")
    lapsed = CaseFactory(status="published", destination_country="GB", date="1999")
    Withholding.objects.create(case=lapsed, field="destination_country", reason="Was sensitive.",
                               until=date(2001, 1, 1))
    rich = CaseFactory(status="published", date="spring 1953", summary_ru="", role="Major",
                       narrative="A line\u2028and a paragraph\u2029apart")  # DRF escapes these two
    rich.motives.add(*Motive.objects.all()[:2])
    response = Response.objects.create(case=rich, kind="arrest", date="1954", description="Arrested",
                                       description_ru="Арестован")
    Citation.objects.create(response=response, source=SourceFactory(), locator="p. 2", quote="q")
    account = Account.objects.create(case=rich, claim="date", statement="Official version", holder="official")
    Citation.objects.create(account=account, source=SourceFactory(), locator="p. 3")
    # cells a spreadsheet would run, and cells the CSV must quote
    CaseFactory(status="published", summary='=1+1, "quoted"\nand a line', role="'@role", place="+Place\r",
                person=PersonFactory(name="-Minus Name"))
    return secrets


def test_the_rows_and_the_instances_agree_for_every_case_reader_and_language(varied):
    compared = all_differences()
    assert compared["anonymous"] < compared["researcher"] == compared["editor"]  # drafts for staff only
    assert compared["anonymous"] >= 10


def test_the_redaction_happens_on_the_rows_path(varied, api):
    """Not only equal to the instances: what the door hides is not in the rows' answer."""
    body = json.dumps(all_pages(api, "/api/v1/cases/?page_size=7"), ensure_ascii=False)
    assert "LEAKCANARY" not in body and "Тайное Имя" not in body and "Riga" not in body
    csv_body = json.dumps(read_csv(api.get("/api/v1/cases/?format=csv")), ensure_ascii=False)
    assert "LEAKCANARY" not in csv_body and "Тайное Имя" not in csv_body and "Riga" not in csv_body
    staff = client_for(user_with("staff-reader", *RESEARCHER))
    assert "Тайное Имя" in json.dumps(all_pages(staff, "/api/v1/cases/"), ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "ru", "all"])
def test_every_case_of_the_list_is_its_own_page_over_http(varied, api, lang):
    """Real HTTP: each case in the list (rows) equals its page (an instance), as read."""
    for reader in [api, client_for(user_with(f"editor-{lang}", *EDITOR))]:
        listed = all_pages(reader, f"/api/v1/cases/?lang={lang}&page_size=9")
        assert listed
        for record in listed:
            assert reader.get(f"/api/v1/cases/{record['id']}/?lang={lang}").json() == record


def test_the_csv_rows_are_the_json_rows_flattened(varied, api):
    rows = read_csv(api.get("/api/v1/cases/?format=csv"))
    listed = all_pages(api, "/api/v1/cases/?page_size=500")
    assert [int(row["id"]) for row in rows] == [record["id"] for record in listed]


@pytest.mark.django_db(transaction=True)
def test_the_paths_agree_over_a_generated_database():
    """generate_demo's skews (at-risk people, drafts, Cyrillic names, shared sources) in a
    throwaway database, with withholdings added, compared in a process of its own."""
    name = f"test_parity_demo_{os.getpid()}"
    env = {**os.environ, "EMBEDDED_DB_NAME": settings.DATABASES["default"]["NAME"]}
    # Without the replica router, whose allow_migrate() refuses every database but the
    # primary, so generate_demo's migrate of its own database would create no table.
    generate = ("import django; django.setup(); from django.conf import settings; "
                "settings.DATABASE_ROUTERS = []; from django.core.management import call_command; "
                f"call_command('generate_demo', '--cases', '400', '--database-name', '{name}')")
    done = subprocess.run([sys.executable, "-c", generate], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**env, "DJANGO_SETTINGS_MODULE": "defections.settings"})
    assert done.returncode == 0, done.stderr
    try:
        script = ("import django, json; django.setup(); "
                  "from tests.test_read_path_parity import compare_generated; "
                  "print(json.dumps(compare_generated()))")
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                             timeout=600, env={**os.environ, "EMBEDDED_DB_NAME": name,
                                               "DJANGO_SETTINGS_MODULE": "defections.settings"})
        assert run.returncode == 0, run.stderr[-4000:]
        compared = json.loads(run.stdout.strip().splitlines()[-1])
        assert compared["anonymous"] > 300 and compared["researcher"] == compared["editor"] == 400
    finally:
        from tests.test_generate_demo import drop

        drop(name)


def compare_generated() -> dict:
    """In the generated database: withhold a few fields, then compare every case."""
    cases = list(Case.objects.filter(status="published", person__at_risk=False).order_by("pk")[:40])
    for n, case in enumerate(cases):
        field = ["role", "place", "date", "country_from", "destination_country", "narrative"][n % 6]
        Withholding.objects.get_or_create(case=case, field=field, defaults={
            "reason": "Parity test.", "until": date(2099, 1, 1) if n % 3 else date(2001, 1, 1)})
        if n % 5 == 0:
            Withholding.objects.get_or_create(person=case.person, field="native_name",
                                              defaults={"reason": "Parity test."})
    assert Case.objects.filter(person__at_risk=True, status="published").exists()
    return all_differences()


def test_the_comparison_finds_a_drift(varied, monkeypatch):
    """The check above can fail: a rows path that forgot the redaction differs."""
    monkeypatch.setattr("defections.redaction.redact_row", lambda row, user: row)
    assert any("LEAKCANARY" in problem for problem in differences(AnonymousUser(), "en"))
    assert not differences(readers()["editor"], "en")


def test_the_csv_lines_are_the_rows_csv_over_http(varied, api):
    """Real HTTP, every reader, every way of asking a language: the export PostgreSQL writes
    is byte for byte the one the rows path wrote, in a bounded number of queries."""
    clients = {"anonymous": api, "researcher": client_for(user_with("csv-researcher", *RESEARCHER)),
               "editor": client_for(user_with("csv-editor", *EDITOR))}
    asked = [("", {}), ("&lang=en", {}), ("&lang=ru", {}), ("&lang=all", {}),
             ("", {"HTTP_ACCEPT_LANGUAGE": "ru"})]
    for name, client in clients.items():
        for query, headers in asked:
            url = f"/api/v1/cases/?format=csv{query}"
            with CaptureQueriesContext(connection) as queries:
                lines = b"".join(client.get(url, **headers).streaming_content)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(CaseViewSet, "csv_lines", None)  # the rows path
                rows = b"".join(client.get(url, **headers).streaming_content)
            assert lines == rows, (name, query, headers)
            assert lines.count(b"\r\n") > 10
            assert len(queries) <= 12, [q["sql"][:80] for q in queries.captured_queries]
    assert "1953" in lines.decode()


def test_the_csv_lines_take_chunks(varied, api, monkeypatch):
    """A chunk of ids per query: an export longer than a chunk is whole and in order."""
    monkeypatch.setattr("defections.api.views.CSV_LINES_CHUNK", 3)
    chunked = read_csv(api.get("/api/v1/cases/?format=csv"))
    monkeypatch.setattr("defections.api.views.CSV_LINES_CHUNK", CSV_LINES_CHUNK)
    assert chunked == read_csv(api.get("/api/v1/cases/?format=csv")) and len(chunked) > 6


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_date_written_by_postgresql_is_the_python_one(db, lang):
    """Every form of partial date dates.py writes, written by the SQL of csv_lines."""
    written = ["24 February 2022", "1 May 0953", "March 2026", "spring 1953", "summer 1941", "autumn 1991",
               "winter 1952–53", "winter 1999–2000", "2018", "1936–1938", "1930s", "early 1950s", "mid-1950s",
               "late 1950s", "c. 1953", "before 1941", "after 1991", "1999"]
    dates = [parse_partial_date(text) for text in written]
    sql = csv_lines.date_text("%(start)s::date", "%(end)s::date", "%(precision)s", lang == "ru")
    with connection.cursor() as cursor:
        for date in [*dates, None]:
            start, end, precision = (date.start, date.end, date.precision) if date else (None, None, "")
            cursor.execute(f"SELECT {sql}", {"start": start, "end": end, "precision": precision})
            assert cursor.fetchone()[0] == format_partial_date(start, end, precision, lang), date


def test_the_csv_comparison_finds_a_drift(varied, monkeypatch):
    """The CSV check can fail too: lines written without the redaction differ."""
    redacted = csv_lines.redacted
    monkeypatch.setattr("defections.csv_lines.redacted",
                        lambda column, sql, ru: redacted(column, sql, ru) if column == "withheld" else sql)
    problems = differences(AnonymousUser(), None)
    assert any(problem.startswith("CSV") and "Riga" in problem for problem in problems)


def test_the_change_feed_reads_cases_as_rows_and_as_instances_alike(varied):
    """The change feed digests each case as the API shows it, reading rows (api/changes.py): the
    same state, for every case and both audiences, as reading instances through the serializer
    (its code before, kept here), retracted cases and their notices too."""
    from defections.api import changes as feed

    def by_instances(ids, user):
        viewset = feed.VIEWSETS["case"]()
        viewset.request, viewset.kwargs, viewset.format_kwarg = feed.Reading(user), {}, None
        context = {"request": viewset.request, "view": viewset, "format": None}
        found = {}
        for record in viewset.get_queryset().filter(pk__in=ids):
            data = CaseSerializer(record, context=context).data
            found[record.pk] = ("R" if data.get("status") == "retracted" else "V") + feed.digest(data)
        notices = visibility.tombstones(set(ids) - set(found), user)
        return found | {pk: "R" + feed.digest(notice) for pk, notice in notices.items()}

    retracted = CaseFactory(status="published", date="1961")
    Case.objects.filter(pk=retracted.pk).update(status="retracted", retraction_note="Two sources were one.")
    ids = list(Case.objects.values_list("pk", flat=True))
    for audience, user in feed.AUDIENCES.items():
        expected = by_instances(ids, user)
        assert feed.readings("case", ids, user) == expected, audience
        assert len(expected) >= 10 and {state[0] for state in expected.values()} == {"V", "R"}, audience
