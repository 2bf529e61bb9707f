"""The codebook as models. What each field and value means: docs/codebook.md."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import reduce
from operator import or_

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from defections import changes, choices, field_names, invariants, languages
from defections.choices import help_text
from defections.dates import Precision, check_interval, format_partial_date, parse_partial_date


def tracked(**options):
    """Record every insert, update (queryset.update too) and delete, by database trigger.

    The middleware adds who and from which URL; the admin shows the diffs and reverts.
    """
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(),
                           pghistory.DeleteEvent(), **options)


# --- helpers that keep each rule written once --------------------------------------------


def choices_constraint(model: str, field: str, enum, *, blank: bool = False):
    """The database's copy of a field's choices, so a raw write cannot store a bad code."""
    allowed = Q(**{f"{field}__in": enum.values})
    if blank:
        allowed |= Q(**{field: ""})
    label = field.replace("_", " ")
    return models.CheckConstraint(
        condition=allowed,
        name=f"{model}_{field}_valid",
        violation_error_message=format_lazy(_("“%(value)s” is not a valid {field}."),
                                            field=field_names.FIELDS.get(label, label)),
    )


# What a published case must have chosen: blank on a draft, never defaulted.
PUBLISH_NEEDS_CHOSEN = ("country_from", "verification", "classification")


def published_chose(model: str, field: str):
    """A published record has field chosen (not blank)."""
    label = field.replace("_", " ")
    return models.CheckConstraint(
        condition=~Q(status=choices.Status.PUBLISHED) | ~Q(**{field: ""}),
        name=f"{model}_published_chose_{field}",
        violation_error_message=format_lazy(_("A published case needs a value for “{field}”."),
                                            field=field_names.FIELDS.get(label, label)),
    )


DATE_LABELS = {"date": _("date"), "birth": _("birth"), "death": _("death")}


def partial_date_constraints(model: str, prefix: str = "date"):
    start, end, precision = f"{prefix}_start", f"{prefix}_end", f"{prefix}_precision"
    label = DATE_LABELS.get(prefix, prefix.replace("_", " "))
    return [
        models.CheckConstraint(
            condition=(
                Q(**{f"{start}__isnull": True, f"{end}__isnull": True, precision: ""})
                | (Q(**{f"{start}__isnull": False, f"{end}__isnull": False}) & ~Q(**{precision: ""}))
            ),
            name=f"{model}_{prefix}_complete",
            violation_error_message=format_lazy(_("The {label} needs its start, end and precision "
                                                  "together (or none of them)."), label=label),
        ),
        models.CheckConstraint(
            condition=Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": F(end)}),
            name=f"{model}_{prefix}_start_before_end",
            violation_error_message=format_lazy(_("The {label} ends before it starts."), label=label),
        ),
        choices_constraint(model, precision, Precision, blank=True),
    ]


def partial_date_fields(label: str):
    """The three columns of a partial date: start, end, precision."""
    return (
        models.DateField(f"{label} from", null=True, blank=True),
        models.DateField(f"{label} until", null=True, blank=True),
        models.CharField(
            f"{label} precision", max_length=8, choices=Precision, blank=True,
            help_text=help_text(Precision),
        ),
    )


class Dated(models.Model):
    """A partial date, typed as text ("March 2026") and stored as an interval."""

    date_start, date_end, date_precision = partial_date_fields("date")

    class Meta:
        abstract = True

    @property
    def date(self) -> str:
        return format_partial_date(self.date_start, self.date_end, self.date_precision)

    @date.setter
    def date(self, text: str) -> None:
        parsed = parse_partial_date(text)
        self.set_date(parsed.start if parsed else None, parsed.end if parsed else None,
                      parsed.precision if parsed else "")

    def set_date(self, start, end, precision) -> None:
        check_interval(start, end, precision)
        self.date_start, self.date_end, self.date_precision = start, end, precision or ""


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Authored(Timestamped):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        abstract = True


class Unaccented(Func):
    """A name as search compares it, without accents.

    unaccent() is only STABLE; migration 0001 wraps it in an IMMUTABLE function so
    that trigram indexes can be built on it.
    """

    function = "defections_unaccent"
    output_field = models.TextField()


class NameKey(Func):
    """A name as search compares it: unaccented, lower case, with the Latin spellings of one
    Cyrillic letter folded to one (Bonya, Bonia, Boniya: "bonia"). Migration 0033 defines
    the IMMUTABLE function, so trigram indexes can be built on it (defections/search.py)."""

    function = "defections_name_key"
    output_field = models.TextField()


# --- vocabulary ------------------------------------------------------------------------------


@tracked()
class Motive(models.Model):
    """An editable vocabulary of reasons to defect."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100, blank=True)
    description = models.TextField(blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)

    class Meta:
        ordering = ["name"]
        triggers = [changes.MOTIVE_MARKS]

    def __str__(self):
        return str(languages.text(self, "name"))  # in the reader's language


@tracked()
class Period(models.Model):
    """A named period of instability. Cases fall into one by their date, never by hand: the
    database places them (defections/invariants.py)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100, blank=True)
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text=_("Blank while the period lasts."))
    description = models.TextField(blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__lte=F("end")),
                name="period_start_before_end",
                violation_error_message=_("The period ends before it starts."),
            ),
            ExclusionConstraint(
                name="period_no_overlap",
                expressions=[
                    (Func(F("start"), F("end"), Value("[]"), function="daterange"),
                     RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Periods may not overlap: a case falls into one period."),
            ),
        ]
        # Every change to the periods places the cases again (invariants.py).
        triggers = [invariants.periods_place_cases, changes.PERIOD_MARKS]

    def __str__(self):
        return str(languages.text(self, "name"))  # in the reader's language

    def clean(self):
        # Said here too, so that the overlap check never sees a backwards range.
        if self.end is not None and self.start is not None and self.start > self.end:
            raise ValidationError({"end": _("The period ends before it starts.")})


# --- people and agencies ------------------------------------------------------------------


# What a public queryset filters, orders and counts by instead of a column an at-risk case
# hides or a case withholds (the aliases that `visible_to` sets: defections/visibility.py).
SHOWN = {"date_start": "shown_start", "date_end": "shown_end", "updated_at": "shown_updated",
         "destination_country": "shown_destination_country", "period__slug": "shown_period_slug"}


class ShownMixin:
    def shown(self, field: str) -> str:
        """The column to filter or order by for field ("-date_start" too): its public
        stand-in when `visible_to` set one, else the field itself."""
        name = field.lstrip("-")
        if SHOWN.get(name) in self.query.annotations:
            return field.replace(name, SHOWN[name])
        return field

    def details_shown(self):
        """The records whose details (beyond name, form and year) the reader sees."""
        from defections import visibility

        return visibility.details_shown(self)

    def known(self, *fields):
        """The records whose details, and these withholdable fields ("date"), the reader sees."""
        from defections import visibility

        return visibility.known(self, *fields)


class PersonQuerySet(ShownMixin, models.QuerySet):
    def public(self):
        """People with at least one published case."""
        return self.filter(pk__in=Case.objects.public().values("person_id"))

    def visible_to(self, user):
        """The people user may see: the one door (defections/visibility.py)."""
        from defections import visibility

        return visibility.people(self, user)


@tracked()
class Person(Timestamped):
    name = models.CharField(max_length=200, help_text=_("Display name, in Latin transliteration."))
    native_name = models.CharField(max_length=200, blank=True, help_text=_("In Cyrillic."))
    birth_start, birth_end, birth_precision = partial_date_fields("birth")
    death_start, death_end, death_precision = partial_date_fields("death")
    citizenship = CountryField(multiple=True, blank=True)
    bio = models.TextField(blank=True)
    bio_ru = models.TextField(_("bio (Russian)"), blank=True)
    wikidata_qid = models.CharField(
        "Wikidata QID", max_length=20, blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*$", _("A Wikidata QID looks like “Q42”."))],
    )
    at_risk = models.BooleanField(
        default=False,
        help_text=_("Only the name, form and year of this person's cases are public."),
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        triggers = [changes.PERSON_MARKS]
        verbose_name_plural = "people"
        constraints = [
            *partial_date_constraints("person", "birth"),
            *partial_date_constraints("person", "death"),
            models.CheckConstraint(
                condition=Q(birth_start__isnull=True) | Q(death_end__isnull=True)
                | Q(birth_start__lte=F("death_end")),
                name="person_born_before_death",
                violation_error_message=_("The person dies before they are born."),
            ),
            models.CheckConstraint(
                condition=Q(wikidata_qid="") | Q(wikidata_qid__regex=r"^Q[1-9][0-9]*$"),
                name="person_wikidata_qid_format",
                violation_error_message=_("A Wikidata QID looks like “Q42”."),
            ),
            models.UniqueConstraint(
                fields=["wikidata_qid"], condition=~Q(wikidata_qid=""),
                name="person_wikidata_qid_unique",
                violation_error_message=_("Another person has this Wikidata QID."),
            ),
        ]
        indexes = [
            GinIndex(OpClass(NameKey("name"), name="gin_trgm_ops"), name="person_name_trgm"),
            GinIndex(OpClass(NameKey("native_name"), name="gin_trgm_ops"),
                     name="person_native_name_trgm"),
            # The people at risk, read by every public case query (visibility.cases): a few
            # index entries instead of a scan of every person.
            models.Index(fields=["id"], name="person_at_risk", condition=Q(at_risk=True)),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("person-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        # One spelling of a name: "oleg  gordievsky" is stored, shown and matched single-spaced.
        self.name, self.native_name = (" ".join(text.split()) for text in (self.name, self.native_name))
        # A save that changes only fields withheld from the public keeps the public change time.
        if kwargs.get("update_fields") is None and not self._state.adding and (
                changed := quiet_change(self, set())):
            kwargs["update_fields"] = changed
        super().save(*args, **kwargs)

    @property
    def birth(self) -> str:
        return format_partial_date(self.birth_start, self.birth_end, self.birth_precision)

    @property
    def death(self) -> str:
        return format_partial_date(self.death_start, self.death_end, self.death_precision)


@tracked()
class PersonAlias(models.Model):
    """Another spelling or name of a person (Butsaev, Буцаев), searched like the name."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        triggers = [changes.ALIAS_MARKS]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(fields=["person", "name"], name="alias_unique_per_person",
                                    violation_error_message=_("This person already has this alias.")),
        ]
        indexes = [GinIndex(OpClass(NameKey("name"), name="gin_trgm_ops"), name="alias_name_trgm")]

    def __str__(self):
        return self.name


class AgencyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The agencies user may see: the one door (defections/visibility.py)."""
        from defections import visibility

        return visibility.agencies(self, user)


class AgencyManager(models.Manager.from_queryset(AgencyQuerySet)):
    def tree(self, roots) -> RawSQL:
        """The given agencies and everything under them, as a recursive subquery.

        Use it in a filter (`InArray(F("agency_id"), Agency.objects.tree(ids))`): it runs
        inside the outer query, so filtering by an agency costs no query of its own, and as an
        array, so the cases are looked up by agency in its index (at 1,000,000 cases a facet
        read 160 ms instead of 300 ms scanning every published case: bench/README.md).
        """
        table = self.model._meta.db_table
        return RawSQL(
            f"""WITH RECURSIVE tree(id) AS (
                    SELECT id FROM {table} WHERE id = ANY(%s)
                    UNION
                    SELECT a.id FROM {table} a JOIN tree ON a.parent_id = tree.id
                ) SELECT id FROM tree""",
            ([int(pk) for pk in roots],),
        )

    def tree_ids(self, roots) -> list[int]:
        return list(self.filter(pk__in=self.tree(roots)).values_list("pk", flat=True))


@tracked()
class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    acronym = models.CharField(max_length=20, blank=True)
    native_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=choices.AgencyKind,
                            help_text=help_text(choices.AgencyKind))
    country = CountryField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text=_("The body it belongs to (a mission under the foreign ministry)."),
    )
    predecessor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="successors",
        help_text=_("The body it replaced (NKVD → MGB → KGB → FSB)."),
    )
    active_from = models.PositiveSmallIntegerField("active from (year)", null=True, blank=True)
    active_until = models.PositiveSmallIntegerField("active until (year)", null=True, blank=True)
    description = models.TextField(blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)

    objects = AgencyManager()

    class Meta:
        ordering = ["name"]
        triggers = [changes.AGENCY_MARKS]
        verbose_name_plural = "agencies"
        constraints = [
            choices_constraint("agency", "kind", choices.AgencyKind),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True) | Q(active_until__isnull=True)
                | Q(active_from__lte=F("active_until")),
                name="agency_active_from_before_until",
                violation_error_message=_("The agency stops before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="agency_not_own_parent",
                violation_error_message=_("An agency cannot be its own parent."),
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("pk")), name="agency_not_own_predecessor",
                violation_error_message=_("An agency cannot be its own predecessor."),
            ),
        ]

    def __str__(self):
        name = languages.text(self, "name")  # in the reader's language
        if name.lang == languages.DEFAULT and self.acronym:
            return f"{name} ({self.acronym})"
        return str(name)  # a Russian name carries its own acronym (МГБ)

    def get_absolute_url(self):
        return reverse("agency-detail", args=[self.pk])

    def clean(self):
        # A cycle through parents cannot be a row constraint; refuse it here.
        if self.pk is not None and self.parent_id == self.pk:
            return  # the named constraint agency_not_own_parent says it
        seen, node = {self.pk}, self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("This parent would make the hierarchy a loop.")})
            seen.add(node.pk)
            node = node.parent

    def descendant_ids(self) -> list[int]:
        """This agency and everything under it, in one recursive query."""
        return Agency.objects.tree_ids([self.pk])




class AffiliationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The affiliations user may see: the one door (defections/visibility.py)."""
        from defections import visibility

        return visibility.affiliations(self, user)


@tracked()
class Affiliation(Dated):
    """A person's post in an agency over time (the Popolo membership)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="affiliations")
    role = models.CharField(max_length=200, blank=True)
    role_ru = models.CharField(_("role (Russian)"), max_length=200, blank=True)

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        ordering = ["date_start", "pk"]
        triggers = [changes.AFFILIATION_MARKS]
        constraints = partial_date_constraints("affiliation")

    def __str__(self):
        role = self.role or gettext("member")
        return f"{self.person}: {role}, {self.agency}"


# --- sources ------------------------------------------------------------------------------


class SourceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The sources user may see: the one door (defections/visibility.py)."""
        from defections import visibility

        return visibility.sources(self, user)

    def with_url(self, url: str):
        """The source at this address however it is written (its URL key; see Source.url_key)."""
        return self.filter(url_key=Func(Value(url), function=invariants.URL_KEY_FUNCTION))


@tracked(exclude=["origin", "url_key"])  # derived by the database
class Source(Timestamped):
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=200, blank=True)
    outlet = models.CharField(max_length=200, blank=True)
    url = models.URLField("URL", max_length=1000, blank=True)
    # The URL as one address however it is written (http or https, host case, `www.`, port,
    # trailing slash, fragment, utm_* parameters, parameter order, percent escapes, dot
    # segments, a Unicode host): the database's own function (invariants.URL_KEY), so that one
    # article is one source by every path.
    url_key = models.GeneratedField(
        expression=Func(F("url"), function=invariants.URL_KEY_FUNCTION),
        output_field=models.CharField(max_length=1000), db_persist=True)
    archived_url = models.URLField("archived URL", max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True, help_text=_("ISO 639-1, e.g. “en”, “ru”."))
    # Blank: not yet coded (a source is entered with the facts one has).
    kind = models.CharField(max_length=16, choices=choices.SourceKind, blank=True,
                            help_text=help_text(choices.SourceKind))
    reliability = models.CharField(max_length=8, choices=choices.Reliability,
                                   default=choices.Reliability.UNKNOWN,
                                   help_text=help_text(choices.Reliability))
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derivatives",
        help_text=_("The source this one repeats: a reprint, a wire copy, a repost, a translation. "
                    "A source and what derives from it count as one origin."))
    # The root of the derived-from chain (the source itself when it derives from none): set
    # by the database, so that every path keeps it and no chain loops (invariants.py).
    origin = models.ForeignKey("self", null=True, blank=True, editable=False, related_name="+",
                               on_delete=models.DO_NOTHING)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "title"]
        triggers = [invariants.source_origin, invariants.source_origin_passes_down,
                    invariants.origins_keep_cases_confirmed, changes.SOURCE_MARKS]
        constraints = [
            models.UniqueConstraint(fields=["url_key"], condition=~Q(url_key=""),
                                    name="source_url_key_unique",
                                    violation_error_message=_("A source with this URL exists.")),
            choices_constraint("source", "kind", choices.SourceKind, blank=True),
            choices_constraint("source", "reliability", choices.Reliability),
        ]

    def __str__(self):
        return f"{self.outlet}: {self.title}" if self.outlet else self.title

    def get_absolute_url(self):
        return reverse("source-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The database set the origin (invariants.py): read it back.
        self.origin_id = Source.objects.filter(pk=self.pk).values_list("origin_id", flat=True).first()

    def clean(self):
        # Said here too (the database refuses it: source_url_key_unique), naming the source.
        if self.url and (taken := Source.objects.with_url(self.url).exclude(pk=self.pk).first()):
            raise ValidationError({"url": gettext("A source with this URL exists: “%(source)s” "
                                                  "(#%(id)s).") % {"source": taken, "id": taken.pk}})
        # Said here too (the database refuses it: invariants.source_origin) for a form error.
        if self.derived_from_id is not None and self.pk is not None and (
                self.derived_from_id == self.pk or self in self.derived_from.chain()):
            raise ValidationError({"derived_from": _("A source cannot derive from itself, even "
                                                     "through others.")})

    def validate_constraints(self, exclude=None):
        """As Django's, but the URL key's: clean() says it, naming the source that has it."""
        super().validate_constraints({*(exclude or ()), "url_key"})

    def chain(self) -> list[Source]:
        """What this source derives from, nearest first, up to its origin."""
        found, at = [], self.derived_from
        while at is not None and at not in found:
            found.append(at)
            at = at.derived_from
        return found


# --- cases ---------------------------------------------------------------------------------


def quiet_change(record, quiet: set[str], idle_is_quiet: bool = False) -> set[str] | None:
    """The fields of record changed since stored, when all are in quiet or withheld from the
    public today (defections/withholding.py); else None. Saving only those keeps
    `updated_at`: the public would read a change time for a change it cannot see.
    idle_is_quiet: a save that changes nothing (but who saved) is quiet too, for a record
    whose related rows move its change time themselves (a case's, by trigger)."""
    fields = {f.attname: f for f in record._meta.concrete_fields if not f.generated}
    stored = type(record).objects.filter(pk=record.pk).values(*fields).first()
    if stored is None:
        return None
    changed = {name for name, field in fields.items()  # as stored: a list of countries is text
               if field.get_prep_value(stored[name]) != field.get_prep_value(getattr(record, name))}
    changed.discard("updated_at")
    changed = {"updated_by" if name == "updated_by_id" else name for name in changed}
    withheld = Withholding.objects.active().filter(**{record._meta.model_name: record.pk})
    quiet = quiet | {column for field in withheld.values_list("field", flat=True)
                     for column in WITHHELD_COLUMNS.get(field, ())}
    # Else something besides who saved it: a save that changes nothing may carry related rows
    # saved after it (a person's aliases) that move the change time by no trigger.
    return changed if (idle_is_quiet or changed - {"updated_by"}) and changed <= quiet else None


class CaseQuerySet(ShownMixin, models.QuerySet):
    def public(self):
        """Published cases: what `visible_to` starts from for the public."""
        return self.filter(status=choices.Status.PUBLISHED)

    def needing_review(self):
        """Cases coded under an older definition of a value they hold (defections/codebook.py)."""
        from defections import codebook

        return self.filter(codebook.needing_review())

    def visible_to(self, user):
        """The cases user may see, and how: the one door every face starts from
        (defections/visibility.py). None or anonymous: the public."""
        from defections import visibility

        return visibility.cases(self, user)

    def for_list(self):
        """What a list of cases shows, in a fixed number of queries (the search column is
        for PostgreSQL only: large, and never shown)."""
        return (self.select_related("person", "agency", "period").prefetch_related("motives")
                .defer("search_vector"))

    def in_years(self, year_min: int | None = None, year_max: int | None = None):
        """Cases whose date interval (as shown: see `shown`) overlaps the years; undated
        cases drop out."""
        qs = self
        if year_min is not None:
            qs = qs.filter(**{f"{self.shown('date_end')}__gte": date(year_min, 1, 1)})
        if year_max is not None:  # a shown start is in the year of the start: same test
            qs = qs.filter(date_start__lte=date(year_max, 12, 31))
        return qs


class CaseManager(models.Manager.from_queryset(CaseQuerySet)):
    def visible_to(self, user):
        """The door from `Case.objects`: the public's is built once a day per thread and
        copied (visibility.public_cases); a related manager (a person's cases) builds it on
        its own rows."""
        from defections import visibility, withholding

        if type(self) is CaseManager and not visibility.is_staff(user):
            return visibility.public_cases(withholding.today(), self._db)
        return super().visible_to(user)


@tracked(exclude=["search_vector"])
class Case(Dated, Authored):
    """One act of defection by one person."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="cases", help_text=_("Where the person served then."))
    role = models.CharField(max_length=200, blank=True, help_text=_("Post or rank at the time."))
    role_ru = models.CharField(_("role (Russian)"), max_length=200, blank=True)
    form = models.CharField(max_length=16, choices=choices.Form, help_text=help_text(choices.Form))
    # Blank until chosen (a default would be a claim no source made); publishing needs them
    # (the case_published_chose_* constraints).
    country_from = CountryField(blank=True, help_text=_("The state they broke with."))
    destination_country = CountryField(blank=True, help_text=_("Where they went (geographic cases)."))
    place = models.CharField(max_length=200, blank=True)
    motives = models.ManyToManyField(Motive, blank=True, related_name="cases")
    visibility = models.CharField(max_length=16, choices=choices.Visibility,
                                  default=choices.Visibility.UNKNOWN,
                                  help_text=help_text(choices.Visibility))
    verification = models.CharField(max_length=16, choices=choices.Verification, blank=True,
                                    help_text=help_text(choices.Verification))
    classification = models.CharField(max_length=16, choices=choices.Classification, blank=True,
                                      help_text=help_text(choices.Classification))
    period = models.ForeignKey(Period, null=True, blank=True, editable=False,
                               on_delete=models.SET_NULL, related_name="cases",
                               help_text=_("Derived from the date."))
    summary = models.TextField(blank=True, help_text=_("One or two sentences, in our own words."))
    summary_ru = models.TextField(_("summary (Russian)"), blank=True)
    narrative = models.TextField(blank=True)
    narrative_ru = models.TextField(_("narrative (Russian)"), blank=True)
    status = models.CharField(max_length=16, choices=choices.Status, default=choices.Status.DRAFT,
                              help_text=help_text(choices.Status))
    restricted_notes = models.TextField(blank=True, help_text=_("Staff only. Never public."))
    retraction_note = models.TextField(
        blank=True, help_text=_("Public: why the case was retracted, shown where it was "
                                "(its address answers 410 with this notice)."))
    retraction_note_ru = models.TextField(_("retraction note (Russian)"), blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True, editable=False,
                                        help_text=_("Set by the database when the case is retracted."))
    # Which codebook the case was coded under, and who signed it off: set when it is published
    # and when an editor signs it off anew (defections/codebook.py).
    codebook_version = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False,
        help_text=_("The codebook version the case was coded under (set on publish and sign-off)."))
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                      on_delete=models.SET_NULL, related_name="+")
    search_vector = models.GeneratedField(
        expression=SearchVector("role", weight="B", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("narrative", weight="C", config="english")
        + SearchVector("role_ru", weight="B", config="russian")
        + SearchVector("summary_ru", weight="B", config="russian")
        + SearchVector("narrative_ru", weight="C", config="russian"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = CaseManager()

    class Meta:
        ordering = ["date_start", "pk"]
        permissions = [("publish_case", "Can publish and retract cases, and edit any case")]
        constraints = [
            *partial_date_constraints("case"),
            choices_constraint("case", "form", choices.Form),
            choices_constraint("case", "visibility", choices.Visibility),
            choices_constraint("case", "verification", choices.Verification, blank=True),
            choices_constraint("case", "classification", choices.Classification, blank=True),
            *(published_chose("case", field) for field in PUBLISH_NEEDS_CHOSEN),
            choices_constraint("case", "status", choices.Status),
            models.CheckConstraint(
                condition=~Q(status=choices.Status.PUBLISHED) | ~Q(summary=""),
                name="case_published_has_summary",
                violation_error_message=_("A published case needs a summary."),
            ),
        ]
        triggers = [invariants.case_is_sourced, invariants.case_period, invariants.case_retracted_at,
                    changes.CASE_MARKS]
        indexes = [
            GinIndex(fields=["search_vector"], name="case_search_vector"),
            models.Index(fields=["status", "date_start"], name="case_status_date"),
            models.Index(fields=["date_end"], name="case_date_end"),
            # Published cases in list order, with the columns the usual filters test and
            # the facets group by: a page's ids come from an index-only scan, however deep
            # the page (defections/paging.py), and so do the counts of a new filter
            # combination (the table's pages are ten times the index's).
            models.Index(fields=["date_start", "id"], name="case_published_date",
                         include=["form", "date_end", "agency_id", "person_id", "verification", "period_id",
                                  "destination_country"],
                         condition=Q(status=choices.Status.PUBLISHED)),
        ]

    def __str__(self):
        when = f", {self.date}" if self.date_start else ""
        return f"{self.person}: {self.get_form_display().lower()}{when}"

    def get_absolute_url(self):
        return reverse("case-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not self._state.adding and (
                changed := self.staff_only_change()) is not None:
            kwargs["update_fields"] = changed
        if self.status == choices.Status.PUBLISHED and self.stored_status() != choices.Status.PUBLISHED:
            self.sign_off(self.updated_by)  # published now: under the codebook of now
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "codebook_version", "signed_off_by"}
        super().save(*args, **kwargs)
        # The database set the period and the retraction time (invariants.py): read them back.
        self.period_id, self.retracted_at = Case.objects.filter(pk=self.pk).values_list(
            "period_id", "retracted_at").first()

    def validate_constraints(self, exclude=None):
        """Django's check of the constraints, with what a published case has not chosen said
        of its field: the admin form marks the field, the API's 400 is keyed by it."""
        try:
            super().validate_constraints(exclude)
        except ValidationError as error:
            unchosen = {str(c.get_violation_error_message()): c.name.removeprefix("case_published_chose_")
                        for c in self._meta.constraints if c.name.startswith("case_published_chose_")}
            errors: dict[str, list] = {}
            for name, items in error.error_dict.items():
                for item in items:
                    errors.setdefault(unchosen.get(str(item.message), name), []).append(item)
            raise ValidationError(errors) from error

    def stored_status(self) -> str | None:
        if self._state.adding:
            return None
        return Case.objects.filter(pk=self.pk).values_list("status", flat=True).first()

    def sign_off(self, user):
        """Record that user checked the case against the current codebook."""
        from defections import codebook

        self.codebook_version, self.signed_off_by = codebook.CURRENT, user

    # What the public never sees: a save that changes only these (and the fields withheld
    # from the public today) keeps `updated_at`, which the public does see (else it would
    # tell them when the staff notes, or a withheld value, were edited).
    STAFF_ONLY_FIELDS = {"restricted_notes", "updated_by"}

    def staff_only_change(self) -> set[str] | None:
        """The fields changed since stored, when the public sees none of them; else None."""
        return quiet_change(self, self.STAFF_ONLY_FIELDS, idle_is_quiet=True)

    def account_groups(self) -> list[tuple[str, list, bool]]:
        """The accounts by the fact they tell: (claim label, accounts, contested: more than one
        not deprecated, as the `contested` filter counts)."""
        groups: dict[str, list] = {}
        for account in self.accounts.all():
            groups.setdefault(account.get_claim_display(), []).append(account)
        return [(claim, accounts, sum(a.rank != choices.Rank.DEPRECATED for a in accounts) > 1)
                for claim, accounts in groups.items()]

    @property
    def source_count(self) -> int:
        return len({citation.source_id for citation in self.citations.all()})

    @property
    def origin_count(self) -> int:
        """How many independent origins the case's sources come from (a reprint counts with
        its original): what `confirmed` needs two of."""
        return len({citation.source.origin_id for citation in self.citations.all()})

    @property
    def version(self) -> str:
        """What a save compares to refuse a stale one: the change time, and the staff notes
        and the fields that can be withheld (whose edits may leave the public change time
        as it was)."""
        quiet = [self.restricted_notes, *(str(getattr(self, name)) for name in WITHHOLDABLE_COLUMNS)]
        notes = hashlib.sha256("\x1f".join(quiet).encode()).hexdigest()[:12]
        return f"{self.updated_at.isoformat()}/{notes}"


# A case's motives (the many-to-many table Django made) are recorded too: a motive added or
# taken away shows in the case's history.
tracked(model_name="CaseMotiveEvent", obj_field=pghistory.ObjForeignKey(
    related_name="+", db_constraint=False))(Case.motives.through)


@tracked(exclude=["search_vector"])
class Response(Dated):
    """What the state did to the person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(max_length=24, choices=choices.ResponseKind,
                            help_text=help_text(choices.ResponseKind))
    description = models.TextField(blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    # The description's words, for the case search (defections/search.py: `said`).
    search_vector = models.GeneratedField(
        expression=SearchVector("description", config="english")
        + SearchVector("description_ru", config="russian"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["date_start", "pk"]
        constraints = [
            *partial_date_constraints("response"),
            choices_constraint("response", "kind", choices.ResponseKind),
        ]
        triggers = [invariants.responses_touch_case, changes.RESPONSE_MARKS]
        indexes = [GinIndex(fields=["search_vector"], name="response_search_vector")]

    def __str__(self):
        when = f" ({self.date})" if self.date_start else ""
        return f"{self.get_kind_display()}{when}"


@tracked()
class Account(models.Model):
    """One account of a fact of a case, where sources tell it differently: the official version
    of a death beside the alleged one, two dates of a departure, disputed motives."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="accounts")
    claim = models.CharField(max_length=16, choices=choices.Claim, help_text=help_text(choices.Claim))
    statement = models.TextField(max_length=2000)
    holder = models.CharField(max_length=16, choices=choices.Holder, help_text=help_text(choices.Holder))
    rank = models.CharField(max_length=16, choices=choices.Rank, default=choices.Rank.NORMAL,
                            help_text=help_text(choices.Rank))

    class Meta:
        ordering = ["claim", "pk"]
        constraints = [
            choices_constraint("account", "claim", choices.Claim),
            choices_constraint("account", "holder", choices.Holder),
            choices_constraint("account", "rank", choices.Rank),
            models.CheckConstraint(condition=~Q(statement=""), name="account_has_statement",
                                   violation_error_message=_("An account says what it holds.")),
        ]
        triggers = [invariants.accounts_touch_case, changes.ACCOUNT_MARKS]

    def __str__(self):
        return f"{self.get_claim_display()}, {self.get_holder_display().lower()}: {self.statement[:60]}"


# What a citation backs: exactly one of these.
BACKED = ("case", "response", "affiliation", "account")


class CitationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The citations user may see: the one door (defections/visibility.py)."""
        from defections import visibility

        return visibility.citations(self, user)


@tracked()
class Citation(models.Model):
    """A source backing one case, response, affiliation or account."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="citations")
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="citations")
    affiliation = models.ForeignKey(Affiliation, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="citations")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="citations")
    locator = models.CharField(max_length=100, blank=True,
                               help_text=_("Where in the source: page, paragraph, timestamp."))
    quote = models.TextField(blank=True, max_length=1000)
    claim = models.CharField(max_length=16, choices=choices.Claim, default=choices.Claim.GENERAL,
                             help_text=help_text(choices.Claim))

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=reduce(or_, (Q(**{f"{name}__isnull": name != backed for name in BACKED})
                                       for backed in BACKED)),
                name="citation_backs_one_thing",
                violation_error_message=_("A citation backs exactly one case, response, "
                                          "affiliation or account."),
            ),
            choices_constraint("citation", "claim", choices.Claim),
        ]
        triggers = [invariants.citations_keep_cases_sourced, invariants.citations_touch_case,
                    changes.CITATION_MARKS]

    def __str__(self):
        return f"{self.source}, {self.locator}" if self.locator else str(self.source)


class DataVersion(models.Model):
    """One row whose `version` changes when any write to our tables commits.

    A database trigger sets it (migration 0006), so writes through the admin, the API,
    `queryset.update()` or raw SQL all count. Cached counts are keyed by it
    (defections/cache.py): a cache entry can never outlive the data it was computed from.
    """

    version = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(
            condition=Q(pk=1), name="dataversion_one_row",
            violation_error_message=_("There is one data version: the row with id 1."))]

    def __str__(self):
        return f"data version {self.version}"


class SeedRecord(models.Model):
    """A seed entry that `load_seed` has added once (its stable key in defections/seed.py).

    The seed is a starting point: once added, a row is the editors' — load_seed never
    changes it, and never brings it back if they delete it.
    """

    key = models.CharField(max_length=400, unique=True)
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key


# The change feed's ledger (defections/changes.py) is part of this app's models.
from defections.changes import ChangeEntry, ChangeFeed, ChangeMark, ChangeState  # noqa: E402, F401

# Fields withheld from the public until a day (defections/withholding.py), with their history.
from defections.withholding import CASE_FIELDS, PERSON_FIELDS, Withholding  # noqa: E402

# The columns each withheld field stands for (the period is derived: not saved by hand).
WITHHELD_COLUMNS = {field: tuple(c for c in columns if c != "period")
                    for field, columns in {**CASE_FIELDS, **PERSON_FIELDS}.items()}
WITHHOLDABLE_COLUMNS = [column for field in CASE_FIELDS for column in WITHHELD_COLUMNS[field]]

tracked()(Withholding)

# Every model's and field's name in the reader's language, with no change to migrations.
field_names.apply([Motive, Period, Person, PersonAlias, Agency, Affiliation, Source, Case, Response,
                   Account, Citation, Withholding])
