"""Synthetic cases for benchmarks, in a database of their own (never the default one).

Skews like the real thing: most cases fall in the periods of instability, a few
agencies have most of the cases (a long tail after them), names are Russian in
Cyrillic with a Latin transliteration and, often, an alias. Every row says it is
synthetic. Bulk inserts, about a minute for 100,000 cases.
"""

import random
import time
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import accumulate

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from psycopg2 import sql

from defections import choices, seed
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


def feminine(surname: str, first: str) -> str:
    return surname + "а" if first[-1] in "ая" and surname.endswith(("ов", "ев", "ёв", "ин")) else surname


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
        self.rng = random.Random(seed)
        started = time.monotonic()
        self.recreate_database(default, name)
        call_command("migrate", database=ALIAS, verbosity=0)
        with self.history_off(), transaction.atomic(using=ALIAS):
            self.generate(cases)
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"{cases} synthetic cases written to the database “{name}” in "
                          f"{time.monotonic() - started:.0f} s. Serve them with "
                          f"EMBEDDED_DB_NAME={name} (embedded) or a DATABASE_URL naming {name}.")

    def recreate_database(self, default: dict, name: str) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)).as_string(cursor.connection))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(
                sql.Identifier(name)).as_string(cursor.connection))
        connections.settings[ALIAS] = {**default, "NAME": name}
        connections.settings[ALIAS].setdefault("TEST", {})
        if ALIAS in connections:
            connections[ALIAS].close()
            del connections[ALIAS]

    @contextmanager
    def history_off(self):
        """Synthetic rows have no history worth keeping: load them with the history triggers off."""
        tables = [m._meta.db_table for m in apps.get_app_config("defections").get_models()]
        with connections[ALIAS].cursor() as cursor:
            for table in tables:
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            yield
            for table in tables:
                cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')

    def bulk(self, model, rows):
        return model.objects.using(ALIAS).bulk_create(rows, batch_size=5000)

    def generate(self, n_cases: int) -> None:
        rng = self.rng
        motives = self.bulk(Motive, [Motive(slug=s, name=n, description=d) for s, n, d in seed.MOTIVES])
        periods = self.bulk(Period, [
            Period(slug=s, name=n, start=date.fromisoformat(a), end=date.fromisoformat(b) if b else None,
                   description=d) for s, n, a, b, d in seed.PERIODS])
        agencies = self.make_agencies()
        sources = self.bulk(Source, [
            Source(title=f"Synthetic report {i}", outlet=f"Demo Outlet {i % 40}",
                   url=f"https://demo.invalid/source/{i}", kind=rng.choice(choices.SourceKind.values),
                   reliability=rng.choice(choices.Reliability.values),
                   published_on=date(1990, 1, 1) + timedelta(days=rng.randrange(13000)))
            for i in range(max(10, n_cases // 5))])
        people = self.make_people(int(n_cases * 0.8) or 1)

        # A few agencies get most cases: weights fall off as 1/rank.
        agency_weights = list(accumulate(1 / (rank + 1) for rank in range(len(agencies))))
        statuses = choices.Status.values
        case_rows = []
        for i in range(n_cases):
            start, end, precision = self.random_date(periods)
            form = rng.choices(["geographic", "articulated", "final"], [6, 3, 1])[0]
            case = Case(
                person=people[i % len(people)] if i < len(people) else rng.choice(people),
                agency=rng.choices(agencies, cum_weights=agency_weights)[0] if rng.random() < 0.9 else None,
                role=rng.choice(ROLES), form=form,
                date_start=start, date_end=end, date_precision=precision,
                destination_country=rng.choice(COUNTRIES) if form == "geographic" else "",
                visibility=rng.choice(choices.Visibility.values),
                verification=rng.choices(choices.Verification.values, [2, 5, 2, 1])[0],
                classification=rng.choice(choices.Classification.values),
                summary=f"Synthetic case {i} for benchmarks: a {rng.choice(ROLES)} who left "
                        f"{'quietly' if rng.random() < 0.5 else 'in protest'}.",
                status=rng.choices(statuses, [3, 1, 94, 2])[0],
            )
            mid = case.date_midpoint
            case.period_id = Case.period_id_for(mid, periods)
            case_rows.append(case)
        cases = self.bulk(Case, case_rows)

        through = Case.motives.through
        self.bulk(through, [through(case_id=c.pk, motive_id=m.pk)
                            for c in cases for m in rng.sample(motives, rng.choice([1, 1, 2]))])
        responses = self.bulk(Response, [
            Response(case=c, kind=rng.choice(choices.ResponseKind.values),
                     description="Synthetic response.")
            for c in cases for _ in range(rng.choice([0, 0, 1, 1, 2]))])
        citations = [Citation(case=c, source=rng.choice(sources), locator=f"p. {rng.randint(1, 300)}",
                              claim="general") for c in cases for _ in range(rng.choice([1, 1, 2, 3]))]
        citations += [Citation(response=r, source=rng.choice(sources), claim="response")
                      for r in responses[: len(responses) // 2]]
        self.bulk(Citation, citations)

    def make_agencies(self) -> list[Agency]:
        rng = self.rng
        roots = self.bulk(Agency, [
            Agency(name=f"{name} (demo)", slug=f"demo-{slug}", acronym=acronym, kind=kind,
                   country=country)
            for slug, (name, acronym, _native, kind, country, *_rest) in seed.AGENCIES.items()])
        agencies = list(roots)
        for depth in range(2):
            parents = agencies[:]
            children = [Agency(name=f"Directorate {i} of {parent.acronym or parent.slug} "
                                    f"(level {depth + 1}, demo)",
                               slug=f"{parent.slug}-d{depth}-{i}", kind=parent.kind,
                               country=parent.country, parent=parent)
                        for parent in parents for i in range(rng.randint(1, 6))]
            agencies += self.bulk(Agency, children)
        rng.shuffle(agencies)
        return agencies

    def make_people(self, n: int) -> list[Person]:
        rng = self.rng
        people, aliases = [], []
        for _ in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            native = f"{first} {feminine(last, first)}"
            people.append(Person(name=transliterate(native), native_name=native,
                                 bio="Synthetic person for benchmarks."))
        people = self.bulk(Person, people)
        for person in people:
            if rng.random() < 0.3:
                aliases.append(PersonAlias(person=person, name=person.name.replace("y", "i")
                                           .replace("kh", "h") + " (alias)"))
        self.bulk(PersonAlias, aliases)
        return people

    def random_date(self, periods):
        """Most dates fall inside a period of instability; a few are unknown."""
        rng = self.rng
        if rng.random() < 0.05:
            return None, None, ""
        if rng.random() < 0.7:
            period = rng.choices(periods, [3, 2, 2, 3, 6])[0]
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
        return date(day.year, 1, 1), date(day.year, 12, 31), precision
