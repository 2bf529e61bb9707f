"""Researchers' admin: fast, sourced, reviewed data entry with full history.

The rules live elsewhere and are only applied here: the workflow in workflow.py, the
forms (partial dates, stale saves, duplicates) in forms.py, CSV in csv_io.py, history in
history.py. See docs/readme-admin.md.
"""

import copy
import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, TextField
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from defections import choices, codebook, csv_io, history, invariants, languages, models
from defections.filtersets import CaseFilterSet
from defections.forms import (
    CaseForm,
    CitationFormSet,
    CsvImportForm,
    DatedForm,
    DoorForm,
    DoorFormSet,
    PersonForm,
)
from defections.permissions import (
    authorize_delete,
    authorize_mark_at_risk,
    authorize_save,
    can_publish,
    stored,
)
from defections.search import matching_person_ids, search_cases
from defections.withholding import CASE_FIELDS, PERSON_FIELDS, WithheldField
from defections.workflow import check_citations_removed, check_sources

# --- the permission door: every admin asks it about the object ------------------------------


def perm(opts, action: str) -> str:
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


# The texts written in both languages, by model: each English column is edited beside its
# Russian one (on one row of the form), in text boxes narrow enough to sit side by side.
BILINGUAL = {model: {column for field in fields for column in languages.columns(field)}
             for model, fields in languages.TRANSLATED.items()}


def bilingual(db_field, formfield):
    if (formfield is not None and isinstance(formfield.widget, forms.Textarea)
            and db_field.name in BILINGUAL.get(db_field.model.__name__, ())):
        formfield.widget.attrs["class"] = f"{formfield.widget.attrs.get('class', '')} bilingual".strip()
    return formfield


class DoorAdmin(admin.ModelAdmin):
    """Change and delete are asked of the door (defections/permissions.py) with the object;
    saves and deletes are asked again as they happen, whatever page or action made them."""

    form = DoorForm
    # Boxes that confirm a warning of the form ("Not a duplicate"): left out of the fieldsets,
    # shown right under the warning while there is one (templates/admin/defections/change_form.html).
    confirm_fields = ()

    class Media:
        css = {"all": ["css/admin.css"]}

    def render_change_form(self, request, context, *args, **kwargs):
        form = context["adminform"].form
        context["confirm_fields"] = [form[name] for name in self.confirm_fields
                                     if name in form.fields and form.non_field_errors()]
        return super().render_change_form(request, context, *args, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bilingual(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(perm(self.opts, "change"), obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(perm(self.opts, "delete"), obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if not isinstance(form, DoorForm):  # a DoorForm asked as it cleaned, rows locked since
            authorize_save(request.user, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for row in formset.forms:
            if row in formset.deleted_forms:
                if not isinstance(formset, DoorFormSet) and (before := stored(row.instance)):
                    authorize_delete(request.user, before)
            elif row.has_changed() and not isinstance(row, DoorForm):
                authorize_save(request.user, row.instance)
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        authorize_delete(request.user, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            authorize_delete(request.user, obj)
        super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        """The confirmation page names what the door refuses, and the POST is then refused."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(not request.user.has_perm(perm(obj._meta, "delete"), obj) for obj in objs):
            perms_needed.add(str(self.opts.verbose_name))
        return deleted, counts, perms_needed, protected


class CountriesWidget(FilteredSelectMultiple):
    """Django's two boxes with a search, in the wrapper its script expects (as around a many-
    to-many field); without one, the boxes are put before the field's label."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<div class="related-widget-wrapper">{}</div>',
                           super().render(name, value, attrs, renderer))


class DoorInline:
    """An inline's rows are the parent's: changed only where the parent may be changed. Each
    row is asked again as saved (DoorForm) or deleted (DoorFormSet)."""

    form = DoorForm
    formset = DoorFormSet

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bilingual(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def parent_allows(self, request, obj):
        return obj is None or request.user.has_perm(perm(obj._meta, "change"), obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self.parent_allows(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.parent_allows(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.parent_allows(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = type(formset.form.__name__, (formset.form,), {"user": request.user})
        return type(formset.__name__, (formset,), {"form": form, "user": request.user})

# --- history: a readable diff of every change, and a restore button ------------------------


class HistoryMixin:
    """Replaces the admin's "History" page with the pghistory events of the object."""

    object_history_template = "admin/defections/history.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/history/restore/",
                 self.admin_site.admin_view(self.restore_view), name="{}_{}_restore".format(*info)),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("History: %(object)s") % {"object": obj},
            "subtitle": None,
            "entries": history.entries(obj),
            "module_name": str(self.opts.verbose_name_plural).capitalize(),
            "object": obj,
            "opts": self.opts,
            "can_restore": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def restore_view(self, request, object_id):
        """Restore one row (the object, or a citation or response of it) as it was in an event."""
        if request.method != "POST":
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                                    args=[object_id]))
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            event = history.load_event(request.POST.get("event", ""))
        except (LookupError, ValueError) as error:
            raise Http404(gettext("No such event.")) from error
        own = event.pgh_tracked_model is type(obj) and event.pgh_obj_id == obj.pk
        if not own and not self.event_concerns(event, obj):
            raise PermissionDenied
        target_admin = self.admin_site._registry.get(event.pgh_tracked_model)
        if target_admin is None:  # a case's motives: edited on the case's own page
            self.message_user(request, gettext("Not restored: change this on the record's own page."),
                              messages.ERROR)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                                    args=[object_id]))
        current = event.pgh_tracked_model.objects.filter(pk=event.pgh_obj_id).first()
        if not (target_admin.has_change_permission(request, current)
                if current else target_admin.has_add_permission(request)):
            raise PermissionDenied
        try:
            restored = history.restore(event, request.user)
        except (ValidationError, PermissionDenied, IntegrityError) as error:
            reason = ("; ".join(error.messages) if isinstance(error, ValidationError)
                      else invariants.explain(error) if isinstance(error, IntegrityError) else str(error))
            self.message_user(request, gettext("Not restored: %(reason)s") % {"reason": reason},
                              messages.ERROR)
        else:
            when = date_format(localtime(event.pgh_created_at), "d M Y H:i:s")
            self.message_user(request, gettext("Restored “%(record)s” as it was on %(when)s.") % {
                "record": restored, "when": when}, messages.SUCCESS)
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                                args=[object_id]))

    @staticmethod
    def event_concerns(event, obj) -> bool:
        """Does the event's row point to obj (a case's citation, a person's alias)?"""
        for model_field in event._meta.concrete_fields:
            if (model_field.is_relation and model_field.related_model is type(obj)
                    and getattr(event, model_field.attname) == obj.pk):
                return True
        return False


# --- inlines ------------------------------------------------------------------------------


class CitationInline(DoorInline, admin.TabularInline):
    model = models.Citation
    fk_name = "case"
    formset = CitationFormSet
    extra = 1
    fields = ["source", "locator", "quote", "claim"]
    autocomplete_fields = ["source"]
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}


class ResponseInline(DoorInline, admin.StackedInline):
    model = models.Response
    form = DatedForm
    extra = 0
    fields = ["kind", "date", languages.columns("description")]
    show_change_link = True  # its own citations are on the response's page


class AccountInline(DoorInline, admin.StackedInline):
    model = models.Account
    extra = 0
    fields = [("claim", "holder", "rank"), "statement"]
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}
    show_change_link = True  # its own citations are on the account's page


class WithholdingInline(DoorInline, admin.TabularInline):
    """Fields of this case or person kept from the public (staff see why and until when).

    The dropdown offers only the fields of the parent's kind; any other is refused as an
    invalid choice (and by the database's constraint behind it).
    """

    model = models.Withholding
    extra = 0
    fields = ["field", *languages.columns("reason"), "until"]
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "field":
            allowed = CASE_FIELDS if self.parent_model is models.Case else PERSON_FIELDS
            kwargs["choices"] = [("", "---------"), *[c for c in WithheldField.choices if c[0] in allowed]]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class AliasInline(DoorInline, admin.TabularInline):
    model = models.PersonAlias
    extra = 1


class AffiliationInline(DoorInline, admin.TabularInline):
    model = models.Affiliation
    form = DatedForm
    extra = 0
    fields = ["agency", *languages.columns("role"), "date"]
    autocomplete_fields = ["agency"]
    show_change_link = True


class PersonCaseInline(DoorInline, admin.TabularInline):
    """A person's cases, read here, edited on the case's own page."""

    model = models.Case
    fields = ["form", "case_date", "agency", "status", "verification"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    @admin.display(description=_("date"))
    def case_date(self, case):
        return case.date or "—"

    def has_add_permission(self, request, obj=None):
        return False


class SubAgencyInline(DoorInline, admin.TabularInline):
    model = models.Agency
    fk_name = "parent"
    verbose_name = _("sub-agency")
    verbose_name_plural = _("sub-agencies")
    fields = [*languages.columns("name"), "slug", "acronym", "kind"]
    extra = 0
    show_change_link = True


class CitationOfResponseInline(DoorInline, admin.TabularInline):
    model = models.Citation
    fk_name = "response"
    extra = 1
    fields = ["source", "locator", "quote", "claim"]
    autocomplete_fields = ["source"]


class CitationOfAffiliationInline(CitationOfResponseInline):
    fk_name = "affiliation"


class CitationOfAccountInline(CitationOfResponseInline):
    fk_name = "account"


# --- list filters with the public vocabulary ----------------------------------------------


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


# --- cases --------------------------------------------------------------------------------


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


def cut(text: str, href: str = ""):
    """A long text (a link if href) cut short by the stylesheet, whole in its title."""
    if href:
        return format_html('<a class="cut" href="{}" title="{}" rel="noopener noreferrer">{}</a>',
                           href, href, text)
    return format_html('<span class="cut" title="{}">{}</span>', text, text)


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


# --- people, agencies, sources ------------------------------------------------------------


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


# --- Django's own phrases, said again ---------------------------------------------------------

# Django's Russian makes these agree with a masculine name only ("Лицо … был добавлен"), and
# most of ours are neuter; our catalog, read before Django's (LOCALE_PATHS), speaks of the
# record instead ("Запись … добавлена"). Marked here so that makemessages keeps them.
DJANGO_PHRASES = (
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
)


# --- the dashboard ----------------------------------------------------------------------------

_index = admin.site.index


def index(request, extra_context=None):
    """The admin's front page says how many cases await re-review under the current codebook."""
    queue = (models.Case.objects.needing_review().count()
             if request.user.has_perm("defections.view_case") else None)
    return _index(request, {**(extra_context or {}), "review_queue": queue,
                            "codebook_version": codebook.CURRENT})


admin.site.index = index
