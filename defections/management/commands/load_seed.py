"""Load the seed cases of defections/seed.py. Idempotent: a second run writes nothing."""

from datetime import date

from django.core.management.base import BaseCommand
from django.db import models, transaction

from defections import seed
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
    Source,
)


def date_fields(text: str, prefix: str = "date") -> dict:
    parsed = parse_partial_date(text)
    return {
        f"{prefix}_start": parsed.start if parsed else None,
        f"{prefix}_end": parsed.end if parsed else None,
        f"{prefix}_precision": parsed.precision if parsed else "",
    }


def comparable(value):
    """A value as the model field holds it: a related object by its key."""
    return value.pk if isinstance(value, models.Model) else value


class Loader:
    def __init__(self):
        self.written = 0

    def upsert(self, model, lookup: dict, values: dict):
        """Create the row, or change only the fields that differ; never touch an equal row."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
        else:
            changed = {
                name: value for name, value in values.items()
                if model._meta.get_field(name).value_from_object(obj) != comparable(value)
            }
            if not changed:
                return obj
            for name, value in changed.items():
                setattr(obj, name, value)
        # Field checks here; uniqueness and the named constraints are the database's to refuse
        # (checking them in Python too would cost a query each).
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        self.written += 1
        return obj

    def set_m2m(self, manager, objects):
        if set(manager.all()) != set(objects):
            manager.set(objects)
            self.written += 1

    def cite(self, source, target: dict, citations):
        for paragraph, claim, quote in citations:
            self.upsert(Citation, {"source": source, **target, "locator": f"para. {paragraph}",
                                   "claim": claim}, {"quote": quote})

    def load(self):
        article = dict(seed.ARTICLE, published_on=date.fromisoformat(seed.ARTICLE["published_on"]))
        source = self.upsert(Source, {"url": article.pop("url")}, article)

        motives = {
            slug: self.upsert(Motive, {"slug": slug}, {"name": name, "description": description})
            for slug, name, description in seed.MOTIVES
        }
        for slug, name, start, end, description in seed.PERIODS:
            self.upsert(Period, {"slug": slug}, {
                "name": name, "description": description, "start": date.fromisoformat(start),
                "end": date.fromisoformat(end) if end else None,
            })

        agencies = {}
        for slug, (name, acronym, native, kind, country, _parent, _pred, since, until) in (
            seed.AGENCIES.items()
        ):
            agencies[slug] = self.upsert(Agency, {"slug": slug}, {
                "name": name, "acronym": acronym, "native_name": native, "kind": kind,
                "country": country, "active_from": since, "active_until": until,
            })
        for slug, (*_, parent, predecessor, _since, _until) in seed.AGENCIES.items():
            self.upsert(Agency, {"slug": slug}, {
                "parent": agencies[parent] if parent else None,
                "predecessor": agencies[predecessor] if predecessor else None,
            })

        people = {}
        for name, (native, aliases, death) in seed.PEOPLE.items():
            people[name] = self.upsert(Person, {"name": name},
                                       {"native_name": native, **date_fields(death, "death")})
            for alias in aliases:
                self.upsert(PersonAlias, {"person": people[name], "name": alias}, {})

        for entry in seed.CASES:
            case = self.upsert(Case, {"person": people[entry["person"]], "form": entry["form"]}, {
                **date_fields(entry["date"]),
                "agency": agencies[entry["agency"]] if entry["agency"] else None,
                "role": entry["role"],
                "destination_country": entry.get("destination_country", ""),
                "visibility": entry["visibility"],
                "verification": entry["verification"],
                "classification": entry["classification"],
                "summary": entry["summary"],
                "narrative": entry.get("narrative", ""),
                "status": "published",
            })
            self.set_m2m(case.motives, [motives[slug] for slug in entry["motives"]])
            self.cite(source, {"case": case}, entry["citations"])
            for item in entry["responses"]:
                response = self.upsert(Response, {"case": case, "kind": item["kind"]}, {
                    **date_fields(item["date"]), "description": item["description"],
                })
                self.cite(source, {"response": response}, item["citations"])


class Command(BaseCommand):
    help = "Load the cases, people, agencies and periods named by the source article."

    def handle(self, *args, **options):
        loader = Loader()
        with transaction.atomic():
            loader.load()
        self.stdout.write(f"Seed loaded: {loader.written} rows written, "
                          f"{Case.objects.count()} cases in the database.")
