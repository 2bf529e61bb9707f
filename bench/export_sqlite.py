"""The peer's data: the demo database's public cases exported to SQLite for Datasette.

One wide `cases` table (a case joined with its person's and agency's names, its period
and the root of its agency tree, so that "agency=kgb including sub-agencies" is one
equality), `case_motives`, `agencies`, and an FTS5 table over names, aliases and
summary for `_search`. Only published cases: the peer serves what our public sees.

usage: export_sqlite.py OUT.db  (connection from BENCH_DB_* environment variables)
"""

import os
import sqlite3
import sys
import time

import psycopg2

CASES = """
WITH RECURSIVE tree(id, root) AS (
    SELECT id, slug FROM defections_agency WHERE parent_id IS NULL
    UNION ALL
    SELECT a.id, tree.root FROM defections_agency a JOIN tree ON a.parent_id = tree.id
)
SELECT c.id, c.person_id, p.name, p.native_name,
       (SELECT string_agg(name, '; ') FROM defections_personalias WHERE person_id = p.id),
       c.agency_id, a.name, a.acronym, a.slug, tree.root, c.role, c.form,
       c.date_start::text, c.date_end::text, c.date_precision,
       extract(year FROM c.date_start)::int, extract(year FROM c.date_end)::int,
       c.country_from, c.destination_country, c.verification, c.classification,
       per.slug, c.summary, c.updated_at::text
FROM defections_case c
JOIN defections_person p ON p.id = c.person_id
LEFT JOIN defections_agency a ON a.id = c.agency_id
LEFT JOIN tree ON tree.id = c.agency_id
LEFT JOIN defections_period per ON per.id = c.period_id
WHERE c.status = 'published'
ORDER BY c.id
"""
COLUMNS = ["id", "person_id", "person_name", "native_name", "aliases", "agency_id", "agency_name",
           "agency_acronym", "agency_slug", "agency_root", "role", "form", "date_start", "date_end",
           "date_precision", "year_start", "year_end", "country_from", "destination_country",
           "verification", "classification", "period", "summary", "updated_at"]


def main(out: str) -> None:
    started = time.monotonic()
    pg = psycopg2.connect(dbname=os.environ["BENCH_DB_NAME"], host=os.environ["BENCH_DB_HOST"],
                          port=os.environ["BENCH_DB_PORT"], user=os.environ["BENCH_DB_USER"])
    tmp = out + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    # Typed columns: Datasette's filters pass text ("1990"); only a column's affinity makes it a number.
    types = {"id": "INTEGER PRIMARY KEY", "person_id": "INTEGER", "agency_id": "INTEGER",
             "year_start": "INTEGER", "year_end": "INTEGER"}
    columns = ", ".join(f"{column} {types.get(column, 'TEXT')}" for column in COLUMNS)
    db.execute(f"CREATE TABLE cases ({columns})")
    db.execute("CREATE TABLE case_motives (case_id INTEGER, motive TEXT)")
    db.execute("CREATE TABLE agencies (id INTEGER PRIMARY KEY, name TEXT, slug TEXT, acronym TEXT, "
               "kind TEXT, parent_id INTEGER)")
    with pg.cursor(name="export") as cursor:
        cursor.itersize = 10_000
        cursor.execute(CASES)
        db.executemany(f"INSERT INTO cases VALUES ({', '.join('?' * len(COLUMNS))})", cursor)
    with pg.cursor() as cursor:
        cursor.execute("SELECT cm.case_id, m.slug FROM defections_case_motives cm "
                       "JOIN defections_motive m ON m.id = cm.motive_id")
        db.executemany("INSERT INTO case_motives VALUES (?, ?)", cursor.fetchall())
        cursor.execute("SELECT id, name, slug, acronym, kind, parent_id FROM defections_agency")
        db.executemany("INSERT INTO agencies VALUES (?, ?, ?, ?, ?, ?)", cursor.fetchall())
    # The indexes a Datasette user would add for these filters and facets.
    for columns in ("form", "agency_root", "year_end", "year_start", "date_start, id", "period",
                    "verification", "agency_id", "person_id"):
        db.execute(f"CREATE INDEX cases_{columns.replace(', ', '_')} ON cases ({columns})")
    db.execute("CREATE INDEX case_motives_case ON case_motives (case_id)")
    db.execute("CREATE VIRTUAL TABLE cases_fts USING fts5(person_name, native_name, aliases, summary, "
               "content='cases', content_rowid='id')")
    db.execute("INSERT INTO cases_fts (rowid, person_name, native_name, aliases, summary) "
               "SELECT id, person_name, native_name, aliases, summary FROM cases")
    db.commit()
    db.execute("ANALYZE")
    db.close()
    os.replace(tmp, out)
    print(f"exported to {out} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1])
