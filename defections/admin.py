"""Researchers' admin. Minimal for now: every model is reachable and searchable."""

from django.contrib import admin

from defections import models


class AliasInline(admin.TabularInline):
    model = models.PersonAlias
    extra = 1


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "native_name", "at_risk"]
    search_fields = ["name", "native_name", "aliases__name"]
    inlines = [AliasInline]


@admin.register(models.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "kind", "parent", "predecessor"]
    list_filter = ["kind"]
    search_fields = ["name", "acronym", "native_name"]
    prepopulated_fields = {"slug": ["name"]}


class CitationInline(admin.TabularInline):
    model = models.Citation
    fk_name = "case"
    extra = 1
    fields = ["source", "locator", "quote", "claim"]


class ResponseInline(admin.StackedInline):
    model = models.Response
    extra = 0


@admin.register(models.Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["person", "form", "date_start", "agency", "status", "updated_at"]
    list_filter = ["status", "form", "verification", "period"]
    search_fields = ["person__name", "person__aliases__name", "summary"]
    inlines = [CitationInline, ResponseInline]
    readonly_fields = ["period", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "agency")


admin.site.register([models.Motive, models.Period, models.Source, models.Affiliation])
