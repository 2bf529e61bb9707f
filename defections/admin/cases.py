"""Cases and what hangs on them (responses, accounts, citations): the review workflow's
actions, CSV export and import."""

import copy
import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from defections import choices, codebook, csv_io, languages, models
from defections.admin.door import DoorAdmin, cut
from defections.admin.filters import CASE_FILTERS
from defections.admin.forms import (
    CaseForm,
    CsvImportForm,
    DatedForm,
    DoorForm,
)
from defections.admin.history import HistoryMixin
from defections.admin.inlines import (
    AccountInline,
    CitationInline,
    CitationOfAccountInline,
    CitationOfResponseInline,
    ResponseInline,
    WithholdingInline,
)
from defections.permissions import (
    authorize_save,
    can_publish,
    stored,
)
from defections.search import search_cases
from defections.workflow import check_citations_removed, check_sources


@admin.register(models.Case)
class CaseAdmin(HistoryMixin, DoorAdmin):
    form = CaseForm
    confirm_fields = ["save_anyway"]  # the answer to CaseForm's duplicate warning
    change_list_template = "admin/defections/case/change_list.html"
    # Narrow enough to show every column beside the navigation and the filters at 1280 px.
    list_display = ["person", "form", "case_date", "agency_cut", "verified", "status", "updated"]
    list_select_related = ["person", "agency", "updated_by"]
    list_filter = CASE_FILTERS
    search_fields = ["person__name"]  # the search itself is search.search_cases
    search_help_text = _("Names (misspellings and Cyrillic too), summary and narrative.")
    autocomplete_fields = ["person", "agency"]
    inlines = [CitationInline, ResponseInline, AccountInline, WithholdingInline]
    readonly_fields = ["period", "retracted_at", "codebook_version", "signed_off_by", "created_at",
                       "created_by", "updated_at", "updated_by"]
    # Each text researchers write in both languages: English and Russian side by side.
    fieldsets = [
        (None, {"fields": ["person", "agency", languages.columns("role"), "form", "date",
                           languages.columns("summary"), "status", "version"]}),
        (_("Where and why"), {"fields": [("country_from", "destination_country"), "place", "motives"]}),
        (_("Certainty"), {"fields": ["verification", "classification", "visibility"]}),
        (_("Narrative and staff notes"), {"fields": [languages.columns("narrative"), "restricted_notes"],
                                          "classes": ["collapse"]}),
        (_("Retraction"), {"fields": [languages.columns("retraction_note")], "classes": ["collapse"],
                           "description": _("Shown publicly at the case's address once it is "
                                            "retracted.")}),
        # last: a new case has no record yet (get_fieldsets)
        (_("Record"), {"fields": ["period", "retracted_at", ("codebook_version", "signed_off_by"),
                                  ("created_at", "created_by"), ("updated_at", "updated_by")]}),
    ]
    actions = ["submit_for_review", "publish", "retract", "sign_off", "export_selected"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj else fieldsets[:-1]

    @admin.display(description=_("date"), ordering="date_start")
    def case_date(self, case):
        return case.date or "—"

    @admin.display(description=_("agency"), ordering="agency__name")
    def agency_cut(self, case):
        return cut(str(case.agency)) if case.agency else "—"

    @admin.display(description=pgettext_lazy("case list column", "verified"), ordering="verification")
    def verified(self, case):
        """The verification, under a header short enough in Russian too."""
        return case.get_verification_display() or "—"

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, case):
        """The day; the time and who, on hover."""
        when = localtime(case.updated_at)
        who = f" — {case.updated_by}" if case.updated_by else ""
        return format_html('<span title="{}">{}</span>', date_format(when, "DATETIME_FORMAT") + who,
                           date_format(when, "SHORT_DATE_FORMAT"))

    def has_publish_permission(self, request):
        return can_publish(request.user)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return search_cases(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    # bulk actions: the same rules as the form, case by case

    @transaction.atomic
    def change_status(self, request, queryset, new_status, refused, done):
        """refused: "%(case)s: not published. %(reason)s"; done: "%(count)s case(s) published." """
        changed = 0
        for case in queryset.select_for_update(of=("self",)).select_related("person"):
            before, case.status = copy.copy(case), new_status
            try:
                authorize_save(request.user, case, before=before)
                check_sources(new_status, case.verification,
                              case.citations.values_list("source_id", flat=True))
                case.validate_constraints()  # what the database would refuse (a summary, the codes)
            except (PermissionDenied, ValidationError) as refusal:
                reason = "; ".join(refusal.messages) if isinstance(refusal, ValidationError) \
                    else str(refusal)
                self.message_user(request, refused % {"case": case, "reason": reason}, messages.ERROR)
                continue
            if before.status != new_status:
                case.updated_by = request.user
                case.save(update_fields=["status", "updated_by", "updated_at"])
            changed += 1
        if changed:
            self.message_user(request, done % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Submit selected cases for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.change_status(request, queryset, choices.Status.REVIEW,
                           gettext("%(case)s: not submitted for review. %(reason)s"),
                           gettext("%(count)s case(s) submitted for review."))

    @admin.action(description=_("Publish selected cases"), permissions=["publish"])
    def publish(self, request, queryset):
        self.change_status(request, queryset, choices.Status.PUBLISHED,
                           gettext("%(case)s: not published. %(reason)s"),
                           gettext("%(count)s case(s) published."))

    @admin.action(description=_("Retract selected cases"), permissions=["publish"])
    def retract(self, request, queryset):
        self.change_status(request, queryset, choices.Status.RETRACTED,
                           gettext("%(case)s: not retracted. %(reason)s"),
                           gettext("%(count)s case(s) retracted."))

    @admin.action(description=_("Sign off selected cases under the current codebook"),
                  permissions=["publish"])
    def sign_off(self, request, queryset):
        """The editor checked these cases against the current definitions: they leave the
        re-review queue."""
        signed = 0
        for case in queryset.select_for_update(of=("self",)):
            before = copy.copy(case)
            case.sign_off(request.user)
            case.updated_by = request.user
            try:
                authorize_save(request.user, case, before=before)
            except PermissionDenied as refusal:
                self.message_user(request, gettext("%(case)s: not signed off. %(reason)s") % {
                    "case": case, "reason": refusal}, messages.ERROR)
                continue
            case.save(update_fields=["codebook_version", "signed_off_by", "updated_by", "updated_at"])
            signed += 1
        if signed:
            self.message_user(request, gettext(
                "%(count)s case(s) signed off under codebook version %(version)s.") % {
                "count": signed, "version": codebook.CURRENT}, messages.SUCCESS)

    @admin.action(description=_("Export selected cases as CSV"), permissions=["view"])
    def export_selected(self, request, queryset):
        return csv_response(queryset)

    # CSV export of the filtered list, and import

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="defections_case_export"),
            path("import/", self.admin_site.admin_view(self.import_view),
                 name="defections_case_import"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The changelist's cases, as filtered and searched there, as CSV."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return csv_response(changelist.get_queryset(request))

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        form = CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 10 * 1024 * 1024:
                form.add_error("file", gettext("The file is larger than 10 MB: split it."))
            else:
                report = csv_io.import_cases(upload.read(), request.user,
                                             dry_run=form.cleaned_data["dry_run"])
                if report.written:
                    self.message_user(request, gettext("Imported %(count)s case(s).") % {
                        "count": len(report.rows)}, messages.SUCCESS)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import cases from CSV"),
            "opts": self.opts,
            "form": form,
            "report": report,
            "columns": csv_io.COLUMNS,
        }
        return TemplateResponse(request, "admin/defections/case/import.html", context)


def csv_response(queryset):
    out = io.StringIO()
    csv_io.export_cases(queryset, out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response


@admin.register(models.Response)
class ResponseAdmin(HistoryMixin, DoorAdmin):
    form = DatedForm
    list_display = ["__str__", "case", "kind"]
    list_filter = ["kind"]
    list_select_related = ["case__person"]
    search_fields = ["case__person__name", "description"]
    autocomplete_fields = ["case"]
    fields = ["case", "kind", "date", languages.columns("description")]
    inlines = [CitationOfResponseInline]


@admin.register(models.Account)
class AccountAdmin(HistoryMixin, DoorAdmin):
    list_display = ["__str__", "case", "claim", "holder", "rank"]
    list_filter = ["claim", "holder", "rank"]
    list_select_related = ["case__person"]
    search_fields = ["case__person__name", "statement"]
    autocomplete_fields = ["case"]
    fields = ["case", ("claim", "holder", "rank"), "statement"]
    inlines = [CitationOfAccountInline]


class CitationForm(DoorForm):
    """A citation moved to another case or source must not leave its case unsourced."""

    class Meta:
        model = models.Citation
        fields = ["source", "case", "response", "affiliation", "account", "locator", "quote", "claim"]

    def clean(self):
        data = super().clean()
        before = stored(self.instance)
        if before is not None and (before.case_id, before.source_id) != (
                getattr(data.get("case"), "pk", None), getattr(data.get("source"), "pk", None)):
            check_citations_removed([before])
        return data


@admin.register(models.Citation)
class CitationAdmin(HistoryMixin, DoorAdmin):
    form = CitationForm
    list_display = ["source", "locator", "case", "response", "affiliation", "account", "claim"]
    list_filter = ["claim"]
    list_select_related = ["source", "case__person", "response", "affiliation", "account"]
    search_fields = ["source__title", "source__url", "locator", "quote", "case__person__name"]
    autocomplete_fields = ["source", "case", "response", "affiliation", "account"]

    def get_deleted_objects(self, objs, request):
        """A deletion that would leave a case unsourced is refused, with the reason."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        try:
            check_citations_removed(list(objs))
        except ValidationError as refusal:
            protected = [*protected, *refusal.messages]
        return deleted, counts, perms_needed, protected
