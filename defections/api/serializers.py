"""What the API shows and accepts.

Reads nest brief objects (`"person": {"id", "name"}`); writes take the same field as
an id (`"person": 12`), vocabulary by slug, dates as text or as the start/end/precision
triple. Every write runs the model's own checks, so a bad write is a 400, never a 500.
"""

import copy
from functools import cached_property

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.serializers import CountryFieldMixin
from rest_framework import exceptions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.settings import api_settings

from defections import choices, duplicates, permissions, redaction, visibility, workflow
from defections.api.languages import BilingualSerializerMixin as Bilingual
from defections.dates import EXAMPLES, check_interval, parse_partial_date
from defections.models import (
    Account,
    Affiliation,
    Agency,
    Case,
    Citation,
    Motive,
    Period,
    Person,
    PersonAlias,
    Response,
    Source,
    Withholding,
)
from defections.slugs import unique_slug
from defections.withholding import CASE_FIELDS, PERSON_FIELDS

STAFF_PERMISSION = visibility.STAFF_PERMISSION
DATE_HELP = format_lazy(_("A partial date as written: {examples}. Write it as this text or as the "
                          "start/end/precision triple."), examples=EXAMPLES)


def reader(context):
    """Whom the answer is for (None: the public, as in the open-data export)."""
    request = context.get("request")
    return request.user if request else None


def is_staff(context) -> bool:
    """Staff (holders of view_case) see drafts, restricted notes and at-risk people's details."""
    return visibility.is_staff(reader(context))


class RedactedMixin:
    """Shows the record as redacted for the reader: the rule is defections/redaction.py's."""

    def to_representation(self, instance):
        instance = redaction.redact(instance, reader(self.context))
        return redaction.strip(instance, super().to_representation(instance))


def drf_error(error: DjangoValidationError, field: str | None = None) -> serializers.ValidationError:
    if field is None and hasattr(error, "error_dict"):
        detail = {(api_settings.NON_FIELD_ERRORS_KEY if k == NON_FIELD_ERRORS else k): v
                  for k, v in error.message_dict.items()}
        return serializers.ValidationError(detail)
    return serializers.ValidationError({field or api_settings.NON_FIELD_ERRORS_KEY: error.messages})


# --- brief objects, nested in reads ------------------------------------------------------------


class PersonBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name", "native_name"]


class PersonNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name"]


class AgencyBriefSerializer(Bilingual, serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "name_ru", "acronym", "native_name"]


class SourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "url"]


class PeriodBriefSerializer(Bilingual, serializers.ModelSerializer):
    class Meta:
        model = Period
        fields = ["id", "slug", "name", "name_ru"]


class SelfLinkField(serializers.HyperlinkedIdentityField):
    """The record's API address, without the request's `?format=`."""

    def get_url(self, obj, view_name, request, format):
        return f"{self.prefix(view_name, request)}{obj.pk}/"

    def prefix(self, view_name, request) -> str:
        # Resolved once per serializer, not per record: a list reversed the URL and
        # checked the request's host 50 times a page.
        if getattr(self, "_prefix", None) is None:
            self._prefix = link_prefix(view_name, request)
        return self._prefix


def link_prefix(view_name, request) -> str:
    """A record's API address without its id, for this request's host."""
    url = reverse(view_name, kwargs={"pk": 0})
    assert url.endswith("/0/"), url
    url = url[: -len("0/")]
    return request.build_absolute_uri(url) if request else url


class BriefRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation written as an id and read as a brief object (schema: see schema.py)."""

    def __init__(self, brief, **kwargs):
        self.brief = brief
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    @cached_property
    def brief_serializer(self):
        # One serializer per field, reused for every value: building one per value made DRF
        # rebuild its fields each time (most of a list's cost, by the benchmark's profile).
        return self.brief(context=self.context)

    def to_representation(self, value):
        return self.brief_serializer.to_representation(value)


# --- shared behaviour -------------------------------------------------------------------------


class PartialDateMixin:
    """Partial dates (`date_prefixes`) written as text or as the triple, never both."""

    date_prefixes = ("date",)

    def validate(self, attrs):
        for prefix in self.date_prefixes:
            triple = [f"{prefix}_start", f"{prefix}_end", f"{prefix}_precision"]
            given = [name for name in triple if name in attrs]
            try:
                if prefix in attrs:
                    if given:
                        raise DjangoValidationError(
                            gettext("Give the %(field)s as text or as %(parts)s, not both.")
                            % {"field": prefix, "parts": ", ".join(triple)})
                    parsed = parse_partial_date(attrs.pop(prefix))
                    attrs.update(zip(triple, (parsed.start, parsed.end, parsed.precision) if parsed
                                     else (None, None, ""), strict=True))
                elif given:
                    values = [attrs.get(name, getattr(self.instance, name, None)) for name in triple]
                    check_interval(*values)
                    attrs[triple[2]] = values[2] or ""
            except DjangoValidationError as error:
                raise drf_error(error, prefix) from error
        return super().validate(attrs)


class CleanModelSerializer(CountryFieldMixin, serializers.ModelSerializer):
    """Runs the model's clean(), constraints and uniqueness checks before saving, and asks the
    permission door about the record as it will be saved (the viewset's object permission
    asked about it as stored)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {field.name for field in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        try:
            permissions.authorize_save(self.context["request"].user, instance)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        try:
            instance.full_clean(exclude=[f.name for f in model._meta.concrete_fields if f.generated])
        except DjangoValidationError as error:
            raise drf_error(error) from error
        return attrs


class DuplicateGuardMixin:
    """The duplicate guard of the admin form, for the API (defections/duplicates.py): a write
    that may make a record already entered is a 400 under `save_anyway` naming it, unless the
    client sends `"save_anyway": true`. Each serializer declares the write-only field (with
    its own help) and says what is similar: duplicates(attrs) -> a message, or None."""

    def hidden_columns(self):
        """CSV columns left out for this client: save_anyway is write-only."""
        hidden = super().hidden_columns() if hasattr(super(), "hidden_columns") else set()
        return hidden | {"save_anyway"}

    def validate(self, attrs):
        save_anyway = attrs.pop("save_anyway", False)
        attrs = super().validate(attrs)
        if not save_anyway and (message := self.duplicates(attrs)):
            raise serializers.ValidationError({"save_anyway": [message]})
        return attrs


# --- cases ----------------------------------------------------------------------------------


def date_text_field():
    """A partial date as text: read as written ("March 2026"), and writable so."""
    return serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=DATE_HELP)


class CitationSerializer(serializers.ModelSerializer):
    source = BriefRelatedField(SourceBriefSerializer, queryset=Source.objects.all())

    class Meta:
        model = Citation
        fields = ["source", "locator", "quote", "claim"]


class ResponseSerializer(Bilingual, PartialDateMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_(
        "Give the id of an existing response to change it (its citations are kept unless "
        "the write gives them); without one, a new response is added."))
    date = date_text_field()
    citations = CitationSerializer(many=True, required=False,
                                   help_text=_("Sources backing the response. A write replaces them all."))

    class Meta:
        model = Response
        fields = ["id", "kind", "date", "date_start", "date_end", "date_precision", "description",
                  "description_ru", "citations"]
        extra_kwargs = {"date_start": {"required": False}, "date_end": {"required": False}}


class AccountSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_(
        "Give the id of an existing account to change it (its citations are kept unless the "
        "write gives them); without one, a new account is added."))
    citations = CitationSerializer(many=True, required=False,
                                   help_text=_("Sources holding the account. A write replaces them all."))

    class Meta:
        model = Account
        fields = ["id", "claim", "statement", "holder", "rank", "citations"]


class WithholdingSerializer(Bilingual, serializers.ModelSerializer):
    """A withheld field: the public reads only which (`field`); staff the reason and expiry."""

    class Meta:
        model = Withholding
        fields = ["field", "reason", "reason_ru", "until"]
        extra_kwargs = {
            "reason": {"required": True, "allow_blank": False},
            "until": {"required": False, "help_text": _(
                "The day from which the field is public again, with no further edit (staff only); "
                "null: until lifted.")},
        }


class WithheldField(serializers.ListSerializer):
    """`withheld`: the fields of the record the public is not shown today. The public reads
    the redacted copy's list (no query); staff its withholdings, prefetched by the door."""

    def __init__(self, fields: dict, **kwargs):
        self.valid = fields
        kwargs.setdefault("child", WithholdingSerializer())
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _(
            "Fields withheld from the public, each with why and until when (staff only). The "
            "public reads a withheld field as null and finds it named here. A write replaces "
            "them all: [{\"field\": \"destination_country\", \"reason\": \"…\", "
            "\"until\": \"2027-06-01\"}]."))
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        if hasattr(instance, "withheld"):  # a redacted copy
            return [{"field": field} for field in instance.withheld]
        return instance.withholdings.all()

    def to_representation(self, data):
        if isinstance(data, list):  # a redacted copy's fields, as the public reads them
            return data
        return super().to_representation(data)

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        if any("field" not in item or not item.get("reason") for item in items):  # a PATCH too
            raise serializers.ValidationError(gettext("Each withheld field is given with its reason."))
        fields = [item["field"] for item in items]
        wrong = sorted(set(fields) - set(self.valid))
        if wrong:
            raise serializers.ValidationError(
                gettext("Not a field that can be withheld here: %(fields)s (one of %(valid)s).")
                % {"fields": ", ".join(wrong), "valid": ", ".join(self.valid)})
        if len(fields) != len(set(fields)):
            raise serializers.ValidationError(gettext("Each field is withheld once."))
        return items


def save_withholdings(record, items, **owner):
    """Make the record's withholdings those of items (a write's `withheld`), writing only what
    differs: a list sent back as read changes nothing, and moves no public change time."""
    if items is None:
        return
    stored = {w.field: w for w in Withholding.objects.filter(**owner)}
    # A Russian reason left out of the write is kept as it is; given, it is written.
    wanted = {item["field"]: {
        "reason": item["reason"], "until": item.get("until"),
        "reason_ru": item.get("reason_ru", getattr(stored.get(item["field"]), "reason_ru", "")),
    } for item in items}
    for field, withholding in stored.items():
        if field not in wanted:
            withholding.delete()
        elif {key: getattr(withholding, key) for key in wanted[field]} != wanted[field]:
            Withholding.objects.filter(pk=withholding.pk).update(**wanted[field])
    Withholding.objects.bulk_create(Withholding(**owner, field=field, **values)
                                    for field, values in wanted.items() if field not in stored)


class CaseSerializer(DuplicateGuardMixin, Bilingual, RedactedMixin, PartialDateMixin, CleanModelSerializer):
    api_url = SelfLinkField(view_name="api:case-detail")
    person = BriefRelatedField(PersonBriefSerializer, queryset=Person.objects.all())
    agency = BriefRelatedField(AgencyBriefSerializer, queryset=Agency.objects.all(),
                               allow_null=True, required=False)
    date = date_text_field()
    motives = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Motive.objects.all(), required=False,
        help_text=_("Motive slugs, e.g. “corruption-probe”."))
    responses = ResponseSerializer(many=True, required=False, help_text=_(
        "What the state did. A write gives the whole list: responses given with their id are "
        "changed (keeping their citations unless given), those without one added, the others "
        "removed."))
    citations = CitationSerializer(many=True, required=False,
                                   help_text=_("Sources backing the case. A write replaces them all."))
    accounts = AccountSerializer(many=True, required=False, help_text=_(
        "Competing accounts of one fact (the official version of a death beside the alleged "
        "one), each with its holder, rank and sources. Written as responses are: by id, the "
        "others removed."))
    period = PeriodBriefSerializer(read_only=True, allow_null=True)
    withheld = WithheldField(CASE_FIELDS)
    signed_off_by = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text=_(
        "Staff only: the editor who last signed the case off under the codebook."))
    origin_count = serializers.IntegerField(read_only=True, help_text=_(
        "How many independent origins the case's sources come from (a reprint counts with "
        "its original); `confirmed` needs two."))
    save_anyway = serializers.BooleanField(write_only=True, required=False, default=False, help_text=_(
        "Not a duplicate: save although a case of this person in this form at an overlapping date "
        "exists (without it, such a write is a 400 naming that case)."))

    class Meta:
        model = Case
        fields = [
            "id", "api_url", "person", "form", "date", "date_start", "date_end", "date_precision",
            "agency", "role", "role_ru", "country_from", "destination_country", "place", "motives",
            "responses", "visibility", "verification", "classification", "status", "summary",
            "summary_ru", "narrative", "narrative_ru", "citations", "origin_count", "accounts", "period",
            "withheld",
            "codebook_version", "signed_off_by", "updated_at", "restricted_notes", "retraction_note",
            "retraction_note_ru", "save_anyway",
        ]
        extra_kwargs = {
            "date_start": {"required": False}, "date_end": {"required": False},
            "restricted_notes": {"help_text": _("Staff only: absent for everyone else.")},
        }

    def hidden_columns(self):
        """CSV columns left out for this client."""
        return redaction.hidden_columns(Case, reader(self.context)) | super().hidden_columns()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        new = attrs.get("status", self.instance.status if self.instance else choices.Status.DRAFT)
        if "citations" in attrs:
            source_ids = [citation["source"].pk for citation in attrs["citations"]]
        elif self.instance is not None:
            source_ids = list(self.instance.citations.values_list("source_id", flat=True))
        else:
            source_ids = []
        verification = attrs.get("verification", self.instance.verification if self.instance else "")
        for name in ("responses", "accounts"):
            given = [item["id"] for item in attrs.get(name, []) if "id" in item]
            known = set(getattr(self.instance, name).values_list("pk", flat=True)) if self.instance else set()
            if set(given) - known or len(given) != len(set(given)):
                raise serializers.ValidationError({name: [
                    gettext("An id in %(field)s must be one of this case's %(field)s, given once.")
                    % {"field": name}]})
        try:
            workflow.check_sources(new, verification, source_ids)
        except DjangoValidationError as error:
            raise drf_error(error, "citations") from error
        return attrs

    def duplicates(self, attrs):
        """A new case, or one moved to another person, form or date, that may be one already
        entered (the admin form's warning, duplicates.similar_cases)."""
        names = ("person", "form", "date_start", "date_end")
        probe = copy.copy(self.instance) if self.instance is not None else Case()
        for name in names:
            if name in attrs:
                setattr(probe, name, attrs[name])
        if self.instance is not None and all(getattr(probe, n) == getattr(self.instance, n) for n in names):
            return None
        if found := duplicates.similar_cases(probe):
            return gettext(
                "Possible duplicate of %(cases)s: the same person, form and date. If this is another "
                "act, send “save_anyway”: true.") % {"cases": ", ".join(f"#{c.pk} ({c})" for c in found)}
        return None

    def save(self, **kwargs):
        user = self.context["request"].user
        if self.instance is None:
            kwargs["created_by"] = user
        with transaction.atomic():
            return super().save(updated_by=user, **kwargs)

    def create(self, validated_data):
        nested = self._pop_nested(validated_data)
        case = super().create(validated_data)
        self._save_nested(case, nested)
        return case

    def update(self, instance, validated_data):
        nested = self._pop_nested(validated_data)
        case = super().update(instance, validated_data)
        self._save_nested(case, nested)
        return case

    @staticmethod
    def _pop_nested(validated_data):
        return {name: validated_data.pop(name) for name in ("responses", "accounts", "citations", "withheld")
                if name in validated_data}

    @staticmethod
    def _save_nested(case, nested):
        for name, model, backs in [("responses", Response, "response"), ("accounts", Account, "account")]:
            if name not in nested:
                continue
            kept = []
            for data in nested[name]:
                citations, pk = data.pop("citations", None), data.pop("id", None)
                item = getattr(case, name).get(pk=pk) if pk is not None else model(case=case)
                for field, value in data.items():
                    setattr(item, field, value)
                item.save()
                if citations is not None:
                    item.citations.all().delete()
                    Citation.objects.bulk_create(Citation(**{backs: item}, **c) for c in citations)
                kept.append(item.pk)
            getattr(case, name).exclude(pk__in=kept).delete()
        if "citations" in nested:
            case.citations.all().delete()
            Citation.objects.bulk_create(Citation(case=case, **data) for data in nested["citations"])
        save_withholdings(case, nested.get("withheld"), case=case)


class CaseBriefSerializer(RedactedMixin, serializers.ModelSerializer):
    api_url = SelfLinkField(view_name="api:case-detail")

    class Meta:
        model = Case
        fields = ["id", "api_url", "form", "date"]


# --- people, agencies, sources, periods -------------------------------------------------------


class AliasesField(serializers.ListField):
    """Aliases read and written as a list of names."""

    def get_attribute(self, instance):
        return [alias.name for alias in instance.aliases.all()]


class CareerSerializer(Bilingual, serializers.ModelSerializer):
    """A post in a person's career, as the person's JSON lists it (written at /affiliations/)."""

    api_url = SelfLinkField(view_name="api:affiliation-detail")
    agency = AgencyBriefSerializer(read_only=True)

    class Meta:
        model = Affiliation
        fields = ["id", "api_url", "agency", "role", "role_ru", "date"]


class PersonSerializer(DuplicateGuardMixin, Bilingual, RedactedMixin, PartialDateMixin, CleanModelSerializer):
    date_prefixes = ("birth", "death")

    api_url = SelfLinkField(view_name="api:person-detail")
    aliases = AliasesField(
        child=serializers.CharField(max_length=200), required=False,
        help_text=_("Other spellings and names (Butsaev, Буцаев). A write replaces them all."))
    birth = date_text_field()
    death = date_text_field()
    cases = CaseBriefSerializer(many=True, read_only=True)
    affiliations = CareerSerializer(many=True, read_only=True, help_text=_(
        "The posts held, oldest first; written at /api/v1/affiliations/."))
    withheld = WithheldField(PERSON_FIELDS)
    save_anyway = serializers.BooleanField(write_only=True, required=False, default=False, help_text=_(
        "Not a duplicate: save although people with close names exist (without it, such a write "
        "is a 400 naming them)."))

    class Meta:
        model = Person
        fields = [
            "id", "api_url", "name", "native_name", "aliases", "birth", "birth_start", "birth_end",
            "birth_precision", "death", "death_start", "death_end", "death_precision",
            "citizenship", "bio", "bio_ru", "wikidata_qid", "at_risk", "cases", "affiliations", "withheld",
            "updated_at", "save_anyway",
        ]
        extra_kwargs = {name: {"required": False} for name in
                        ["birth_start", "birth_end", "death_start", "death_end", "citizenship"]}

    def duplicates(self, attrs):
        """A new person, or one renamed, whose name or native name is close to a person's
        already entered (the admin form's warning, duplicates.similar_people)."""
        names = [attrs[name] for name in ("name", "native_name") if name in attrs
                 and (self.instance is None or attrs[name] != getattr(self.instance, name))]
        if found := duplicates.similar_people(names, exclude=self.instance.pk if self.instance else None):
            return gettext(
                "Possible duplicates: %(people)s. If this is someone else, send “save_anyway”: true."
            ) % {"people": ", ".join(f"#{p.pk} ({p.name})" for p in found)}
        return None

    def create(self, validated_data):
        aliases, withheld = validated_data.pop("aliases", None), validated_data.pop("withheld", None)
        with transaction.atomic():
            person = super().create(validated_data)
            self._save_aliases(person, aliases)
            save_withholdings(person, withheld, person=person)
        return person

    def update(self, instance, validated_data):
        aliases, withheld = validated_data.pop("aliases", None), validated_data.pop("withheld", None)
        with transaction.atomic():
            person = super().update(instance, validated_data)
            self._save_aliases(person, aliases)
            save_withholdings(person, withheld, person=person)
        return person

    @staticmethod
    def _save_aliases(person, aliases):
        if aliases is not None:
            person.aliases.all().delete()
            PersonAlias.objects.bulk_create(PersonAlias(person=person, name=name)
                                            for name in dict.fromkeys(aliases))


class DerivedSlugMixin:
    """A new record's slug, when the client gives none, derived from its name (unique)."""

    def validate(self, attrs):
        if self.instance is None and not attrs.get("slug") and attrs.get("name"):
            attrs["slug"] = unique_slug(self.Meta.model, attrs["name"])
        return super().validate(attrs)


class AgencySerializer(Bilingual, DerivedSlugMixin, CleanModelSerializer):
    api_url = SelfLinkField(view_name="api:agency-detail")
    parent = BriefRelatedField(AgencyBriefSerializer, queryset=Agency.objects.all(),
                               allow_null=True, required=False)
    predecessor = BriefRelatedField(AgencyBriefSerializer, queryset=Agency.objects.all(),
                                    allow_null=True, required=False)

    class Meta:
        model = Agency
        fields = ["id", "api_url", "name", "name_ru", "slug", "acronym", "native_name", "kind", "country",
                  "parent", "predecessor", "active_from", "active_until", "description", "description_ru"]
        extra_kwargs = {"slug": {"required": False, "help_text": _(
            "Its address in filters (`agency=fsb`); derived from the name when not given.")}}


class SourceSerializer(CleanModelSerializer):
    api_url = SelfLinkField(view_name="api:source-detail")
    derived_from = BriefRelatedField(
        SourceBriefSerializer, queryset=Source.objects.all(), allow_null=True, required=False,
        help_text=_("The source this one repeats (a reprint, wire copy, repost, translation), by id."))
    origin = SourceBriefSerializer(read_only=True, help_text=_(
        "The root of the derived-from chain (the source itself if it derives from none): "
        "sources of one origin count once towards `confirmed`."))

    class Meta:
        model = Source
        fields = ["id", "api_url", "title", "author", "outlet", "url", "archived_url", "published_on",
                  "language", "kind", "reliability", "derived_from", "origin", "updated_at"]
        extra_kwargs = {"url": {"help_text": _("The source's own web address (unique).")}}


class PeriodSerializer(Bilingual, DerivedSlugMixin, CleanModelSerializer):
    api_url = SelfLinkField(view_name="api:period-detail")

    class Meta:
        model = Period
        fields = ["id", "api_url", "slug", "name", "name_ru", "start", "end", "description", "description_ru"]
        extra_kwargs = {"slug": {"required": False, "help_text": _(
            "Its address in filters (`period=war-since-2022`); derived from the name when not given.")}}


class AffiliationSerializer(Bilingual, PartialDateMixin, CleanModelSerializer):
    """A post a person held in an agency (career history)."""

    api_url = SelfLinkField(view_name="api:affiliation-detail")
    # By name only: a person's native name may be withheld, and only a case redacts its person.
    person = BriefRelatedField(PersonNameSerializer, queryset=Person.objects.all())
    agency = BriefRelatedField(AgencyBriefSerializer, queryset=Agency.objects.all())
    date = date_text_field()

    class Meta:
        model = Affiliation
        fields = ["id", "api_url", "person", "agency", "role", "role_ru", "date", "date_start", "date_end",
                  "date_precision"]
        extra_kwargs = {"date_start": {"required": False}, "date_end": {"required": False}}


# --- stats ------------------------------------------------------------------------------------


class YearFormCountSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    articulated = serializers.IntegerField()
    final = serializers.IntegerField()
    geographic = serializers.IntegerField()
    total = serializers.IntegerField()
    spanning = serializers.IntegerField(help_text=_("Of these, cases dated to a span of several years."))


class AgencyCountSerializer(serializers.Serializer):
    agency = AgencyBriefSerializer(allow_null=True, help_text=_("Null: cases with no agency."))
    count = serializers.IntegerField()


class PeriodCountSerializer(serializers.Serializer):
    period = PeriodBriefSerializer(allow_null=True, help_text=_("Null: cases outside any period."))
    count = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Cases matching the filters."))
    undated = serializers.IntegerField(help_text=_("Of those, cases with no known (or a withheld) date."))
    by_year_and_form = YearFormCountSerializer(many=True, help_text=_(
        "Dated cases by year. A case counts in every year its date touches (as the cases' "
        "year_min/year_max filter lists it), so these add up to more than the cases when some "
        "are dated to several years."))
    by_agency = AgencyCountSerializer(many=True, help_text=_("Per agency (not rolled up), most first."))
    by_period = PeriodCountSerializer(many=True, help_text=_(
        "Per period of instability, in time order. A period is derived from a case's whole "
        "date, so the cases of people at risk are counted by no period (nor by agency), nor "
        "those whose date is withheld."))


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's token request, with a username no longer than any can be (a failed login is
    recorded with it: a longer one was a 500)."""

    username = serializers.CharField(label=_("Username"), write_only=True, max_length=150)
