"""The case list's filters, in the public vocabulary: `?form=final&agency=fsb` means the
same in the admin as on /cases/."""


from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from defections import choices, codebook, languages, models
from defections.filtersets import CaseFilterSet


def public_filter(name: str, title: str, lookups):
    """An admin list filter for one parameter of CaseFilterSet, under the same name.

    `?form=final&agency=fsb&year_min=2022` means the same in the admin as on /cases/.
    """

    class PublicFilter(admin.SimpleListFilter):
        parameter_name = name

        def lookups(self, request, model_admin):
            return lookups()

        def queryset(self, request, queryset):
            if self.value() is None:
                return queryset
            data = QueryDict(mutable=True)
            data.setlist(name, [self.value()])
            filterset = CaseFilterSet(data, queryset=queryset, request=request)
            return filterset.qs if filterset.is_valid() else queryset.none()

    PublicFilter.title = title
    PublicFilter.__name__ = f"{name.title().replace('_', '')}Filter"
    return PublicFilter


def decades():
    first = models.Case.objects.order_by("date_start").values_list("date_start", flat=True).first()
    start = (first.year // 10 * 10) if first else 1930
    return range(start, 2030, 10)


class CodebookFilter(admin.SimpleListFilter):
    """The re-review queue: cases coded under an older definition of a value they hold."""

    title = _("codebook")
    parameter_name = "codebook"

    def lookups(self, request, model_admin):
        version = {"version": codebook.CURRENT}
        return [("review", gettext("needs re-review (version %(version)s changed a value it holds)")
                 % version),
                ("current", gettext("coded under version %(version)s") % version)]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.needing_review()
        if self.value() == "current":
            return queryset.filter(codebook_version=codebook.CURRENT)
        return queryset


class WithheldFilter(admin.SimpleListFilter):
    """Cases of which some field (the case's own or its person's) is kept from the public today."""

    title = _("withheld fields")
    parameter_name = "withheld"

    def lookups(self, request, model_admin):
        return [("yes", _("some field withheld")), ("no", _("nothing withheld"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        active = models.Withholding.objects.active()
        withheld = Q(Exists(active.filter(case=OuterRef("pk")))) | Q(
            Exists(active.filter(person=OuterRef("person_id"))))
        return queryset.filter(withheld if self.value() == "yes" else ~withheld)


CASE_FILTERS = [
    CodebookFilter,
    WithheldFilter,
    public_filter("status", _("status"), lambda: choices.Status.choices),
    public_filter("form", _("form"), lambda: choices.Form.choices),
    public_filter("verification", _("verification"), lambda: choices.Verification.choices),
    public_filter("period", _("period"), lambda: [
        (p.slug, languages.text(p, "name")) for p in models.Period.objects.all()]),
    public_filter("year_min", _("from year"), lambda: [
        (y, gettext("%(year)s or later") % {"year": y}) for y in decades()]),
    public_filter("year_max", _("to year"), lambda: [
        (y + 9, gettext("%(year)s or earlier") % {"year": y + 9}) for y in decades()]),
    public_filter("agency", _("agency (with sub-agencies)"),
                  lambda: [(a.slug, str(a)) for a in models.Agency.objects.all()]),
    public_filter("agency_kind", _("agency kind"), lambda: choices.AgencyKind.choices),
    public_filter("motive", _("motive"), lambda: [
        (m.slug, languages.text(m, "name")) for m in models.Motive.objects.all()]),
    public_filter("response", _("state response"), lambda: choices.ResponseKind.choices),
    public_filter("destination_country", _("destination country"), lambda: [
        (code, dict(countries)[code]) for code in models.Case.objects.exclude(destination_country="")
        .values_list("destination_country", flat=True).distinct().order_by("destination_country")]),
]
