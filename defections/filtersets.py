"""One FilterSet per model, shared by the public pages and the API.

The query string of a browse URL works unchanged on the API: the parameter names
here are the contract ("form", "agency", "year_min", …; README, "The API"). Multi-valued
filters take repeated parameters and match any of the values. Visibility is not a
filter: views hand in `Model.objects.visible_to(user)`, whose stand-ins for hidden
columns the year, change-time and ordering filters use, and `CaseFilterSet.narrow`
keeps at-risk cases out of filters on what is hidden (defections/visibility.py).
"""

from datetime import UTC

import django_filters as filters
from django import forms
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries
from django_filters.constants import EMPTY_VALUES

from defections import choices, visibility
from defections.ids import InArray
from defections.models import Account, Agency, Case, Motive, Period, Person, Response, Source
from defections.search import matched_ids, matching_people, search_cases

YEAR_BOUNDS = {"min_value": 1, "max_value": 9999}
# The orderings' labels, in a context of their own ("Name" here means "by name").
BY = {
    "date": pgettext_lazy("ordering", "Date"),
    "-date": pgettext_lazy("ordering", "Date (descending)"),
    "name": pgettext_lazy("ordering", "Name"),
    "-name": pgettext_lazy("ordering", "Name (descending)"),
    "updated": pgettext_lazy("ordering", "Updated"),
    "-updated": pgettext_lazy("ordering", "Updated (descending)"),
}
# A search longer than this is no search: refused at once (a 30 KB one took seconds a page).
Q_MAX_LENGTH = 200


def chosen(value) -> bool:
    """Whether a filter value holds anything. An unused model filter's value is an empty
    queryset: ask it without compiling and running it, as `bool()` would."""
    if isinstance(value, QuerySet):
        return not value.query.is_empty()
    return bool(value)


class SlugFilterMixin:
    def filter_in(self, queryset, name, value):
        """A relation given by slugs: match any of the chosen objects."""
        return queryset.filter(**{f"{name}__in": value}) if chosen(value) else queryset


class CaseFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("year_min"), data.get("year_max")
        if low is not None and high is not None and low > high:
            self.add_error("year_max", _("The last year comes before the first."))
        return data


class StableOrderingFilter(filters.OrderingFilter):
    """Orders as asked, then by id, so that equal names or dates page the same way every time.

    A public queryset orders by what is shown (`shown`): an at-risk case by its shown year,
    and with no change time after every other record, whichever the direction.
    """

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        fields = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*[self.shown(qs, field) for field in fields], "pk")

    @staticmethod
    def shown(qs, field):
        shown = qs.shown(field) if hasattr(qs, "shown") else field
        if shown.lstrip("-") == "shown_updated":
            column = F("shown_updated")
            return column.desc(nulls_last=True) if shown.startswith("-") else column.asc(nulls_last=True)
        return shown


class UTCDateTimeField(filters.fields.IsoDateTimeField):
    """An ISO time, moved to UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError as error:
                raise forms.ValidationError(_("This time is out of range."), code="invalid") from error
        return value


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class ChangedSinceFilter(UTCDateTimeFilter):
    """Changed at or after a time, by the change time the reader is shown (none for an
    at-risk person's records, which so never match)."""

    def __init__(self, **kwargs):
        super().__init__(field_name="updated_at", lookup_expr="gte", **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(**{f"{qs.shown(self.field_name)}__gte": value})


class YearFilter(filters.NumberFilter):
    field_class = forms.IntegerField


def visible_agencies(request):
    """The agencies a reader may name in a filter: a hidden one answers like a missing one
    (a 400), or its 200 would say that hidden records name it."""
    return Agency.objects.visible_to(getattr(request, "user", None))


def country_choices():
    # A callable: every request deep-copies its FilterSet and form, and copying ~250
    # countries each time was most of the cost of a cached answer.
    return [(code, name) for code, name in countries]


class CaseFilterSet(SlugFilterMixin, filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=Q_MAX_LENGTH,
                           help_text=_("Names (misspellings and Cyrillic too), summary and narrative."))
    form = filters.MultipleChoiceFilter(choices=choices.Form.choices, distinct=False, label=_("Form"),
                                        help_text=_("Form of defection."))
    agency = filters.ModelMultipleChoiceFilter(
        queryset=visible_agencies, to_field_name="slug", method="filter_agency", label=_("Agency"),
        help_text=_("Agency slug (`fsb`, `mid`: the `slug` of each agency at /api/v1/agencies/); "
                    "includes its sub-agencies."),
    )
    agency_id = filters.ModelMultipleChoiceFilter(
        queryset=visible_agencies, method="filter_agency", label=_("Agency (id)"),
        help_text=_("Agency id (the `id` of each agency at /api/v1/agencies/); includes its "
                    "sub-agencies."),
    )
    agency_kind = filters.MultipleChoiceFilter(field_name="agency__kind", distinct=False,
                                               choices=choices.AgencyKind.choices, label=_("Agency kind"))
    year_min = YearFilter(method="filter_years", label=_("From year"), **YEAR_BOUNDS,
                          help_text=_("Cases whose date overlaps this year or later."))
    year_max = YearFilter(method="filter_years", label=_("To year"), **YEAR_BOUNDS,
                          help_text=_("Cases whose date overlaps this year or earlier."))
    period = filters.ModelMultipleChoiceFilter(queryset=Period.objects.all(), to_field_name="slug",
                                               method="filter_in", label=_("Period"),
                                               help_text=_("Period slug (the `slug` of each period at "
                                                           "/api/v1/periods/)."))
    destination_country = filters.MultipleChoiceFilter(choices=country_choices, distinct=False,
                                                       label=_("Destination country"))
    motive = filters.ModelMultipleChoiceFilter(
        field_name="motives", queryset=Motive.objects.all(), to_field_name="slug",
        method="filter_motive", label=_("Motives"), help_text=_("Motive slug (any of them)."))
    response = filters.MultipleChoiceFilter(choices=choices.ResponseKind.choices,
                                            method="filter_response", label=_("State response"),
                                            help_text=_("What the state did."))
    verification = filters.MultipleChoiceFilter(choices=choices.Verification.choices, distinct=False,
                                                label=_("Verification"))
    contested = filters.ChoiceFilter(
        choices=[("true", pgettext_lazy("filter", "Contested"))], method="filter_contested",
        label=_("Contested"),
        help_text=_("true: cases holding more than one account (not deprecated) of one fact."))
    status = filters.MultipleChoiceFilter(
        choices=choices.Status.choices, distinct=False, label=_("Status"),
        help_text=_("Editorial status (staff only: the public sees published cases)."))
    updated_after = ChangedSinceFilter(
        label=_("Changed since"),
        help_text=_("Changed at or after this time (ISO 8601), for syncing. The cases of a "
                  "person at risk have no public change time and never match."))
    ordering = StableOrderingFilter(
        fields=(("date_start", "date"), ("person__name", "name"), ("updated_at", "updated")),
        field_labels={"date_start": BY["date"], "-date": BY["-date"], "person__name": BY["name"],
                      "-name": BY["-name"], "updated_at": BY["updated"], "-updated": BY["-updated"]},
        label=_("Ordering"),
        help_text=_("date, name or updated; a leading minus reverses. "
                  "Default: by date, or by relevance when searching. A case of a person at "
                  "risk sorts by the first day of its year, and after all others by updated."),
    )

    class Meta:
        model = Case
        fields = []
        form = CaseFilterForm

    # A page that filters by its search many times (a list's counts) sets this: the
    # matching ids are then read once (search.matched_ids).
    carry_matches = False

    def filter_q(self, queryset, name, value):
        if not self.carry_matches:
            return search_cases(queryset, value)
        kept = self.__dict__.setdefault("_matched", {})
        if value not in kept:  # every case the search may show, whatever else is filtered
            kept[value] = matched_ids(self.narrow(search_cases(self.queryset, value), {"q"}))
        return search_cases(queryset, value, matched=kept[value])

    def filter_queryset(self, queryset):
        """The filters, then the at-risk rule for the filters in force (`narrow`)."""
        queryset = super().filter_queryset(queryset)
        return self.narrow(queryset, {name for name, value in self.form.cleaned_data.items()
                                      if chosen(value)})

    def narrow(self, queryset, names, counted=None):
        """At-risk cases only where the filters in `names` ask about name, form and year
        (visibility.narrow); facets ask it for each dimension's filters."""
        q = self.form.cleaned_data.get("q", "") if hasattr(self.form, "cleaned_data") else ""
        # A search whose matches are carried reads them from ids already narrowed for "q"
        # (filter_q): each case of them passes the name rule, so it is not run again.
        carried = self.__dict__.get("_matched", {}).get(q) is not None
        return visibility.narrow(queryset, names, q or "", counted, q_applied=carried)

    def filter_agency(self, queryset, name, value):
        if not chosen(value):
            return queryset
        return queryset.filter(InArray(F("agency_id"), Agency.objects.tree([a.pk for a in value])))

    def filter_years(self, queryset, name, value):
        # Both bounds at once, so the overlap is one condition per bound.
        if name == "year_min":
            return queryset.in_years(year_min=value)
        return queryset.in_years(year_max=value)

    def filter_contested(self, queryset, name, value):
        if value != "true":
            return queryset
        disputed = (Account.objects.exclude(rank=choices.Rank.DEPRECATED).order_by()
                    .values("case_id", "claim").annotate(n=Count("pk")).filter(n__gt=1).values("case_id"))
        return queryset.filter(pk__in=disputed)

    def filter_motive(self, queryset, name, value):
        if not chosen(value):
            return queryset
        through = Case.motives.through
        return queryset.filter(Exists(through.objects.filter(case=OuterRef("pk"), motive__in=value)))

    def filter_response(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(Response.objects.filter(case=OuterRef("pk"), kind__in=value)))


class PersonFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=Q_MAX_LENGTH)
    updated_after = ChangedSinceFilter(label=_("Changed since"))
    ordering = StableOrderingFilter(fields=(("name", "name"), ("updated_at", "updated")),
                                    field_labels={"name": BY["name"], "-name": BY["-name"],
                                                  "updated_at": BY["updated"], "-updated": BY["-updated"]},
                                    label=_("Ordering"))

    class Meta:
        model = Person
        fields = []

    def filter_q(self, queryset, name, value):
        by_name, by_native, by_alias = matching_people(" ".join(value.split()))
        found = queryset.filter(Q(pk__in=by_name) | Q(pk__in=by_native) | Q(pk__in=by_alias))
        return visibility.named_only(found, value, [by_name, by_alias])


class AgencyFilterSet(SlugFilterMixin, filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=Q_MAX_LENGTH)
    kind = filters.MultipleChoiceFilter(choices=choices.AgencyKind.choices, label=_("Kind"))
    parent = filters.ModelMultipleChoiceFilter(queryset=visible_agencies, to_field_name="slug",
                                               method="filter_in", label=_("Parent"),
                                               help_text=_("The parent agency's slug (the `slug` of each "
                                                           "agency at /api/v1/agencies/)."))

    class Meta:
        model = Agency
        fields = []

    def filter_q(self, queryset, name, value):
        return (queryset.filter(name__icontains=value) | queryset.filter(name_ru__icontains=value)
                | queryset.filter(acronym__iexact=value) | queryset.filter(native_name__icontains=value))


class SourceFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=Q_MAX_LENGTH)
    kind = filters.MultipleChoiceFilter(choices=choices.SourceKind.choices, label=_("Kind"))
    reliability = filters.MultipleChoiceFilter(choices=choices.Reliability.choices, label=_("Reliability"))
    language = filters.CharFilter(label=_("Language"))
    updated_after = UTCDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("Changed since"))

    class Meta:
        model = Source
        fields = []

    def filter_q(self, queryset, name, value):
        return (queryset.filter(title__icontains=value) | queryset.filter(outlet__icontains=value)
                | queryset.filter(author__icontains=value))
