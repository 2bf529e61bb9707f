"""The codebook's versions: what changed in the definitions researchers code by, and when.

A case records the version it was coded under and who signed it off (set when it is
published, and again when an editor signs it off anew). When a version changes the
definition of a coded value, the cases coded under an older version with that value need
another look: `needing_review()` is the admin's re-review queue. Add a version here (and
its line on /about/ follows) whenever a definition in choices.py changes meaning.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Version:
    number: int
    released: date
    notes: list[str]
    # The coded values whose definition this version changed: {field: {values}}.
    redefined: dict[str, set[str]] = field(default_factory=dict)


VERSIONS = [
    Version(1, date(2026, 5, 1), [
        _("The first codebook: three forms of defection, verification, classification, "
           "visibility, state responses, periods of instability and motives.")]),
    Version(2, date(2026, 11, 27), [
        _("“Confirmed” now needs sources of two independent origins: a reprint, a wire copy, a "
           "repost or a translation counts with its original."),
        _("Competing accounts of one fact, each with its holder and rank; a case holding more "
           "than one live account of a fact is contested.")],
        redefined={"verification": {"confirmed"}}),
    Version(3, date(2026, 11, 27), [
        _("More of the dates researchers write are read: seasons (“spring 1953”, “winter 1952–53”), "
           "parts of a decade (“early 1950s”, “mid-1950s”, “late 1980s”), “before 1941” and “after "
           "1991”, “22.06.1941” and “06.1941”, and dates written in Russian (“22 июня 1941 г.”, "
           "“1930-е гг.”, “около 1953”)."),
        _("“Circa” now means the year given, give or take two years: “c. 1953” is any time from 1951 "
           "to 1955 (it was 1953 alone); the circa dates already recorded were widened so.")],
        redefined={"date_precision": {"circa"}}),
]
CURRENT = VERSIONS[-1].number


def needing_review() -> Q:
    """Cases coded under an older definition of a value they hold: for each version, the
    cases coded before it that hold a value it redefined."""
    condition = Q(pk__in=[])
    for version in VERSIONS:
        for name, values in version.redefined.items():
            condition |= Q(codebook_version__lt=version.number, **{f"{name}__in": values})
    return condition
