"""Load the seed cases of defections/seed.py, with their Russian (seed_ru.py): each entry once.

`make run` and the container start run it every time; a second run writes nothing, and an
editor's edits, retractions and deletions of seeded rows stay as they are. The one write to a
row it added before: a database seeded before the seed had Russian gets it once, in the rows
whose English is still the seed's and whose Russian nobody wrote; likewise each correction of
seed.CORRECTIONS, once, where the value is still the one the seed wrote.
"""

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from defections import seed, seed_ru
from defections.dates import parse_partial_date
from defections.models import (
    Agency,
    Case,
    Citation,
    Motive,
    Period,
    Person,
    PersonAlias,
    Response,
    SeedRecord,
    Source,
)


def date_fields(text: str, prefix: str = "date") -> dict:
    parsed = parse_partial_date(text)
    return {
        f"{prefix}_start": parsed.start if parsed else None,
        f"{prefix}_end": parsed.end if parsed else None,
        f"{prefix}_precision": parsed.precision if parsed else "",
    }


class Loader:
    """Adds each seed entry once, by its stable key; never changes or revives a row.

    A key already in the ledger (SeedRecord) is skipped, whatever became of its row: edited,
    retracted or deleted, it stays so. A row that exists without a ledger entry (a database
    seeded before the ledger, or a record an editor entered first) is adopted, not changed.
    """

    def __init__(self):
        self.added = self.skipped = self.translated = self.corrected = 0
        self.ledger = set(SeedRecord.objects.values_list("key", flat=True))

    def add(self, key: str, model, lookup: dict, values: dict, after=None, russian=None):
        """The row for key: created (and `after` run on it) only if the seed never added it.
        russian: its Russian columns ({"summary_ru": ...}), written with it (see translate)."""
        russian = {column: text for column, text in (russian or {}).items() if text}
        existing = model.objects.filter(**lookup).first()
        if key in self.ledger or existing is not None:
            self.skipped += 1
            if key not in self.ledger:
                self._record(key)  # adopted, never changed
            else:
                self.correct(key, existing)
                if russian:
                    self.translate(f"{key}/ru", existing, values, russian)
            return existing
        obj = model(**lookup, **values, **russian)
        # Field checks here; uniqueness and the named constraints are the database's to refuse
        # (checking them in Python too would cost a query each).
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        if after is not None:
            after(obj)
        self.added += 1
        self._record(key)
        for field in seed.CORRECTIONS.get(key, {}):
            self._record(f"{key}/fix:{field}")  # added as corrected: nothing to correct later
        if russian:
            self._record(f"{key}/ru")
        return obj

    def translate(self, key: str, row, english: dict, russian: dict):
        """Once (key): the seed's Russian into a row the seed added before it had any, if the
        row's English is still the seed's and its Russian columns are all empty."""
        if row is None or key in self.ledger:
            return
        self._record(key)
        if any(getattr(row, column) for column in russian) or any(
                getattr(row, column.removesuffix("_ru")) != english.get(column.removesuffix("_ru"))
                for column in russian):
            return
        for column, text in russian.items():
            setattr(row, column, text)
        row.save()
        self.translated += 1

    def correct(self, key: str, row):
        """Once per field: the seed's correction of a value it wrote before, if nobody changed it."""
        changed = []
        for field, (was, now) in seed.CORRECTIONS.get(key, {}).items():
            if row is None or f"{key}/fix:{field}" in self.ledger:
                continue
            self._record(f"{key}/fix:{field}")
            if getattr(row, field) == was:
                setattr(row, field, now)
                changed.append(field)
        if changed:
            row.save()
            self.corrected += 1

    def _record(self, key):
        SeedRecord.objects.create(key=key)
        self.ledger.add(key)

    def cite(self, source, key: str, target: dict, citations):
        if source is None or None in target.values():
            return
        for paragraph, claim, quote in citations:
            locator = f"para. {paragraph}"
            self.add(f"{key}/citation:{locator}:{claim}", Citation,
                     {"source": source, **target, "locator": locator, "claim": claim},
                     {"quote": quote})

    def load(self):
        article = dict(seed.ARTICLE, published_on=date.fromisoformat(seed.ARTICLE["published_on"]))
        url = article.pop("url")
        source = self.add(f"source:{url}", Source, {"url": url}, article)

        motives = {
            slug: self.add(f"motive:{slug}", Motive, {"slug": slug},
                           {"name": name, "description": description},
                           russian=named_ru(*seed_ru.MOTIVES[slug]))
            for slug, name, description in seed.MOTIVES
        }
        for slug, name, start, end, description in seed.PERIODS:
            self.add(f"period:{slug}", Period, {"slug": slug}, {
                "name": name, "description": description, "start": date.fromisoformat(start),
                "end": date.fromisoformat(end) if end else None,
            }, russian=named_ru(*seed_ru.PERIODS[slug]))

        agencies = {}
        for slug, (name, acronym, native, kind, country, parent, predecessor, since, until) in (
            seed.AGENCIES.items()
        ):
            # The seed lists parents and predecessors before the agencies that name them.
            agencies[slug] = self.add(f"agency:{slug}", Agency, {"slug": slug}, {
                "name": name, "acronym": acronym, "native_name": native, "kind": kind,
                "country": country, "active_from": since, "active_until": until,
                "parent": agencies.get(parent) if parent else None,
                "predecessor": agencies.get(predecessor) if predecessor else None,
            }, russian={"name_ru": seed_ru.AGENCIES[slug]})

        people = {}
        for name, (native, aliases, death) in seed.PEOPLE.items():
            people[name] = person = self.add(f"person:{name}", Person, {"name": name},
                                             {"native_name": native, **date_fields(death, "death")})
            for alias in aliases:
                if person is not None:
                    self.add(f"person:{name}/alias:{alias}", PersonAlias,
                             {"person": person, "name": alias}, {})

        for entry in seed.CASES:
            russian = seed_ru.CASES[entry["person"], entry["form"]]
            person = people[entry["person"]]
            key = f"case:{entry['person']}:{entry['form']}"
            if person is None:
                self.skipped += 1
                continue
            case = self.add(key, Case, {"person": person, "form": entry["form"]}, {
                **date_fields(entry["date"]),
                "agency": agencies.get(entry["agency"]) if entry["agency"] else None,
                "role": entry["role"],
                # Every seed case is of the Russian Federation's service unless it says otherwise.
                "country_from": entry.get("country_from", "RU"),
                "destination_country": entry.get("destination_country", ""),
                "visibility": entry["visibility"],
                "verification": entry["verification"],
                "classification": entry["classification"],
                "summary": entry["summary"],
                "narrative": entry.get("narrative", ""),
                "status": "published",
            }, russian={"role_ru": seed_ru.ROLES.get(entry["role"], ""), "summary_ru": russian["summary"],
                        "narrative_ru": russian.get("narrative")},
                after=lambda case, entry=entry: case.motives.set(
                [motives[slug] for slug in entry["motives"] if motives.get(slug)]))
            self.cite(source, key, {"case": case}, entry["citations"])
            for item in entry["responses"]:
                response = self.add(f"{key}/response:{item['kind']}", Response,
                                    {"case": case, "kind": item["kind"]}, {
                                        **date_fields(item["date"]), "description": item["description"],
                                    }, russian={"description_ru": russian["responses"][item["kind"]]},
                                    ) if case is not None else None
                self.cite(source, f"{key}/response:{item['kind']}", {"response": response},
                          item["citations"])


def named_ru(name: str, description: str) -> dict:
    return {"name_ru": name, "description_ru": description}


class Command(BaseCommand):
    help = "Load the cases, people, agencies and periods named by the source article."

    def handle(self, *args, **options):
        with transaction.atomic():
            loader = Loader()
            loader.load()
        self.stdout.write(f"Seed: {loader.added} rows added, {loader.skipped} skipped (added "
                          f"before, or already there: the seed never changes or revives a row); "
                          f"{loader.translated} seeded rows given their Russian, "
                          f"{loader.corrected} corrected; "
                          f"{Case.objects.count()} cases in the database.")
