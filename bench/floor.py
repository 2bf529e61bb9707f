"""The floor: a bare WSGI app that runs exactly the SQL our app ran for a request and
returns the rows as JSON (psycopg2 + orjson, no Django). What is left of our time
above this is the price of Django, DRF, templates and serializers.

BENCH_QUERIES names the JSON written by bench/capture.py: for each request path (with
its query string), the SQL statements in order. A `DECLARE … CURSOR FOR <select>`
(Django's .iterator()) is replayed as a server-side cursor, streamed like our CSV.
"""

import json
import os

import orjson
import psycopg2

CAPTURED = json.load(open(os.environ["BENCH_QUERIES"]))
DATABASE = CAPTURED["database"]
ROUTES = {r["path"]: r["sql"] for r in CAPTURED["requests"] if r.get("sql")}
_connection = None


def default(value):
    """What orjson does not know: numeric (EXTRACT's Decimal), arrays of those, …"""
    return float(value) if hasattr(value, "as_integer_ratio") else str(value)


def dumps(rows) -> bytes:
    return orjson.dumps(rows, default=default)


def connection():
    """One connection per worker, as Django keeps one per thread (CONN_MAX_AGE aside)."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(dbname=DATABASE["dbname"], host=DATABASE["host"],
                                       port=DATABASE["port"], user=DATABASE["user"],
                                       options=DATABASE["options"])
        _connection.autocommit = True
    return _connection


def run(statements):
    """Yield the JSON body in pieces: one piece per query, a streamed one per 1000 rows."""
    conn = connection()
    yield b"["
    for n, statement in enumerate(statements):
        if n:
            yield b","
        if statement.startswith("DECLARE "):
            select = statement[statement.index(" FOR ") + 5:]
            with conn.cursor(name="floor_stream", withhold=True) as cursor:  # as Django declares it
                cursor.execute(select)
                yield b"["
                first = True
                while rows := cursor.fetchmany(1000):
                    piece = dumps(rows)[1:-1]
                    yield piece if first else b"," + piece
                    first = False
                yield b"]"
            continue
        with conn.cursor() as cursor:
            cursor.execute(statement)
            yield dumps(cursor.fetchall() if cursor.description else [])
    yield b"]"


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    statements = ROUTES.get(path)
    if statements is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not a benchmarked request\n"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return run(statements)
