"""The case CSV written by PostgreSQL: one query per chunk of ids gives each case's CSV line.

Building a dict per case, redacting it and making its cells in Python was three quarters
of an export (bench/README.md, step 7). Here each cell is an SQL expression: the columns
are the serializer's (the API gives their names), nested lists are JSON text built with
`string_agg`, and the redaction is the door's rule in its SQL form, generated from the same
constants as `redaction.redact` (SHOWN_AT_RISK, STAFF_ONLY, AT_RISK_PERSON_BLANK and the
withholdable fields of defections/withholding.py), applied to the door's own queryset
(`Case.objects.visible_to(user)`: which cases, and what each withholds today). A cell is
made safe from formulas as csv_safe.cell() does, and quoted as Python's csv writer quotes.

tests/test_read_path_parity.py compares the bytes with the rows path (defections/rows.py)
for every case, reader and language; a column this module does not know is `Unsupported`,
and the API then writes that export from rows.
"""

import calendar
import functools

from django.conf import settings
from django.db import connections
from django.db.models import F
from django.db.models.expressions import RawSQL

from defections import dates, dates_ru, languages, redaction, visibility, withholding
from defections.csv_safe import FORMULA_START
from defections.ids import InArray
from defections.models import Case


class Unsupported(ValueError):
    """A column (or setting) this writer does not know how to give exactly."""


def text(value: str) -> str:
    """A Python string as an SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def array(values) -> str:
    return "(ARRAY[" + ",".join(text(v) for v in values) + "]::text[])"


def year4(expr: str) -> str:
    """A year written with four digits, as f"{year:04d}"."""
    return f"lpad(({expr})::text, 4, '0')"


def date_text(start: str, end: str, precision: str, ru: bool) -> str:
    """dates.format_partial_date as SQL, in English or Russian (its words are the ones it uses)."""
    end = f"coalesce({end}, {start})"
    y, ey, month = (f"date_part('year', {start})::int", f"date_part('year', {end})::int",
                    f"date_part('month', {start})::int")
    months = array(dates_ru.MONTH_NAMES[1:] if ru else calendar.month_name[1:])
    genitive = array(dates_ru.MONTH_GENITIVE[1:] if ru else calendar.month_name[1:])
    seasons = dates_ru.SEASON_NAMES if ru else dates.SEASON_NAMES
    winter, between = ("зима", "/") if ru else ("winter", "–")
    first = f"({y} - mod({y}, 10))"
    part = f"({y} - {first})::text || ',' || ({ey} - {first})::text"
    if ru:
        named = " ".join(f"WHEN {text(f'{a},{b}')} THEN {text(word)} || ' ' || {year4(first)} || '-х'"
                         for (a, b), word in dates_ru.WRITTEN_PARTS.items())
        decade = f"CASE {part} {named} ELSE {year4(first)} || '-е' END"
    else:
        named = " ".join(f"WHEN {text(f'{a},{b}')} THEN {text(word)}"
                         for (a, b), word in dates.WRITTEN_PARTS.items())
        decade = f"CASE {part} {named} ELSE '' END || {year4(first)} || 's'"
    season_names = " ".join(f"WHEN {m} THEN {text(name)}" for m, name in seasons.items() if m != 12)
    century = f"({y} + 1) / 100 <> {y} / 100"
    circa, before, after = (dates_ru.CIRCA[0], dates_ru.BEFORE[0], dates_ru.AFTER[0]) if ru else (
        "c.", "before", "after")
    winter = f"{text(winter)} || ' ' || {year4(y)} || {text(between)}"
    return f"""CASE WHEN {start} IS NULL OR {precision} = '' THEN ''
        WHEN {precision} = 'day' THEN date_part('day', {start})::int::text || ' ' || {genitive}[{month}]
            || ' ' || {year4(y)}
        WHEN {precision} = 'month' THEN {months}[{month}] || ' ' || {year4(y)}
        WHEN {precision} = 'season' AND {month} = 12 THEN {winter}
            || CASE WHEN {century} THEN {year4(f"{y} + 1")} ELSE lpad(mod({y} + 1, 100)::text, 2, '0') END
        WHEN {precision} = 'season' AND {month} IN ({", ".join(str(m) for m in seasons)})
            THEN CASE {month} {season_names} END || ' ' || {year4(y)}
        WHEN {precision} = 'decade' THEN {decade}
        WHEN {precision} = 'circa' THEN {text(circa)} || ' ' || {year4(f"({y} + {ey}) / 2")}
        WHEN {precision} = 'before' THEN {text(before)} || ' ' || {year4(f"{ey} + 1")}
        WHEN {precision} = 'after' THEN {text(after)} || ' ' || {year4(f"{y} - 1")}
        WHEN {ey} <> {y} THEN {year4(y)} || '–' || {year4(ey)}
        ELSE {year4(y)} END"""


# JSON values as DRF's renderer writes them in a cell (compact, not ASCII-escaped).
def j(expr: str) -> str:
    return f"coalesce(to_json({expr})::text, 'null')"


def jdate(expr: str) -> str:
    return f"coalesce('\"' || to_char({expr}, 'YYYY-MM-DD') || '\"', 'null')"


def jobject(**members) -> str:
    pairs = [text('"' + key + '":') + " || " + value for key, value in members.items()]
    return "'{' || " + " || ',' || ".join(pairs) + " || '}'"


def jlist(item: str, order: str) -> str:
    """The JSON list of the group's items (string_agg: use in a GROUP BY)."""
    return f"'[' || string_agg({item}, ',' ORDER BY {order}) || ']'"


CITATION = jobject(source=jobject(id="s.id::text", title=j("s.title"), url=j("s.url")),
                   locator=j("ci.locator"), quote=j("ci.quote"), claim=j("ci.claim"))


def cited(owner: str, table: str, chunk: str) -> str:
    """The citations of the chunk's responses or accounts (owner: the citation's column),
    one JSON list per owner."""
    return (f"SELECT ci.{owner} AS owner, {jlist(CITATION, 'ci.id')} AS cell FROM defections_citation ci "
            f"JOIN defections_source s ON s.id = ci.source_id JOIN {table} o ON o.id = ci.{owner} "
            f"WHERE o.case_id {chunk} GROUP BY ci.{owner}")


def timestamp(expr: str) -> str:
    """DRF's DateTimeField in UTC: ISO 8601, microseconds only when there are some, `Z`."""
    utc = f"({expr} AT TIME ZONE 'UTC')"
    return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN to_char({utc}, 'US') = '000000' "
            f"THEN '' ELSE '.' || to_char({utc}, 'US') END || 'Z'")


# The case's own columns the lines read (from the door's query).
TEXTS = ("form", "role", "role_ru", "country_from", "destination_country", "place", "visibility",
         "verification", "classification", "status", "summary", "summary_ru", "narrative", "narrative_ru",
         "codebook_version", "restricted_notes", "retraction_note", "retraction_note_ru")
CASE_COLUMNS = (*TEXTS, "date_start", "date_end", "date_precision", "updated_at", "person_id", "agency_id",
                "period_id", "signed_off_by_id")
# Cells that can hold no formula, comma, quote or line break; and JSON lists, which start with [.
BARE = {"id", "person.id", "agency.id", "period.id", "date_start", "date_end", "origin_count", "updated_at"}
LISTS = {"motives", "responses", "accounts", "citations", "withheld"}


def groups(ru: bool, chunk: str) -> dict:
    """{alias: a query of one row per case of the chunk (column case_id) with its lists};
    chunk: the condition on a case id that picks the chunk's."""
    response = jobject(id="r.id::text", kind=j("r.kind"),
                       date=j(date_text("r.date_start", "r.date_end", "r.date_precision", ru)),
                       date_start=jdate("r.date_start"), date_end=jdate("r.date_end"),
                       date_precision=j("r.date_precision"), description=j("r.description"),
                       description_ru=j("r.description_ru"), citations="coalesce(rc.cell, '[]')")
    account = jobject(id="o.id::text", claim=j("o.claim"), statement=j("o.statement"),
                      holder=j("o.holder"), rank=j("o.rank"), citations="coalesce(ac.cell, '[]')")
    withheld = jobject(field=j("w.field"), reason=j("w.reason"), reason_ru=j("w.reason_ru"),
                       until=jdate("w.until"))
    return {
        "mo": f"SELECT cm.case_id, {jlist('to_json(m.slug)::text', 'm.name, m.id')} AS cell "
              f"FROM defections_case_motives cm JOIN defections_motive m ON m.id = cm.motive_id "
              f"WHERE cm.case_id {chunk} GROUP BY cm.case_id",
        "ci": f"SELECT ci.case_id, {jlist(CITATION, 'ci.id')} AS cell, "
              f"count(DISTINCT coalesce(s.origin_id, 0)) AS origins FROM defections_citation ci "
              f"JOIN defections_source s ON s.id = ci.source_id WHERE ci.case_id {chunk} GROUP BY ci.case_id",
        "re": f"SELECT r.case_id, {jlist(response, 'r.date_start, r.id')} AS cell FROM defections_response r "
              f"LEFT JOIN ({cited('response_id', 'defections_response', chunk)}) rc ON rc.owner = r.id "
              f"WHERE r.case_id {chunk} GROUP BY r.case_id",
        "ac": f"SELECT o.case_id, {jlist(account, 'o.claim, o.id')} AS cell FROM defections_account o "
              f"LEFT JOIN ({cited('account_id', 'defections_account', chunk)}) ac ON ac.owner = o.id "
              f"WHERE o.case_id {chunk} GROUP BY o.case_id",
        "wi": f"SELECT w.case_id, {jlist(withheld, 'w.field, w.id')} AS cell FROM defections_withholding w "
              f"WHERE w.case_id {chunk} GROUP BY w.case_id",
    }


def columns_sql(ru: bool, api_prefix: str) -> dict:
    """{CSV column: its SQL as stored, before redaction}."""
    return {
        "id": "c.id::text", "api_url": f"{text(api_prefix)} || c.id::text || '/'",
        **{f"person.{name}": f"p.{name}::text" for name in ("id", "name", "native_name")},
        **{f"agency.{name}": f"a.{name}::text"
           for name in ("id", "name", "name_ru", "acronym", "native_name")},
        **{f"period.{name}": f"pe.{name}::text" for name in ("id", "slug", "name", "name_ru")},
        **{name: f"c.{name}" for name in TEXTS},
        "date": date_text("c.date_start", "c.date_end", "c.date_precision", ru),
        "date_start": "to_char(c.date_start, 'YYYY-MM-DD')", "date_end": "to_char(c.date_end, 'YYYY-MM-DD')",
        "date_precision": "c.date_precision",
        "motives": "coalesce(mo.cell, '[]')", "responses": "coalesce(re.cell, '[]')",
        "accounts": "coalesce(ac.cell, '[]')", "citations": "coalesce(ci.cell, '[]')",
        "origin_count": "coalesce(ci.origins, 0)::text", "withheld": "coalesce(wi.cell, '[]')",
        "signed_off_by": "u.username", "updated_at": timestamp("c.updated_at"),
    }


def redacted(column: str, sql: str, ru: bool) -> str:
    """A public column's SQL under redaction.redact's rule: an at-risk person's case shows only
    SHOWN_AT_RISK (its date as the whole year, the person without AT_RISK_PERSON_BLANK), a
    withheld field is empty (first: a withheld date shows no year even of an at-risk case, as
    the door orders it), and `withheld` names the fields withheld (c.wh, the door's)."""
    key, _, child = column.partition(".")
    if key in redaction.STAFF_ONLY[Case]:
        raise Unsupported(column)
    if key == "person":
        blanked = ["p.at_risk"] if child in redaction.AT_RISK_PERSON_BLANK else []
        blanked += [f"{text(field)} = ANY(c.pwh)" for field, names in withholding.PERSON_FIELDS.items()
                    if child in names]
        return f"CASE WHEN {' OR '.join(blanked)} THEN NULL ELSE {sql} END" if blanked else sql
    if key == "date":
        year = "date_part('year', c.date_start)::int"
        at_risk = date_text(f"make_date({year}, 1, 1)", f"make_date({year}, 12, 31)",
                            "CASE WHEN c.date_start IS NULL THEN '' ELSE 'year' END", ru)
    elif key == "withheld":
        listed = jlist(jobject(field=j("f")), 'f COLLATE "C"')  # sorted as Python sorts
        sql = f"coalesce((SELECT {listed} FROM unnest(c.wh) f), '[]')"
        at_risk = "NULL"
    else:
        at_risk = sql if key in redaction.SHOWN_AT_RISK[Case] else "NULL"
    withheld = [text(field) for field, names in withholding.CASE_FIELDS.items() if key in (field, *names)]
    hidden = " OR ".join(f"{field} = ANY(c.wh)" for field in withheld)
    hidden = f"WHEN {hidden} THEN NULL " if withheld else ""
    return f"CASE {hidden}WHEN p.at_risk THEN {at_risk} ELSE {sql} END"


def safe(v: str) -> str:
    """csv_safe.cell() in SQL (the first test is the cheap one: most cells start otherwise)."""
    starts = ", ".join(text(c) for c in FORMULA_START)
    return (f"CASE WHEN left({v}, 1) IN ({starts}, '''') AND left(ltrim({v}, ''''), 1) IN ({starts}) "
            f"THEN '''' || {v} ELSE {v} END")


def quoted(s: str) -> str:
    """The csv writer's minimal quoting in SQL: a cell holding a comma, quote or line break."""
    needs = " OR ".join(f"strpos({s}, {c}) > 0" for c in ("','", "'\"'", "chr(10)", "chr(13)"))
    return f"""CASE WHEN {needs} THEN '"' || replace({s}, '"', '""') || '"' ELSE {s} END"""


def quoted_list(s: str) -> str:
    """A JSON list's cell: quoted unless empty or hidden (each item holds a quote)."""
    return f"""CASE WHEN {s} IN ('[]', '') THEN {s} ELSE '"' || replace({s}, '"', '""') || '"' END"""


def line_sql(columns, staff: bool, ru: bool, api_prefix: str) -> tuple[str, str, str]:
    """One case's CSV line (no terminator) for these columns, as three SQL lists: the cells'
    values (v.v0, …), made safe (s.s0, …), and the line joining them quoted."""
    if settings.TIME_ZONE != "UTC":
        raise Unsupported("TIME_ZONE")
    known = columns_sql(ru, api_prefix)
    values, safes, cells = [], [], []
    for n, column in enumerate(columns):
        if column not in known:
            raise Unsupported(column)
        sql = known[column] if staff else redacted(column, known[column], ru)
        values.append(f"coalesce(({sql})::text, '') AS v{n}")
        if column in BARE:
            cells.append(f"v.v{n}")
        elif column in LISTS:
            cells.append(quoted_list(f"v.v{n}"))
        else:
            safes.append(f"{safe(f'v.v{n}')} AS s{n}")
            cells.append(quoted(f"s.s{n}"))
    return ", ".join(values), ", ".join(safes), " || ',' || ".join(cells)



def supported(columns) -> bool:
    try:
        line_sql(columns, staff=False, ru=False, api_prefix="")
        line_sql(columns, staff=True, ru=False, api_prefix="")
    except Unsupported:
        return False
    return True


def chunk_of(ids) -> str:
    """The condition on a case id that picks these ids: a constant (integers we read), so
    the planner knows how many there are."""
    return "= ANY('{" + ",".join(str(int(pk)) for pk in ids) + "}'::bigint[])"


def escaped(sql: str) -> str:
    """SQL of ours (no parameters) made safe to pass with parameters."""
    return sql.replace("%", "%%")


# The page's ids as the door's query reads them: the CTE `page` of per_case's query.
PAGE_IDS = RawSQL("SELECT id FROM page", ())


def door_sql(user) -> tuple[str, str, tuple]:
    """The door's query (`CASE_COLUMNS` and, for the public, the fields withheld today) of the
    cases of the page: its database, SQL and parameters. The public's is the same all day on a
    database, so it is compiled once a day (building and compiling it was ~1 ms a page)."""
    door = Case.objects.visible_to(user)
    if visibility.is_staff(user):
        return door.db, *_compiled_door(door, ())
    return door.db, *_public_door(withholding.today())


@functools.lru_cache(maxsize=2)
def _public_door(day) -> tuple[str, tuple]:
    return _compiled_door(visibility.public_cases(day), ("withheld_now", "person_withheld_now"))


def _compiled_door(door, flags) -> tuple[str, tuple]:
    door = door.filter(InArray(F("pk"), PAGE_IDS)).order_by()
    return door.values_list("pk", *CASE_COLUMNS, *flags).query.sql_with_params()


def per_case(ids, user, select: str, lists: dict, lateral: str = "") -> list:
    """`SELECT {select}` once for each case of ids that user may see, in the order of ids,
    over the door's query (`c`: CASE_COLUMNS and, for the public, `c.wh`/`c.pwh`: the fields
    withheld today), the person (`p`), agency (`a`), period (`pe`), signer (`u`), and the
    `lists` ({alias: SQL of one row per case, column case_id}); `lateral` is joined last.
    The SQL given holds no parameters."""
    db, sql, params = door_sql(user)
    names = ", ".join(["id", *CASE_COLUMNS, *(() if visibility.is_staff(user) else ("wh", "pwh"))])
    joins = "".join(f" LEFT JOIN ({escaped(sql)}) {alias} ON {alias}.case_id = c.id"
                    for alias, sql in lists.items())
    # The door's query computed once: OFFSET 0 keeps the planner from copying its
    # expressions into every place that names them.
    sql = f"""WITH page AS (SELECT id, n FROM unnest(%s::bigint[]) WITH ORDINALITY AS k(id, n))
        SELECT {escaped(select)} FROM page AS k
        JOIN ({sql} OFFSET 0) AS c({names}) ON c.id = k.id
        JOIN defections_person p ON p.id = c.person_id
        LEFT JOIN defections_agency a ON a.id = c.agency_id
        LEFT JOIN defections_period pe ON pe.id = c.period_id
        LEFT JOIN auth_user u ON u.id = c.signed_off_by_id{joins}{escaped(lateral)}
        ORDER BY k.n"""
    # On the door's database: a public read's replica (defections/routers.py), never a mix.
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [ids, *params])
        return [value for (value,) in cursor.fetchall()]


def case_lines(ids, user, columns, api_prefix: str) -> list[str]:
    """The CSV lines of the cases with these ids that user may see, in the order of ids,
    in the language now in force (as the rows path writes a date)."""
    ids = list(ids)
    if not ids:
        return []
    staff, ru = visibility.is_staff(user), languages.current() == "ru"
    values, safes, line = line_sql(columns, staff, ru, api_prefix)
    lists = {alias: sql for alias, sql in groups(ru, chunk_of(ids)).items()
             if alias != "wi" or (staff and "withheld" in columns)}
    # Each cell computed once (OFFSET 0), made safe, then quoted into the line.
    return per_case(ids, user, line, lists, f" CROSS JOIN LATERAL (SELECT {values} OFFSET 0) v"
                                            f" CROSS JOIN LATERAL (SELECT {safes} OFFSET 0) s")
