"""What must always hold, kept by PostgreSQL: every path (the admin, the API, imports,
`queryset.update()`, raw SQL) meets the same wall.

A published case cites at least one source, and a `confirmed` case (unless retracted)
cites sources of at least two different origins (a reprint and its original are one).
The check runs in deferred constraint triggers (django-pgtrigger), at commit: a case and
its citations are written in any order inside one transaction, and what is committed is
sourced. Retracting is always possible. The faces
check the same rule first (defections/workflow.py) so that people get a form error or a
400, not a failed commit.
"""

import pgtrigger
from django.utils.translation import gettext_lazy as _

NOT_SOURCED = "case_published_is_sourced"
NOT_CONFIRMED = "case_confirmed_has_two_origins"
SOURCE_LOOP = "source_derived_from_no_loop"

# What each wall says to a person, in their language (PostgreSQL's own message is English).
MESSAGES = {
    NOT_SOURCED: _("A published case cites at least one source."),
    NOT_CONFIRMED: _("A confirmed case cites sources of two different origins."),
    SOURCE_LOOP: _("A source cannot derive from itself, even through others."),
}


def explain(error) -> str:
    """The reader's-language message of a database error raised by one of these walls, else
    the error's own text."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    return str(MESSAGES[constraint]) if constraint in MESSAGES else str(error)
DECLARE = [("_status", "text"), ("_verification", "text"), ("_citations", "int"), ("_origins", "int")]


def _check(case_id: str) -> str:
    return f"""
    SELECT status, verification INTO _status, _verification FROM defections_case WHERE id = {case_id};
    IF FOUND AND _status <> 'retracted' THEN
        SELECT count(*), count(DISTINCT s.origin_id) INTO _citations, _origins
          FROM defections_citation c JOIN defections_source s ON s.id = c.source_id
         WHERE c.case_id = {case_id};
        IF _status = 'published' AND _citations = 0 THEN
            RAISE EXCEPTION 'Case %: a published case cites at least one source.', {case_id}
              USING ERRCODE = 'check_violation', CONSTRAINT = '{NOT_SOURCED}';
        END IF;
        IF _verification = 'confirmed' AND _origins < 2 THEN
            RAISE EXCEPTION 'Case %: a confirmed case cites sources of two different origins.', {case_id}
              USING ERRCODE = 'check_violation', CONSTRAINT = '{NOT_CONFIRMED}';
        END IF;
    END IF;"""


case_is_sourced = pgtrigger.Trigger(
    name="case_is_sourced", when=pgtrigger.After, operation=pgtrigger.Insert | pgtrigger.Update,
    timing=pgtrigger.Deferred, declare=DECLARE, func=f"{_check('NEW.id')}\n    RETURN NULL;",
)

citations_keep_cases_sourced = pgtrigger.Trigger(
    name="citations_keep_cases_sourced", when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    timing=pgtrigger.Deferred, declare=DECLARE, func=f"""
    IF TG_OP <> 'INSERT' AND OLD.case_id IS NOT NULL THEN {_check('OLD.case_id')}
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.case_id IS NOT NULL THEN {_check('NEW.case_id')}
    END IF;
    RETURN NULL;""",
)


# A source's origin is the root of its derived-from chain. Chains are changed one at a time
# (an advisory lock), so two writes cannot close a loop between them.
SOURCE_CHAIN_LOCK = 7_142_002

source_origin = pgtrigger.Trigger(
    name="source_origin", when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("derived_from_id", "origin_id"),
    declare=[("_at", "bigint"), ("_root", "bigint"), ("_steps", "int")], func=f"""
    PERFORM pg_advisory_xact_lock({SOURCE_CHAIN_LOCK});
    _at := NEW.derived_from_id; _root := NEW.id; _steps := 0;
    WHILE _at IS NOT NULL LOOP
        IF _at = NEW.id OR _steps > 10000 THEN
            RAISE EXCEPTION 'Source %: a source cannot derive from itself, even through others.', NEW.id
              USING ERRCODE = 'check_violation', CONSTRAINT = '{SOURCE_LOOP}';
        END IF;
        _root := _at;
        SELECT derived_from_id INTO _at FROM defections_source WHERE id = _at;
        _steps := _steps + 1;
    END LOOP;
    NEW.origin_id := _root;
    RETURN NEW;""",
)

# What derives from a source moves with it to its new origin.
source_origin_passes_down = pgtrigger.Trigger(
    name="source_origin_passes_down", when=pgtrigger.After,
    operation=pgtrigger.UpdateOf("derived_from_id"),
    condition=pgtrigger.Q(old__derived_from_id__df=pgtrigger.F("new__derived_from_id")), func="""
    UPDATE defections_source SET origin_id = NEW.origin_id WHERE id IN (
        WITH RECURSIVE below(id) AS (
            SELECT id FROM defections_source WHERE derived_from_id = NEW.id
            UNION SELECT s.id FROM defections_source s JOIN below ON s.derived_from_id = below.id
        ) SELECT id FROM below);
    RETURN NULL;""",
)

# A source that comes to share its origin with another can leave a confirmed case with one.
origins_keep_cases_confirmed = pgtrigger.Trigger(
    name="origins_keep_cases_confirmed", when=pgtrigger.After, operation=pgtrigger.Update,
    condition=pgtrigger.Q(old__origin_id__df=pgtrigger.F("new__origin_id")),
    timing=pgtrigger.Deferred, declare=[*DECLARE, ("_case", "bigint")], func=f"""
    FOR _case IN SELECT DISTINCT case_id FROM defections_citation
                  WHERE source_id = NEW.id AND case_id IS NOT NULL LOOP {_check('_case')}
    END LOOP;
    RETURN NULL;""",
)


# --- derived state ------------------------------------------------------------------------------
# A case's period is the period of instability holding the middle of its date interval
# (never set by hand). The database keeps it, so `update()`, raw SQL and period edits keep
# it right too.


def period_of(start: str, end: str) -> str:
    middle = f"{start} + ({end} - {start}) / 2"
    return (f'(SELECT p.id FROM defections_period p WHERE p.start <= {middle} '
            f'AND (p."end" IS NULL OR {middle} <= p."end") LIMIT 1)')


DERIVE_PERIODS = (f"UPDATE defections_case c SET period_id = {period_of('c.date_start', 'c.date_end')} "
                  f"WHERE c.period_id IS DISTINCT FROM {period_of('c.date_start', 'c.date_end')}")

case_period = pgtrigger.Trigger(
    name="case_period", when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("date_start", "date_end", "period_id"),
    func=f"NEW.period_id := {period_of('NEW.date_start', 'NEW.date_end')};\n    RETURN NEW;",
)

periods_place_cases = pgtrigger.Trigger(
    name="periods_place_cases", level=pgtrigger.Statement, when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=f"{DERIVE_PERIODS};\n    RETURN NULL;",
)


# When a published case was retracted: set as it happens, by any path; none for a draft set
# aside (it was never public, so it leaves no notice), cleared if the case is put back.
case_retracted_at = pgtrigger.Trigger(
    name="case_retracted_at", when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("status", "retracted_at"),
    func="""
    IF NEW.status <> 'retracted' OR TG_OP = 'INSERT' THEN
        NEW.retracted_at := NULL;  -- never published, nothing to withdraw
    ELSIF OLD.status = 'published' THEN
        NEW.retracted_at := now();
    ELSIF OLD.status = 'retracted' THEN
        NEW.retracted_at := OLD.retracted_at;
    ELSE
        NEW.retracted_at := NULL;  -- a draft set aside: it was never public
    END IF;
    RETURN NEW;""",
)


# A change to what a case shows through its citations, responses, accounts or motives is a change of the
# case: its public change time moves (so `updated_after` finds it) and so does the version an
# admin form's stale-save check compares. `now()` is the transaction's start: a case saved in
# the same transaction already has a later time and is left alone.
TOUCH_CASE = """
    UPDATE defections_case SET updated_at = now() WHERE updated_at < now() AND id IN ({ids});"""


def _touch(new_ids: str, old_ids: str) -> str:
    return f"""
    IF TG_OP <> 'DELETE' THEN {TOUCH_CASE.format(ids=new_ids)}
    END IF;
    IF TG_OP <> 'INSERT' THEN {TOUCH_CASE.format(ids=old_ids)}
    END IF;
    RETURN NULL;"""


def _case_ids_of_citation(row: str) -> str:
    return (f"SELECT {row}.case_id UNION SELECT case_id FROM defections_response "
            f"WHERE id = {row}.response_id UNION SELECT case_id FROM defections_account "
            f"WHERE id = {row}.account_id")


citations_touch_case = pgtrigger.Trigger(
    name="citations_touch_case", when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=_touch(_case_ids_of_citation("NEW"), _case_ids_of_citation("OLD")),
)

accounts_touch_case = pgtrigger.Trigger(
    name="accounts_touch_case", when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=_touch("SELECT NEW.case_id", "SELECT OLD.case_id"),
)

responses_touch_case = pgtrigger.Trigger(
    name="responses_touch_case", when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=_touch("SELECT NEW.case_id", "SELECT OLD.case_id"),
)

# The motives table is the one Django made for the many-to-many field: its trigger is
# installed by migration 0013 with this function.
MOTIVES_TOUCH_CASE = f"""
CREATE OR REPLACE FUNCTION defections_motives_touch_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_touch("SELECT NEW.case_id", "SELECT OLD.case_id")}
END; $$;
CREATE TRIGGER defections_motives_touch_case AFTER INSERT OR UPDATE OR DELETE
ON defections_case_motives FOR EACH ROW EXECUTE FUNCTION defections_motives_touch_case();
"""


# --- one address, one source ------------------------------------------------------------------
# The key a source's URL is unique by: the address without what does not change which page it
# is (http or https, the host's case, `www.`, a default port, a trailing slash, the fragment,
# utm_* tracking parameters, the order of the query's parameters) and in RFC 3986's normal form
# (section 6.2.2: upper-case percent escapes, unreserved characters unescaped, no dot segments).
# A Unicode host is keyed in its ASCII (IDNA) form, so `пример.com` is `xn--e1afmkfd.com`.
# PostgreSQL computes it (Source.url_key, a generated column), so every path meets the same
# unique constraint. Migration 0032 installed it, 0034 this version.
#
# The IDNA fold is done here, in SQL (Punycode, RFC 3492, in `defections_punycode`), rather than by
# rewriting the host in Source.save(): the URL stays as the editor wrote it, `with_url()` and
# the CSV import's lookup fold a Unicode address without Python's help, and no path (update(),
# raw SQL) has a second rule to get wrong. The host is mapped as IDNA maps it (lower case, NFKC);
# tests/test_duplicates.py checks the result against Python's `idna` codec.
URL_KEY_FUNCTION = "defections_url_key"

URL_KEY = f"""
CREATE OR REPLACE FUNCTION defections_punycode(label text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    _points int[] := ARRAY(SELECT pg_catalog.ascii(c) FROM pg_catalog.regexp_split_to_table(label, '')
                            WITH ORDINALITY AS s(c, n) ORDER BY n);
    _out text := pg_catalog.regexp_replace(label, '[^\\x01-\\x7f]', '', 'g');
    _basic int := pg_catalog.length(_out);
    _done int := _basic;
    _n int := 128;
    _delta bigint := 0;
    _bias int := 72;
    _point int;
    _q bigint;
    _k int;
    _t int;
BEGIN
    IF _basic > 0 THEN
        _out := _out || '-';
    END IF;
    WHILE _done < pg_catalog.cardinality(_points) LOOP
        SELECT min(p) INTO _point FROM unnest(_points) AS p WHERE p >= _n;
        _delta := _delta + (_point - _n) * (_done + 1);
        _n := _point;
        FOREACH _point IN ARRAY _points LOOP
            IF _point < _n THEN
                _delta := _delta + 1;
            ELSIF _point = _n THEN
                _q := _delta;
                _k := 36;
                LOOP  -- the delta as a variable-length base-36 number
                    _t := CASE WHEN _k <= _bias THEN 1 WHEN _k >= _bias + 26 THEN 26 ELSE _k - _bias END;
                    EXIT WHEN _q < _t;
                    _out := _out || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz0123456789',
                                                      (_t + (_q - _t) % (36 - _t))::int + 1, 1);
                    _q := (_q - _t) / (36 - _t);
                    _k := _k + 36;
                END LOOP;
                _out := _out || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz0123456789', _q::int + 1, 1);
                -- the bias adapts to the deltas seen
                _delta := CASE WHEN _done = _basic THEN _delta / 700 ELSE _delta / 2 END;
                _delta := _delta + _delta / (_done + 1);
                _k := 0;
                WHILE _delta > 455 LOOP
                    _delta := _delta / 35;
                    _k := _k + 36;
                END LOOP;
                _bias := _k + (36 * _delta) / (_delta + 38);
                _delta := 0;
                _done := _done + 1;
            END IF;
        END LOOP;
        _delta := _delta + 1;
        _n := _n + 1;
    END LOOP;
    RETURN _out;
END; $$;

CREATE OR REPLACE FUNCTION {URL_KEY_FUNCTION}(url text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    _parts text[];
    _scheme text;
    _host text;
    _port text;
    _labels text[];
    _rest text;
    _path text[] := '{{}}';
    _segment text;
    _query text[];
BEGIN
    url := btrim(url);
    _parts := regexp_match(url, '^(?:([A-Za-z][A-Za-z0-9+.-]*):)?//([^/?#]*)([^?#]*)(?:\\?([^#]*))?');
    IF _parts IS NULL THEN
        RETURN url;  -- not a web address: kept as written
    END IF;
    _scheme := lower(coalesce(_parts[1], ''));
    -- the host: as IDNA maps it, each Unicode label in Punycode, without `www.` or a default port
    _host := translate(normalize(lower(_parts[2]), NFKC), '。', '.');
    _port := coalesce(substring(_host FROM ':[0-9]*$'), '');
    _host := rtrim(left(_host, length(_host) - length(_port)), '.');
    _labels := string_to_array(_host, '.');
    FOR i IN 1 .. coalesce(cardinality(_labels), 0) LOOP
        IF _labels[i] ~ '[^\\x01-\\x7f]' AND _labels[i] !~ '[@:\\[\\]]' THEN
            _labels[i] := 'xn--' || public.defections_punycode(_labels[i]);
        END IF;
    END LOOP;
    _host := regexp_replace(array_to_string(_labels, '.'), '^www\\.', '')
        || CASE WHEN _port IN (':', ':80', ':443') THEN '' ELSE _port END;
    -- percent escapes: an unreserved character unescaped, the rest in upper case
    SELECT string_agg(CASE WHEN t[1] !~ '^%[0-9A-Fa-f]{{2}}$' THEN t[1]
                           WHEN upper(t[1]) ~ '^%(2D|2E|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])$'
                           THEN chr(get_byte(decode(substr(t[1], 2), 'hex'), 0))
                           ELSE upper(t[1]) END, '' ORDER BY n) INTO _rest
      FROM regexp_matches(_parts[3] || coalesce('?' || _parts[4], ''), '%[0-9A-Fa-f]{{2}}|[^%]+|%', 'g')
           WITH ORDINALITY AS m(t, n);
    _rest := coalesce(_rest, '');
    -- the path without dot segments (RFC 3986, 5.2.4) or a trailing slash
    FOREACH _segment IN ARRAY string_to_array(split_part(_rest, '?', 1), '/') LOOP
        IF _segment = '..' THEN
            _path := _path[1 : greatest(cardinality(_path) - 1, 1)];
        ELSIF _segment <> '.' THEN
            _path := _path || _segment;
        END IF;
    END LOOP;
    -- the query's parameters but utm_*, by name (a repeated name keeps its order)
    SELECT array_agg(param ORDER BY split_part(param, '=', 1) COLLATE "C", n) INTO _query
      FROM unnest(string_to_array(substring(_rest FROM '\\?(.*)$'), '&')) WITH ORDINALITY AS p(param, n)
     WHERE param <> '' AND lower(param) NOT LIKE 'utm\\_%';
    RETURN CASE WHEN _scheme IN ('', 'http', 'https') THEN '' ELSE _scheme || ':' END
        || '//' || _host || regexp_replace(array_to_string(_path, '/'), '/+$', '')
        || coalesce('?' || array_to_string(_query, '&'), '');
END; $$;
"""
