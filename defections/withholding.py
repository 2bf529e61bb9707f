"""One field of a case or a person kept from the public, for a reason, until a day.

An editor withholds, say, where a person went (`destination_country`) "until 2027-06-01":
until that day every public face shows the field as withheld (the rule is applied at the
visibility door, defections/visibility.py), and from that day it is public again, with
no write: whether a withholding is in force is asked of today's date (`today()`, the
clock a test can freeze) on every read, and what is cached is keyed by that date too
(defections/cache.py). Staff see the value and the reason.

A withheld field name is the API's: `date` covers the date's three columns (and the
period derived from it), `birth` and `death` a person's.
"""

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from defections import changes


class WithheldField(models.TextChoices):
    ROLE = "role", _("Role")
    PLACE = "place", _("Place")
    DATE = "date", _("Date")
    COUNTRY_FROM = "country_from", _("Country left")
    DESTINATION_COUNTRY = "destination_country", _("Destination")
    NARRATIVE = "narrative", _("Narrative")
    NATIVE_NAME = "native_name", pgettext_lazy("person", "Native name")
    BIRTH = "birth", _("Birth")
    DEATH = "death", _("Death")
    BIO = "bio", _("Biography")
    CITIZENSHIP = "citizenship", _("Citizenship")


# What each field withholds, by kind of record: the model's attributes, which are also
# the API's field names (beside the field's own name).
CASE_FIELDS = {
    "role": ("role", "role_ru"),
    "place": ("place",),
    "date": ("date_start", "date_end", "date_precision", "period"),
    "country_from": ("country_from",),
    "destination_country": ("destination_country",),
    "narrative": ("narrative", "narrative_ru"),
}
PERSON_FIELDS = {
    "native_name": ("native_name",),
    "birth": ("birth_start", "birth_end", "birth_precision"),
    "death": ("death_start", "death_end", "death_precision"),
    "bio": ("bio", "bio_ru"),
    "citizenship": ("citizenship",),
}
# Which case fields the full-text search reads (Case.search_vector), of those withheld.
SEARCHED = ("role", "narrative")


def today():
    """The day against which an expiry is read (the server's clock; UTC)."""
    return timezone.now().date()


class WithholdingQuerySet(models.QuerySet):
    def active(self, day=None):
        """The withholdings in force on day (today): no expiry, or an expiry after it."""
        day = day or today()
        return self.filter(Q(until__isnull=True) | Q(until__gt=day))


# A write that changes what the public reads of a record (a field withheld now, or no
# longer) moves the record's change time, so `updated_after` finds it and its stale-save
# check with it. One that does not (a reason reworded, an expiry moved while the field
# stays withheld) leaves it: the public would read a change time for a change it cannot see.
TOUCH = """
    UPDATE defections_case SET updated_at = now() WHERE updated_at < now() AND id = {row}.case_id;
    UPDATE defections_person SET updated_at = now() WHERE updated_at < now() AND id = {row}.person_id;"""
IN_FORCE = "({row}.until IS NULL OR {row}.until > CURRENT_DATE)"
SAME = ("TG_OP = 'UPDATE' AND NEW.field = OLD.field AND NEW.case_id IS NOT DISTINCT FROM OLD.case_id "
        "AND NEW.person_id IS NOT DISTINCT FROM OLD.person_id AND {other}")

touches_record = pgtrigger.Trigger(
    name="withholdings_touch_record", when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
    func=f"""
    IF TG_OP <> 'DELETE' AND {IN_FORCE.format(row="NEW")}
       AND NOT ({SAME.format(other=IN_FORCE.format(row="OLD"))}) THEN {TOUCH.format(row="NEW")}
    END IF;
    IF TG_OP <> 'INSERT' AND {IN_FORCE.format(row="OLD")}
       AND NOT ({SAME.format(other=IN_FORCE.format(row="NEW"))}) THEN {TOUCH.format(row="OLD")}
    END IF;
    RETURN NULL;""")


class Withholding(models.Model):
    """A field of one case or one person kept from the public until a day (or until lifted)."""

    case = models.ForeignKey("defections.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="withholdings")
    person = models.ForeignKey("defections.Person", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="withholdings")
    field = models.CharField(max_length=24, choices=WithheldField,
                             help_text=_("The field the public is not shown."))
    reason = models.TextField(max_length=2000, help_text=_("Why it is withheld (staff only)."))
    reason_ru = models.TextField(_("reason (Russian)"), max_length=2000, blank=True)
    until = models.DateField(null=True, blank=True, help_text=_(
        "The day from which the field is public again, with no further edit; empty: until "
        "an editor lifts it."))

    objects = WithholdingQuerySet.as_manager()

    class Meta:
        ordering = ["field", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, person__isnull=True, field__in=list(CASE_FIELDS))
                | Q(case__isnull=True, person__isnull=False, field__in=list(PERSON_FIELDS)),
                name="withholding_field_of_its_record",
                violation_error_message=_("A withholding is of one field of a case or of a person."),
            ),
            models.UniqueConstraint(fields=["case", "field"], name="withholding_once_per_case_field",
                                    violation_error_message=_("This field of the case is withheld already.")),
            models.UniqueConstraint(
                fields=["person", "field"], name="withholding_once_per_person_field",
                violation_error_message=_("This field of the person is withheld already.")),
            models.CheckConstraint(condition=~Q(reason=""), name="withholding_has_reason",
                                   violation_error_message=_("A withholding says why.")),
        ]
        triggers = [touches_record, changes.marks("withholding_marks", ("case", "case_id"),
                                                  ("person", "person_id"))]

    def __str__(self):
        if self.until:
            return gettext("%(field)s withheld until %(until)s") % {
                "field": self.get_field_display(), "until": f"{self.until:%Y-%m-%d}"}
        return gettext("%(field)s withheld") % {"field": self.get_field_display()}

    def clean(self):
        fields = CASE_FIELDS if self.case_id is not None or self.person_id is None else PERSON_FIELDS
        if self.field and self.field not in fields:
            message = (gettext("A case's withheld field is one of: %(fields)s.") if fields is CASE_FIELDS
                       else gettext("A person's withheld field is one of: %(fields)s."))
            raise ValidationError({"field": message % {"fields": ", ".join(fields)}})

    @property
    def in_force(self) -> bool:
        return self.until is None or self.until > today()


def lapsed(after, day) -> list[tuple[str, int]]:
    """The records (change-feed marks: kind, id) whose withholdings ended after the day
    `after` and by `day`: what the public reads of them changed with no write."""
    rows = Withholding.objects.filter(until__gt=after, until__lte=day).values_list("case_id", "person_id")
    return [("case", case) if case is not None else ("person", person) for case, person in rows]
