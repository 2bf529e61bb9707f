"""Forms shared by the admin (and anything else that edits records as people type them)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from defections import models
from defections.choices import Status
from defections.dates import CIRCA_YEARS, EXAMPLES, format_partial_date, parse_partial_date
from defections.duplicates import similar_cases, similar_people
from defections.permissions import allowed_statuses, authorize_delete, authorize_save, stored
from defections.workflow import check_sources


class PartialDateField(forms.CharField):
    """A partial date typed as text ("March 2026"); cleans to a PartialDate or None."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", format_lazy(
            _("As you would write it: {examples}. “c. 1953” means {start} to {end}. Blank if unknown."),
            examples=EXAMPLES, start=1953 - CIRCA_YEARS, end=1953 + CIRCA_YEARS))
        super().__init__(**kwargs)

    def to_python(self, value):
        return parse_partial_date(super().to_python(value))

    def has_changed(self, initial, data):
        """Changed when the text is (Django's own compares the text shown with the parsed date,
        so a date was always "changed", and re-read on every save)."""
        return " ".join((initial or "").split()) != " ".join((data or "").split())


class DoorForm(forms.ModelForm):
    """Asks the permission door (defections/permissions.py) about the record as it will be
    saved: a refusal is an error on the form, not a 403 after the user typed it all.

    The admin sets `user` on the class it builds per request; without one, nothing saves.
    """

    user = None

    def _post_clean(self):
        super()._post_clean()
        if self.instance.pk is not None and not self.has_changed():
            return  # an untouched row of an inline: asking about it again says nothing new
        try:
            if self.user is None:
                raise PermissionDenied(gettext("No user: nothing is saved."))
            authorize_save(self.user, self.instance)
        except PermissionDenied as refusal:
            self.add_error(None, str(refusal))


class DoorFormSet(forms.BaseInlineFormSet):
    """Inline rows: each saved row is asked by its form (DoorForm); each deleted one here."""

    user = None

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            before = stored(form.instance)
            if before is not None:
                try:
                    authorize_delete(self.user, before)
                except PermissionDenied as refusal:
                    raise ValidationError(str(refusal)) from refusal


class PartialDatesForm(DoorForm):
    """A model form whose partial dates (prefix_start/_end/_precision) are one text field each.

    Subclasses declare a PartialDateField per prefix and list the prefixes in `partial_dates`.
    """

    partial_dates: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix in self.partial_dates:
            if prefix in self.fields and prefix not in self.initial:
                self.initial[prefix] = format_partial_date(
                    getattr(self.instance, f"{prefix}_start"), getattr(self.instance, f"{prefix}_end"),
                    getattr(self.instance, f"{prefix}_precision"))

    def _post_clean(self):
        for prefix in self.partial_dates:
            # A date whose text was left as shown keeps its stored interval ("after 1991" ends
            # on the day it was recorded; read again today it would end today).
            if self.instance.pk is not None and prefix not in self.changed_data:
                continue
            if prefix in self.fields and prefix in self.cleaned_data:
                value = self.cleaned_data[prefix]
                setattr(self.instance, f"{prefix}_start", value.start if value else None)
                setattr(self.instance, f"{prefix}_end", value.end if value else None)
                setattr(self.instance, f"{prefix}_precision", value.precision if value else "")
        super()._post_clean()


class DatedForm(PartialDatesForm):
    """For the Dated models (responses, affiliations)."""

    date = PartialDateField(label=_("Date"))
    partial_dates = ("date",)


class CaseForm(DatedForm):
    """A case on one page, with the permission door and the no-lost-updates check.

    The admin sets `user` on the class it builds per request. `version` holds the
    case's updated_at as loaded; a save that finds another value was overtaken.
    """

    version = forms.CharField(label=_("Version"), widget=forms.HiddenInput, required=False)
    save_anyway = forms.BooleanField(
        required=False, label=_("Not a duplicate"),
        help_text=_("Tick to save although a case of this person in this form at this date exists."),
    )

    class Meta:
        model = models.Case
        fields = ["person", "agency", "role", "role_ru", "form", "country_from", "destination_country",
                  "place", "motives", "visibility", "verification", "classification", "summary", "summary_ru",
                  "narrative", "narrative_ru", "status", "restricted_notes", "retraction_note",
                  "retraction_note_ru"]
        widgets = {"motives": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.old_status = self.instance.status if self.instance.pk else None
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        status = self.fields.get("status")
        if status is not None and self.user is not None:
            allowed = {*allowed_statuses(self.user, self.instance), self.old_status}
            if len(allowed) < len(Status):
                status.choices = [c for c in Status.choices if c[0] in allowed]
                status.help_text = _("Set “In review” to submit the case to an editor, who publishes "
                                     "it.")

    def clean(self):
        data = super().clean()
        if self.instance.pk and not self.errors:
            self.check_not_overtaken()
        if {"person", "form", "date"} & set(self.changed_data) and not data.get("save_anyway"):
            date = data.get("date")
            probe = models.Case(pk=self.instance.pk, person=data.get("person"), form=data.get("form", ""),
                                date_start=date.start if date else None, date_end=date.end if date else None)
            if candidates := similar_cases(probe):
                links = format_html_join(", ", '<a href="{}" target="_blank">{}</a>', (
                    (reverse("admin:defections_case_change", args=[c.pk]), f"#{c.pk} {c}")
                    for c in candidates))
                raise ValidationError(format_html(gettext(
                    "Possible duplicate: {} (the same person, form and date). If this is another "
                    "act, tick “Not a duplicate” and save again."), links))
        return data

    def check_not_overtaken(self):
        """Lock the row and refuse the save if someone saved the case since it was loaded."""
        current = (models.Case.objects.select_for_update(of=("self",)).select_related("updated_by")
                   .get(pk=self.instance.pk))
        loaded = self.data.get(self.add_prefix("version"), "")
        if loaded == current.version:
            return
        # Saving again (after reading the message) overwrites: the form now carries the new version.
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.version
        who = current.updated_by or gettext("someone")
        raise ValidationError(
            gettext("Not saved: %(who)s changed this case at %(when)s, after you opened it. Your "
                    "input is kept below. Open the case in another tab to see their version; save "
                    "again to overwrite it with yours."),
            code="stale", params={"who": who, "when": date_format(localtime(current.updated_at),
                                                                  "H:i:s d M Y")},
        )


class CitationFormSet(DoorFormSet):
    """The case's citations as they will be once saved, checked against the sourcing rules."""

    def clean(self):
        super().clean()
        case = self.instance
        source_ids = [
            form.cleaned_data["source"].pk for form in self.forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("source")
            and not form.cleaned_data.get("DELETE")
        ]
        check_sources(case.status, case.verification, source_ids)


class PersonForm(PartialDatesForm):
    """A person, with the duplicate guard: close names are shown before a new one is saved."""

    birth = PartialDateField(label=_("Birth"))
    death = PartialDateField(label=_("Death"))
    partial_dates = ("birth", "death")
    save_anyway = forms.BooleanField(
        required=False, label=_("Not a duplicate"),
        help_text=_("Tick to save although people with close names exist."),
    )

    class Meta:
        model = models.Person
        fields = ["name", "native_name", "citizenship", "bio", "bio_ru", "wikidata_qid", "at_risk"]

    def clean(self):
        data = super().clean()
        birth, death = data.get("birth"), data.get("death")
        if birth and death and birth.start > death.end:
            self.add_error("death", gettext("The person dies before they are born."))
        names_changed = {"name", "native_name"} & set(self.changed_data)
        if names_changed and not data.get("save_anyway"):
            candidates = similar_people([data.get("name", ""), data.get("native_name", "")],
                                        exclude=self.instance.pk)
            if candidates:
                links = format_html_join(
                    ", ", '<a href="{}" target="_blank">{}</a>',
                    ((reverse("admin:defections_person_change", args=[p.pk]), person_label(p))
                     for p in candidates),
                )
                raise ValidationError(format_html(
                    gettext("Possible duplicates: {}. If this is someone else, tick “Not a "
                            "duplicate” and save again."), links))
        return data


def person_label(person) -> str:
    aliases = ", ".join(a.name for a in person.aliases.all())
    native = f" ({person.native_name})" if person.native_name else ""
    also = gettext(" — also %(aliases)s") % {"aliases": aliases} if aliases else ""
    return f"{person.name}{native}{also}"


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, with the columns the export writes."))
    dry_run = forms.BooleanField(
        required=False, initial=True, label=_("Dry run"),
        help_text=_("Check every row and show what would change, without writing anything."),
    )
