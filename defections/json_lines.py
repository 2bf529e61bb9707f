"""A page of the case list as JSON written by PostgreSQL: one query gives each case's object.

The API's list of 50 spent four fifths of its time in Python: six queries, a dict per case,
response and citation, and each field passed through the serializer's shape
(bench/README.md). Here each case is one JSON text built by the query that reads it, as
the case CSV's lines are (defections/csv_lines.py, whose pieces it shares): the serializer's
fields in its order, the related records nested, each translated text read in the request's
language (with `fallback`, and both columns with ?lang=all, as languages.project does),
and the one redaction in its SQL form, from the same constants as `redaction.redact_row`
(SHOWN_AT_RISK, STAFF_ONLY, AT_RISK_PERSON_BLANK, the withholdable fields), applied to the
door's own queryset (`Case.objects.visible_to(user)`).

tests/test_read_path_parity.py compares the text with the rows path (defections/rows.py
shaped by the serializer) for every case, reader and language; a field this module does not
know is `Unsupported`, and the API then reads the page as rows.
"""

import functools

from django.conf import settings

from defections import languages, redaction, visibility, withholding
from defections.csv_lines import (
    TEXTS,
    Unsupported,
    chunk_of,
    cited,
    date_text,
    groups,
    j,
    jdate,
    jlist,
    per_case,
    text,
    timestamp,
)
from defections.models import Case


def member(key: str, value: str) -> str:
    return f"{text(chr(34) + key + chr(34) + ':')} || {value}"


def jobject(members: list, fallbacks: list = ()) -> str:
    """A JSON object's text from (key, SQL of its JSON value) pairs, in order; fallbacks:
    (field, SQL condition) for the `fallback` list languages.project closes it with."""
    body = " || ',' || ".join(member(key, value) for key, value in members)
    if fallbacks:
        named = ", ".join(f"CASE WHEN {condition} THEN {text(chr(34) + field + chr(34))} END"
                          for field, condition in fallbacks)
        body += f" || coalesce(',\"fallback\":[' || nullif(concat_ws(',', {named}), '') || ']', '')"
    return f"'{{' || {body} || '}}'"


def translated(field: str, en: str, ru: str, lang: str, both: bool) -> tuple[list, tuple]:
    """languages.project for one text: its members and its fallback condition. en and ru are
    the SQL of its two columns (NULL where the redaction withheld them)."""
    wanted, other = (ru, en) if lang == "ru" else (en, ru)
    value = (f"CASE WHEN {en} IS NULL AND {ru} IS NULL THEN 'null' "
             f"ELSE to_json(coalesce(nullif({wanted}, ''), nullif({other}, ''), ''::text))::text END")
    members = [(field, value)]
    if both:
        members += [(f"{field}_en", j(en)), (languages.column(field, "ru"), j(ru))]
    return members, (field, f"coalesce({wanted}, '') = '' AND coalesce({other}, '') <> ''")


class Builder:
    """The members of each object for one reader and language, in its serializer's order."""

    def __init__(self, lang: str, both: bool, ru_dates: bool):
        self.lang, self.both, self.ru = lang, both, ru_dates

    def obj(self, fields, value, model_name: str) -> str:
        """fields in order; value(field) -> SQL of its JSON value, or None: absent."""
        members, fallbacks = [], []
        texts = languages.TRANSLATED.get(model_name, ())
        done = set()
        for field in fields:
            base = field[:-3] if field.endswith("_ru") else field
            if base in texts:
                if base in done:
                    continue
                en, ru = value(base), value(languages.column(base, "ru"))
                if en is None and ru is None:
                    continue
                more, fallback = translated(base, en or "NULL", ru or "NULL", self.lang, self.both)
                members += more
                fallbacks.append(fallback)
                done.add(base)
                continue
            if (sql := value(field)) is not None:
                members.append((field, sql))
        return jobject(members, fallbacks)

    def date(self, alias: str) -> str:
        return j(date_text(f"{alias}.date_start", f"{alias}.date_end", f"{alias}.date_precision", self.ru))

    def response(self) -> str:
        columns = {"id": "r.id::text", "kind": j("r.kind"), "date": self.date("r"),
                   "date_start": jdate("r.date_start"), "date_end": jdate("r.date_end"),
                   "date_precision": j("r.date_precision"), "description": "r.description",
                   "description_ru": "r.description_ru", "citations": "coalesce(rc.cell, '[]')"}
        return self.obj(["id", "kind", "date", "date_start", "date_end", "date_precision", "description",
                         "description_ru", "citations"], columns.get, "Response")

    def withholding(self) -> str:
        columns = {"field": j("w.field"), "reason": "w.reason", "reason_ru": "w.reason_ru",
                   "until": jdate("w.until")}
        return self.obj(["field", "reason", "reason_ru", "until"], columns.get, "Withholding")

    def groups(self, chunk: str, staff: bool) -> dict:
        """csv_lines.groups with the translated items read in the language."""
        found = groups(self.ru, chunk)
        citations = cited("response_id", "defections_response", chunk)
        found["re"] = (f"SELECT r.case_id, {jlist(self.response(), 'r.date_start, r.id')} AS cell "
                       f"FROM defections_response r LEFT JOIN ({citations}) rc ON rc.owner = r.id "
                       f"WHERE r.case_id {chunk} GROUP BY r.case_id")
        found["wi"] = (f"SELECT w.case_id, {jlist(self.withholding(), 'w.field, w.id')} AS cell "
                       f"FROM defections_withholding w WHERE w.case_id {chunk} GROUP BY w.case_id")
        if not staff:
            del found["wi"]
        return found

    def case(self, fields, staff: bool, api_prefix: str) -> str:
        """The SQL of a case's JSON text, as redacted for staff or for the public."""
        plain = self.case_columns(api_prefix)
        if staff:
            return self.obj(fields, lambda f: json_of(f, plain[f]) if f in plain else unknown(f), "Case")
        withheld = {name: field for field, names in withholding.CASE_FIELDS.items()
                    for name in (field, *names)}
        public = [f for f in fields if f not in redaction.STAFF_ONLY[Case]]

        def shown(f):
            if f not in plain:
                unknown(f)
            if f in withheld:  # null where withheld today
                hidden = f"{text(withheld[f])} = ANY(c.wh)"
                if f in JSON_READY:
                    return f"CASE WHEN {hidden} THEN 'null' ELSE {plain[f]} END"
                return json_of(f, f"CASE WHEN {hidden} THEN NULL ELSE {plain[f]} END")
            if f == "person":
                return self.person("public")
            if f == "withheld":  # which fields, sorted as Python sorts
                listed = jlist("'{\"field\":' || to_json(f)::text || '}'", 'f COLLATE "C"')
                return f"coalesce((SELECT {listed} FROM unnest(c.wh) f), '[]')"
            return json_of(f, plain[f])

        # An at-risk person's case: its start year as a whole year (none if the date is
        # withheld, the withholding first), the person without AT_RISK_PERSON_BLANK.
        year = "date_part('year', c.date_start)::int"
        whole_year = date_text(f"make_date({year}, 1, 1)", f"make_date({year}, 12, 31)",
                               "CASE WHEN c.date_start IS NULL THEN '' ELSE 'year' END", self.ru)
        risky = {"date": j(f"CASE WHEN 'date' = ANY(c.wh) THEN '' ELSE {whole_year} END"),
                 "person": self.person("at_risk")}
        at_risk = self.obj([f for f in public if f in redaction.SHOWN_AT_RISK[Case]],
                           lambda f: risky.get(f) or shown(f), "Case")
        return f"CASE WHEN p.at_risk THEN {at_risk} ELSE {self.obj(public, shown, 'Case')} END"

    def person(self, reader: str) -> str:
        """The person's brief object for staff ("plain"), the public ("public": a field
        withheld is empty, as redaction.blanks() makes a text) or the public reading an
        at-risk person ("at_risk": AT_RISK_PERSON_BLANK empty)."""
        columns = {"id": "p.id::text", "name": j("p.name"), "native_name": j("p.native_name")}
        for name in columns:
            if reader == "at_risk" and name in redaction.AT_RISK_PERSON_BLANK:
                columns[name] = "'\"\"'"
            withheld = [field for field, names in withholding.PERSON_FIELDS.items() if name in names]
            if reader == "public" and withheld:
                hidden = f"{text(withheld[0])} = ANY(c.pwh)"
                columns[name] = f"CASE WHEN {hidden} THEN '\"\"' ELSE {columns[name]} END"
        return jobject(list(columns.items()))

    def case_columns(self, api_prefix: str) -> dict:
        """{field: SQL of its value}: plain SQL for texts (json_of makes them JSON), JSON for
        the rest."""
        agency = self.obj(["id", "name", "name_ru", "acronym", "native_name"],
                          {"id": "a.id::text", "name": "a.name", "name_ru": "a.name_ru",
                           "acronym": j("a.acronym"), "native_name": j("a.native_name")}.get, "Agency")
        period = self.obj(["id", "slug", "name", "name_ru"],
                          {"id": "pe.id::text", "slug": j("pe.slug"), "name": "pe.name",
                           "name_ru": "pe.name_ru"}.get, "Period")
        return {
            "id": "c.id::text", "api_url": j(f"{text(api_prefix)} || c.id::text || '/'"),
            "person": self.person("plain"),
            **{name: f"c.{name}" for name in (*TEXTS, "date_precision")},
            "date": self.date("c"), "date_start": "c.date_start", "date_end": "c.date_end",
            "agency": f"CASE WHEN a.id IS NULL THEN 'null' ELSE {agency} END",
            "period": f"CASE WHEN pe.id IS NULL THEN 'null' ELSE {period} END",
            "motives": "coalesce(mo.cell, '[]')", "responses": "coalesce(re.cell, '[]')",
            "accounts": "coalesce(ac.cell, '[]')", "citations": "coalesce(ci.cell, '[]')",
            "origin_count": "coalesce(ci.origins, 0)::text", "withheld": "coalesce(wi.cell, '[]')",
            "signed_off_by": j("u.username"), "updated_at": f"'\"' || {timestamp('c.updated_at')} || '\"'",
        }


JSON_READY = {"id", "api_url", "person", "date", "agency", "period", "motives", "responses", "accounts",
              "citations", "origin_count", "withheld", "signed_off_by", "updated_at"}


def json_of(field: str, sql: str) -> str:
    """A column's SQL as its JSON text (nulls as null); a translated text stays SQL for
    Builder.obj to read in the language."""
    if field in JSON_READY or field.removesuffix("_ru") in languages.TRANSLATED["Case"]:
        return sql
    if field in ("date_start", "date_end"):
        return jdate(sql)
    return j(sql)


def unknown(field: str):
    raise Unsupported(field)


@functools.lru_cache(maxsize=8)
def fields_of(serializer_class) -> tuple[str, ...]:
    """The fields a read shows, in the serializer's order (built once: a serializer builds
    its fields anew for each request)."""
    return tuple(name for name, field in serializer_class().fields.items() if not field.write_only)


@functools.lru_cache(maxsize=64)
def case_sql(fields: tuple, staff: bool, lang: str, both: bool, ru_dates: bool, api_prefix: str) -> str:
    """The SQL of one case's JSON text (the same for every request alike: built once)."""
    if settings.TIME_ZONE != "UTC":
        raise Unsupported("TIME_ZONE")
    case = Builder(lang, both, ru_dates).case(fields, staff, api_prefix)
    # DRF's renderer escapes the line and paragraph separators (its JSON is then valid
    # JavaScript too); to_json() does not.
    return f"replace(replace({case}, chr(8232), '\\u2028'), chr(8233), '\\u2029')"


def supported(fields: tuple) -> bool:
    try:
        for staff in (False, True):
            case_sql(fields, staff, "en", True, False, "")
    except Unsupported:
        return False
    return True


def case_objects(ids, user, fields: tuple, lang: str, both: bool, api_prefix: str) -> list[str]:
    """The JSON texts of the cases with these ids that user may see, in the order of ids:
    each as the serializer shows it in lang (both: with ?lang=all's columns), dates in the
    language now in force."""
    ids = list(ids)
    if not ids:
        return []
    staff, ru = visibility.is_staff(user), languages.current() == "ru"
    lists = Builder(lang, both, ru).groups(chunk_of(ids), staff)
    return per_case(ids, user, case_sql(fields, staff, lang, both, ru, api_prefix), lists)
