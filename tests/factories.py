import factory
from django.db import transaction
from factory.django import DjangoModelFactory

from defections import models


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = models.Person

    name = factory.Sequence(lambda n: f"Test Person {n}")


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = models.Agency

    name = factory.Sequence(lambda n: f"Test Agency {n}")
    slug = factory.Sequence(lambda n: f"test-agency-{n}")
    kind = "intelligence"


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = models.Source

    title = factory.Sequence(lambda n: f"Report {n}")
    url = factory.Sequence(lambda n: f"https://example.org/report-{n}")
    kind = "news"


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = models.Case
        skip_postgeneration_save = True

    @classmethod
    def create(cls, **kwargs):
        with transaction.atomic():  # the case and its citation commit together
            return super().create(**kwargs)

    person = factory.SubFactory(PersonFactory)
    form = "geographic"
    summary = "A test case."
    status = "published"
    country_from = "RU"  # what publishing needs chosen (no defaults: tests/test_invariants.py)
    verification = "reported"
    classification = "certain"

    @factory.post_generation
    def sourced(obj, create, extracted, **kwargs):
        """A published case cites a source (PostgreSQL checks it at commit, and so does a
        test's teardown): one is added unless the test passes `sourced=False` and cites its own."""
        if create and extracted is not False and obj.status == "published" \
                and not obj.citations.exists():
            models.Citation.objects.create(case=obj, source=SourceFactory(), locator="p. 1")

    @factory.post_generation
    def date(obj, create, extracted, **kwargs):
        if extracted is not None:
            obj.date = extracted
            if create:
                obj.save()


class MotiveFactory(DjangoModelFactory):
    class Meta:
        model = models.Motive

    slug = factory.Sequence(lambda n: f"motive-{n}")
    name = factory.Sequence(lambda n: f"Motive {n}")
