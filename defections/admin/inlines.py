"""The inlines: a record's rows edited on its page, each row asked of the door again."""


from django import forms
from django.contrib import admin
from django.db.models import TextField
from django.utils.translation import gettext_lazy as _

from defections import languages, models
from defections.admin.door import DoorInline
from defections.admin.forms import (
    CitationFormSet,
    DatedForm,
)
from defections.withholding import CASE_FIELDS, PERSON_FIELDS, WithheldField


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
