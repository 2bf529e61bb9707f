# Written by hand on 2026-11-28 (attack round 17, finding 3): the URL key folds more spellings.

import importlib

from django.db import migrations, models

# The functions a source's URL key is computed by, as SQL (defections/invariants.py, URL_KEY,
# when this was written): 0032's, and the order of query parameters, RFC 3986's normal form
# (percent escapes, dot segments) and a Unicode host's IDNA form besides.
URL_KEY = r"""
CREATE OR REPLACE FUNCTION defections_punycode(label text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    _points int[] := ARRAY(SELECT pg_catalog.ascii(c) FROM pg_catalog.regexp_split_to_table(label, '')
                            WITH ORDINALITY AS s(c, n) ORDER BY n);
    _out text := pg_catalog.regexp_replace(label, '[^\x01-\x7f]', '', 'g');
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

CREATE OR REPLACE FUNCTION defections_url_key(url text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    _parts text[];
    _scheme text;
    _host text;
    _port text;
    _labels text[];
    _rest text;
    _path text[] := '{}';
    _segment text;
    _query text[];
BEGIN
    url := btrim(url);
    _parts := regexp_match(url, '^(?:([A-Za-z][A-Za-z0-9+.-]*):)?//([^/?#]*)([^?#]*)(?:\?([^#]*))?');
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
        IF _labels[i] ~ '[^\x01-\x7f]' AND _labels[i] !~ '[@:\[\]]' THEN
            _labels[i] := 'xn--' || public.defections_punycode(_labels[i]);
        END IF;
    END LOOP;
    _host := regexp_replace(array_to_string(_labels, '.'), '^www\.', '')
        || CASE WHEN _port IN (':', ':80', ':443') THEN '' ELSE _port END;
    -- percent escapes: an unreserved character unescaped, the rest in upper case
    SELECT string_agg(CASE WHEN t[1] !~ '^%[0-9A-Fa-f]{2}$' THEN t[1]
                           WHEN upper(t[1]) ~ '^%(2D|2E|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])$'
                           THEN chr(get_byte(decode(substr(t[1], 2), 'hex'), 0))
                           ELSE upper(t[1]) END, '' ORDER BY n) INTO _rest
      FROM regexp_matches(_parts[3] || coalesce('?' || _parts[4], ''), '%[0-9A-Fa-f]{2}|[^%]+|%', 'g')
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
      FROM unnest(string_to_array(substring(_rest FROM '\?(.*)$'), '&')) WITH ORDINALITY AS p(param, n)
     WHERE param <> '' AND lower(param) NOT LIKE 'utm\_%';
    RETURN CASE WHEN _scheme IN ('', 'http', 'https') THEN '' ELSE _scheme || ':' END
        || '//' || _host || regexp_replace(array_to_string(_path, '/'), '/+$', '')
        || coalesce('?' || array_to_string(_query, '&'), '');
END; $$;
"""

BEFORE = importlib.import_module("defections.migrations.0032_published_cases_chose_and_url_keys")


class Migration(migrations.Migration):
    """A generated column's expression cannot be recomputed in place: the column and its unique
    constraint are dropped and made again under the new function, after the sources that it
    now finds at one address are named (0032's check: merging them is an editor's call)."""

    dependencies = [
        ('defections', '0033_name_keys_and_response_words'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='source',
            name='source_url_key_unique',
        ),
        migrations.RemoveField(
            model_name='source',
            name='url_key',
        ),
        migrations.RunSQL(URL_KEY, BEFORE.URL_KEY + "DROP FUNCTION IF EXISTS defections_punycode(text);"),
        migrations.RunPython(BEFORE.refuse_duplicate_sources, migrations.RunPython.noop),
        migrations.AddField(
            model_name='source',
            name='url_key',
            field=models.GeneratedField(db_persist=True, expression=models.Func(models.F('url'), function='defections_url_key'), output_field=models.CharField(max_length=1000)),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.UniqueConstraint(condition=models.Q(('url_key', ''), _negated=True), fields=('url_key',), name='source_url_key_unique', violation_error_message='A source with this URL exists.'),
        ),
    ]
