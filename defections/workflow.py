"""The sourcing rules of the editorial workflow, for the admin, the API, imports and restores.

Who may publish, retract or change a published case is the permission door's
(defections/permissions.py). What a case must cite is said here: a published case cites
at least one source; a `confirmed` case cites at least two different ones.
"""

from django.core.exceptions import ValidationError

from defections.choices import Status, Verification


def check_sources(status: str, verification: str, source_ids) -> None:
    """The sourcing rules, given the sources the case will cite once saved."""
    source_ids = [pk for pk in source_ids if pk is not None]
    errors = []
    if status == Status.PUBLISHED and not source_ids:
        errors.append(ValidationError("A published case cites at least one source.",
                                      code="needs_citation"))
    if verification == Verification.CONFIRMED and len(set(source_ids)) < 2:
        errors.append(ValidationError(
            "A confirmed case cites at least two different sources; "
            "with one, it is “reported”.", code="needs_two_sources"))
    if errors:
        raise ValidationError(errors)
