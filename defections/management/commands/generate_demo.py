"""Synthetic cases for benchmarks, in a database of their own (never the default one).

Skews like the real thing: most cases fall in the periods of instability, a few
agencies have most of the cases (a long tail after them), names are Russian in
Cyrillic with a Latin transliteration and, often, an alias. Every row says it is
synthetic, and the database carries a comment saying so: the command only ever
drops a database that has that comment.

Fast because it does what a bulk load should: rows are built as plain tuples with
our own ids and sent with COPY; the non-constraint indexes (GIN trigram and full
text among them) are dropped first and rebuilt once at the end; triggers (history
and foreign-key checks) are off for the load's session (`session_replication_role
= replica`; the rows are consistent by construction, and the test checks the
joins); commit is asynchronous; VACUUM ANALYZE afterwards so that the planner and
index-only scans see the data as a long-lived database would.
"""

import io
import random
import time
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from psycopg2 import sql

from defections import choices, invariants, languages, seed
from defections.dates import CIRCA_YEARS
from defections.models import (
    Agency,
    Case,
    Citation,
    Motive,
    Period,
    Person,
    PersonAlias,
    Response,
    Source,
)
from defections.search import transliterate

ALIAS = "demo"
MARK = "synthetic data from generate_demo: safe to drop"
# Until the load has finished: a run that fails leaves nothing that looks ready to reuse.
UNFINISHED = f"{MARK} (unfinished)"
CHUNK = 50_000  # rows per COPY: bounded memory for a million cases

FIRST = ["Александр", "Алексей", "Андрей", "Борис", "Вадим", "Василий", "Виктор", "Владимир",
         "Геннадий", "Григорий", "Дмитрий", "Евгений", "Иван", "Игорь", "Илья", "Кирилл",
         "Константин", "Леонид", "Максим", "Михаил", "Никита", "Николай", "Олег", "Павел",
         "Пётр", "Роман", "Сергей", "Станислав", "Юрий", "Ярослав", "Анна", "Валентина",
         "Виктория", "Галина", "Екатерина", "Елена", "Ирина", "Марина", "Мария", "Наталья",
         "Ольга", "Светлана", "Татьяна", "Юлия"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
        "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
        "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
        "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
        "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
        "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
        "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
        "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
        "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов"]
COUNTRIES = ["US", "GB", "DE", "FR", "FI", "IL", "GE", "AM", "KZ", "LV", "LT", "EE", "UA", "PL",
             "CZ", "ES", "IT", "CH", "TR", "AE", "RS", "CA", "AU", "NO", "SE"]
ROLES = ["officer", "colonel", "major", "lieutenant", "deputy minister", "department head",
         "diplomat", "first secretary", "analyst", "engineer", "executive", "adviser", "pilot"]
USSR_END = date(1991, 12, 26)


def feminine(surname: str, first: str) -> str:
    return surname + "а" if first[-1] in "ая" and surname.endswith(("ов", "ев", "ёв", "ин")) else surname


def copy_value(value) -> str:
    """One field in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Command(BaseCommand):
    help = "Fill a separate database (default: <name>_demo) with synthetic cases for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--database-name", help="Target database (default: <default name>_demo)")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data")

    def handle(self, *args, cases, database_name=None, seed=1, **options):
        default = settings.DATABASES["default"]
        name = database_name or f"{default['NAME']}_demo"
        if name == default["NAME"]:
            raise CommandError("Synthetic data never goes into the default database.")
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        self.verbosity = options.get("verbosity", 1)
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).isoformat()
        self.started = time.monotonic()
        self.recreate_database(default, name)
        try:
            self.load(cases)
        except BaseException:
            connections[ALIAS].close()
            with connections["default"].cursor() as cursor:  # nothing half-made to reuse
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)).as_string(cursor.connection))
            raise
        with connections["default"].cursor() as cursor:
            self.comment(cursor, name, MARK)
        self.stdout.write(f"{cases} synthetic cases written to the database “{name}” in "
                          f"{time.monotonic() - self.started:.0f} s. Serve them with "
                          f"EMBEDDED_DB_NAME={name} (embedded) or a DATABASE_URL naming {name}.")

    def load(self, cases: int) -> None:
        call_command("migrate", database=ALIAS, verbosity=0)
        self.step("migrate")
        connection = connections[ALIAS]
        with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers, no FK checks
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            indexes = self.drop_indexes(cursor)
            self.generate(cursor, cases)
            self.step("load")
            cursor.execute(invariants.DERIVE_PERIODS)  # triggers are off: place the cases once
            self.step("periods")
            for definition in indexes:
                cursor.execute(definition)
            self.step(f"rebuild {len(indexes)} indexes")
            self.reset_sequences(cursor)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        self.step("vacuum analyze")
        connection.close()

    def step(self, what: str) -> None:
        if self.verbosity > 1:
            self.stdout.write(f"  {time.monotonic() - self.started:6.1f} s  {what}")

    # --- the database ---------------------------------------------------------------------

    def recreate_database(self, default: dict, name: str) -> None:
        """Drop and create `name`, but drop only a database this command made (it has MARK)."""
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                           "WHERE datname = %s", [name])
            row = cursor.fetchone()
            if row is not None and row[0] not in (MARK, UNFINISHED):
                raise CommandError(f"The database “{name}” exists and was not made by generate_demo: "
                                   "refusing to drop it. Choose another --database-name.")
            if row is not None:
                cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                    sql.Identifier(name)).as_string(cursor.connection))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(
                sql.Identifier(name)).as_string(cursor.connection))
            self.comment(cursor, name, UNFINISHED)
        connections.settings[ALIAS] = {**default, "NAME": name}
        connections.settings[ALIAS].setdefault("TEST", {})
        if ALIAS in connections:
            connections[ALIAS].close()
            del connections[ALIAS]

    @staticmethod
    def comment(cursor, name: str, text: str) -> None:
        cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(text)).as_string(cursor.connection))

    def drop_indexes(self, cursor) -> list[str]:
        """Drop the indexes no constraint owns; return their definitions to rebuild them."""
        cursor.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename LIKE 'defections\\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid =
                              (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
        """)
        rows = cursor.fetchall()
        for index, _ in rows:
            cursor.execute(f'DROP INDEX "{index}"')
        return [definition for _, definition in rows]

    def reset_sequences(self, cursor) -> None:
        for model in (Motive, Period, Agency, Source, Person, PersonAlias, Case, Response, Citation,
                      Case.motives.through):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                           f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)', [table])

    def copy(self, cursor, model, columns: list[str], rows) -> int:
        """COPY rows (tuples, in `columns` order) into the model's table, CHUNK at a time.
        The Russian texts are left empty (the columns have no database default)."""
        russian = [languages.column(field, "ru") for field in languages.translated_fields(model)
                   if languages.column(field, "ru") not in columns]
        columns = [*columns, *russian]
        rows = (tuple(row) + ("",) * len(russian) for row in rows)
        names = ", ".join(f'"{column}"' for column in columns)
        statement = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN'
        count, buffer = 0, io.StringIO()

        def flush():
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
            buffer.seek(0)
            buffer.truncate()

        for row in rows:
            buffer.write("\t".join(map(copy_value, row)))
            buffer.write("\n")
            count += 1
            if count % CHUNK == 0:
                flush()
        if buffer.tell():
            flush()
        return count

    # --- the data -------------------------------------------------------------------------

    def generate(self, cursor, n_cases: int) -> None:
        rng, now = self.rng, self.now
        motives = list(range(1, len(seed.MOTIVES) + 1))
        self.copy(cursor, Motive, ["id", "slug", "name", "description"],
                  ((i, s, n, d) for i, (s, n, d) in enumerate(seed.MOTIVES, 1)))
        periods = [Period(pk=i, slug=s, name=n, start=date.fromisoformat(a),
                          end=date.fromisoformat(b) if b else None, description=d)
                   for i, (s, n, a, b, d) in enumerate(seed.PERIODS, 1)]
        self.copy(cursor, Period, ["id", "slug", "name", "start", "end", "description"],
                  ((p.pk, p.slug, p.name, p.start, p.end, p.description) for p in periods))
        agencies = self.make_agencies(cursor)
        n_sources = max(10, n_cases // 5)
        # Each source its own origin (the database's trigger is off for the load).
        self.copy(cursor, Source, ["id", "created_at", "updated_at", "title", "author", "outlet", "url",
                                   "archived_url", "published_on", "language", "kind", "reliability",
                                   "origin_id"],
                  ((i, now, now, f"Synthetic report {i}", "", f"Demo Outlet {i % 40}",
                    f"https://demo.invalid/source/{i}", "",
                    date(1990, 1, 1) + timedelta(days=rng.randrange(13000)),
                    rng.choice(["en", "ru", "en", "de"]), rng.choice(choices.SourceKind.values),
                    rng.choice(choices.Reliability.values), i)
                   for i in range(1, n_sources + 1)))
        n_people = self.make_people(cursor, int(n_cases * 0.8) or 1)
        self.step("motives, periods, agencies, sources, people")

        # A few agencies get most cases: weights fall off as 1/rank.
        agency_weights = list(accumulate(1 / (rank + 1) for rank in range(len(agencies))))
        period_weights = list(accumulate([3, 2, 2, 3, 6]))
        forms, form_weights = ["geographic", "articulated", "final"], list(accumulate([6, 3, 1]))
        verification, verification_weights = choices.Verification.values, list(accumulate([2, 5, 2, 1]))
        statuses, status_weights = choices.Status.values, list(accumulate([3, 1, 94, 2]))
        visibility, classification = choices.Visibility.values, choices.Classification.values
        choices_, random_ = rng.choices, rng.random
        confirmed = set()  # cases that need sources of two origins

        def cases():
            for i in range(1, n_cases + 1):
                start, end, precision = self.random_date(periods, period_weights)
                checked = choices_(verification, cum_weights=verification_weights)[0]
                if checked == choices.Verification.CONFIRMED:
                    confirmed.add(i)
                form = choices_(forms, cum_weights=form_weights)[0]
                mid = start + (end - start) / 2 if start else None
                role = rng.choice(ROLES)
                yield (
                    i, start, end, precision, now, now, role, form,
                    "SU" if mid and mid <= USSR_END else "RU",
                    rng.choice(COUNTRIES) if form == "geographic" else "", "",
                    rng.choice(visibility), checked,
                    rng.choice(classification),
                    f"Synthetic case {i} for benchmarks: a {role} who left "
                    f"{'quietly' if random_() < 0.5 else 'in protest'}.",
                    "", choices_(statuses, cum_weights=status_weights)[0], "", "",
                    choices_(agencies, cum_weights=agency_weights)[0] if random_() < 0.9 else None,
                    None,  # the period: placed by the database's own rule after the load
                    # Every person has a case; a fifth of the cases are someone's second act.
                    i if i <= n_people else rng.randint(1, n_people),
                )

        self.copy(cursor, Case, ["id", "date_start", "date_end", "date_precision", "created_at",
                                 "updated_at", "role", "form", "country_from", "destination_country",
                                 "place", "visibility", "verification", "classification", "summary",
                                 "narrative", "status", "restricted_notes", "retraction_note",
                                 "agency_id", "period_id",
                                 "person_id"], cases())
        self.step("cases")

        self.copy(cursor, Case.motives.through, ["case_id", "motive_id"],
                  ((c, m) for c in range(1, n_cases + 1)
                   for m in rng.sample(motives, rng.choice([1, 1, 2]))))
        responses = [(c, rng.choice(choices.ResponseKind.values))
                     for c in range(1, n_cases + 1) for _ in range(rng.choice([0, 0, 1, 1, 2]))]
        self.copy(cursor, Response, ["id", "date_precision", "kind", "description", "case_id"],
                  ((i, "", kind, "Synthetic response.", case) for i, (case, kind) in enumerate(responses, 1)))

        def citations():
            i = 0
            for case in range(1, n_cases + 1):
                count = rng.choice([1, 1, 2, 3])
                for source in rng.sample(range(1, n_sources + 1), max(count, 2 * (case in confirmed))):
                    i += 1
                    yield (i, f"p. {rng.randint(1, 300)}", "", "general", case, None, source)
            for response in range(1, len(responses) // 2 + 1):
                i += 1
                yield (i, "", "", "response", None, response, rng.randint(1, n_sources))

        self.copy(cursor, Citation, ["id", "locator", "quote", "claim", "case_id", "response_id",
                                     "source_id"], citations())

    def make_agencies(self, cursor) -> list[int]:
        """The seed's agencies (with their tree) and two levels of directorates under each."""
        rng = self.rng
        ids = {slug: i for i, slug in enumerate(seed.AGENCIES, 1)}
        rows = [(ids[slug], f"{name} (demo)", f"demo-{slug}", acronym, native, kind, country,
                 ids.get(parent), ids.get(predecessor), start, until, "Synthetic agency.")
                for slug, (name, acronym, native, kind, country, parent, predecessor, start, until)
                in seed.AGENCIES.items()]
        level = [(row[0], row[3] or row[2], row[5], row[6]) for row in rows]
        for depth in range(2):
            children = []
            for parent, label, kind, country in level:
                for n in range(rng.randint(1, 6)):
                    pk = len(rows) + 1
                    rows.append((pk, f"Directorate {n} of {label} (level {depth + 1}, demo)",
                                 f"demo-{pk}", "", "", kind, country, parent, None, None, None,
                                 "Synthetic agency."))
                    children.append((pk, f"{label}/{n}", kind, country))
            level = children
        self.copy(cursor, Agency, ["id", "name", "slug", "acronym", "native_name", "kind", "country",
                                   "parent_id", "predecessor_id", "active_from", "active_until",
                                   "description"], rows)
        agencies = [row[0] for row in rows]
        rng.shuffle(agencies)
        return agencies

    def make_people(self, cursor, n: int) -> int:
        rng, now = self.rng, self.now
        names = []

        def people():
            for i in range(1, n + 1):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                native = f"{first} {feminine(last, first)}"
                name = transliterate(native)
                if rng.random() < 0.3:
                    names.append((i, name))
                yield (i, now, now, name, native, None, None, "", None, None, "", "RU",
                       "Synthetic person for benchmarks.", "", rng.random() < 0.01)

        self.copy(cursor, Person, ["id", "created_at", "updated_at", "name", "native_name", "birth_start",
                                   "birth_end", "birth_precision", "death_start", "death_end",
                                   "death_precision", "citizenship", "bio", "wikidata_qid", "at_risk"],
                  people())
        self.copy(cursor, PersonAlias, ["id", "name", "person_id"],
                  ((i, name.replace("y", "i").replace("kh", "h") + " (alias)", person)
                   for i, (person, name) in enumerate(names, 1)))
        return n

    def random_date(self, periods, period_weights):
        """Most dates fall inside a period of instability; a few are unknown."""
        rng = self.rng
        if rng.random() < 0.05:
            return None, None, ""
        if rng.random() < 0.7:
            period = rng.choices(periods, cum_weights=period_weights)[0]
            last = period.end or date(2026, 6, 30)
            day = period.start + timedelta(days=rng.randrange((last - period.start).days + 1))
        else:
            day = date(1925, 1, 1) + timedelta(days=rng.randrange(36500))
        precision = rng.choices(["day", "month", "year", "circa", "decade"], [3, 4, 3, 1, 1])[0]
        if precision == "day":
            return day, day, precision
        if precision == "month":
            nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            return day.replace(day=1), nxt - timedelta(days=1), precision
        if precision == "decade":
            first = day.year - day.year % 10
            return date(first, 1, 1), date(first + 9, 12, 31), precision
        if precision == "circa":  # as the parser stores "c. 1953" (defections/dates.py)
            return date(day.year - CIRCA_YEARS, 1, 1), date(day.year + CIRCA_YEARS, 12, 31), precision
        return date(day.year, 1, 1), date(day.year, 12, 31), precision
