"""People, agencies, sources and the codebook's lists (motives, periods)."""


from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from defections import languages, models
from defections.admin.door import CountriesWidget, DoorAdmin, cut
from defections.admin.forms import (
    DatedForm,
    DoorForm,
    PersonForm,
)
from defections.admin.history import HistoryMixin
from defections.admin.inlines import (
    AffiliationInline,
    AliasInline,
    CitationOfAffiliationInline,
    PersonCaseInline,
    SubAgencyInline,
    WithholdingInline,
)
from defections.permissions import (
    authorize_mark_at_risk,
)
from defections.search import matching_person_ids


@admin.register(models.Person)
class PersonAdmin(HistoryMixin, DoorAdmin):
    form = PersonForm
    list_display = ["name", "native_name", "birth_text", "at_risk", "updated_at"]
    list_filter = ["at_risk"]
    search_fields = ["name", "native_name", "aliases__name"]
    search_help_text = _("Names, native names and aliases; misspellings and Cyrillic match too.")
    inlines = [AliasInline, AffiliationInline, PersonCaseInline, WithholdingInline]
    actions = ["mark_at_risk"]

    @admin.action(description=_("Mark selected people as at risk (hides their details)"),
                  permissions=["change"])
    @transaction.atomic
    def mark_at_risk(self, request, queryset):
        marked = 0
        for person in queryset.select_for_update().filter(at_risk=False):
            try:
                authorize_mark_at_risk(request.user, person)
            except PermissionDenied as refusal:
                self.message_user(request, gettext("%(person)s: not marked. %(reason)s") % {
                    "person": person, "reason": refusal}, messages.ERROR)
                continue
            person.at_risk = True
            person.save(update_fields=["at_risk", "updated_at"])
            marked += 1
        self.message_user(request, gettext("%(count)s person(s) marked at risk.") % {"count": marked},
                          messages.SUCCESS)

    @admin.display(description=_("born"))
    def birth_text(self, person):
        return person.birth or "—"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Citizenship: Django's two boxes with a search (as django-countries' documentation
        advises for multiple=True), not a 250-row list picked with Ctrl."""
        if db_field.name == "citizenship":
            kwargs["widget"] = CountriesWidget(_("countries"), is_stacked=False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    confirm_fields = ["save_anyway"]
    fields = ["name", "native_name", ("birth", "death"), "citizenship", "wikidata_qid", "at_risk",
              languages.columns("bio")]

    def get_search_results(self, request, queryset, search_term):
        """Admin search and the person autocomplete find close spellings, as the site does."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = " ".join(search_term.split())
        if term:
            people, aliases = matching_person_ids(term)
            found = queryset.filter(Q(pk__in=found.values("pk")) | Q(pk__in=people) | Q(pk__in=aliases))
        return found, duplicates


@admin.register(models.PersonAlias)
class PersonAliasAdmin(HistoryMixin, DoorAdmin):
    list_display = ["name", "person"]
    search_fields = ["name", "person__name"]
    autocomplete_fields = ["person"]


@admin.register(models.Affiliation)
class AffiliationAdmin(HistoryMixin, DoorAdmin):
    form = DatedForm
    list_display = ["person", "role", "agency", "affiliation_date"]
    list_select_related = ["person", "agency"]
    search_fields = ["person__name", "role", "role_ru", "agency__name", "agency__acronym"]
    autocomplete_fields = ["person", "agency"]
    fields = ["person", "agency", languages.columns("role"), "date"]
    inlines = [CitationOfAffiliationInline]

    @admin.display(description=_("date"), ordering="date_start")
    def affiliation_date(self, affiliation):
        return affiliation.date or "—"


@admin.register(models.Agency)
class AgencyAdmin(HistoryMixin, DoorAdmin):
    list_display = ["name", "name_ru", "acronym", "kind", "parent", "predecessor", "active_from",
                    "active_until"]
    list_filter = ["kind"]
    list_select_related = ["parent", "predecessor"]
    search_fields = ["name", "name_ru", "acronym", "native_name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "predecessor"]
    readonly_fields = ["successors_list"]
    fields = [languages.columns("name"), "slug", "acronym", "native_name", "kind", "country", "parent",
              "predecessor", "successors_list", ("active_from", "active_until"),
              languages.columns("description")]
    inlines = [SubAgencyInline]

    @admin.display(description=_("successors"))
    def successors_list(self, agency):
        return ", ".join(str(a) for a in agency.successors.all()) or "—"


class SourceForm(DoorForm):
    class Meta:
        model = models.Source
        fields = ["title", "author", "outlet", "url", "archived_url", "published_on", "language", "kind",
                  "reliability", "derived_from"]

    def clean_url(self):
        return (self.cleaned_data.get("url") or "").strip()


@admin.register(models.Source)
class SourceAdmin(HistoryMixin, DoorAdmin):
    form = SourceForm
    list_display = ["title", "outlet", "published_on", "kind", "reliability", "link", "origin_of"]
    list_filter = ["kind", "reliability", "language"]
    search_fields = ["title", "outlet", "author", "url"]
    date_hierarchy = "published_on"
    autocomplete_fields = ["derived_from"]
    readonly_fields = ["origin_of"]
    list_select_related = ["origin"]

    @admin.display(description=_("URL"), ordering="url")
    def link(self, source):
        return cut(source.url.split("://", 1)[-1], href=source.url) if source.url else "—"

    @admin.display(description=pgettext_lazy("source list column", "origin"))
    def origin_of(self, source):
        """Set by the database from "derived from": sources of one origin count once."""
        if source.pk is None or source.origin_id in (None, source.pk):
            return gettext("itself")
        return str(source.origin)

    def add_view(self, request, form_url="", extra_context=None):
        """A source whose URL exists is reused (and picked, in a popup), never duplicated."""
        url = request.POST.get("url", "").strip() if request.method == "POST" else ""
        existing = models.Source.objects.filter(url=url).first() if url else None
        if existing is not None and self.has_view_or_change_permission(request, existing):
            if IS_POPUP_VAR in request.POST:
                return self.response_add(request, existing)
            self.message_user(request, format_html(
                gettext("A source with this URL exists: “{}”. It is reused; nothing new was added."),
                existing),
                messages.WARNING)
            return HttpResponseRedirect(reverse("admin:defections_source_change", args=[existing.pk]))
        return super().add_view(request, form_url, extra_context)


@admin.register(models.Motive)
class MotiveAdmin(DoorAdmin):
    list_display = ["name", "name_ru", "slug"]
    search_fields = ["name", "name_ru", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["slug", languages.columns("name"), languages.columns("description")]


@admin.register(models.Period)
class PeriodAdmin(DoorAdmin):
    list_display = ["name", "name_ru", "start", "end"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["slug", languages.columns("name"), ("start", "end"), languages.columns("description")]
