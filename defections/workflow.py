"""The editorial workflow, written once for the admin, the API and bulk actions.

Researchers create and edit drafts and submit them for review; editors (who hold
`defections.publish_case`) publish, retract and edit anything. A published case
cites at least one source; a `confirmed` case cites at least two different ones.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from defections.choices import Status, Verification

PUBLISH_PERMISSION = "defections.publish_case"
RESEARCHER_STATUSES = {Status.DRAFT, Status.REVIEW}


def can_publish(user) -> bool:
    return bool(user and user.has_perm(PUBLISH_PERMISSION))


def can_edit(user, status: str | None) -> bool:
    """May this user change a case that now has this status (None: a new case)?"""
    return can_publish(user) or status is None or status in RESEARCHER_STATUSES


def check_status_change(user, old_status: str | None, new_status: str) -> None:
    """Refuse what the user's role does not allow, by any path."""
    if not can_edit(user, old_status):
        raise PermissionDenied(
            f"Only an editor can change a {Status(old_status).label.lower()} case."
        )
    if new_status not in RESEARCHER_STATUSES and new_status != old_status and not can_publish(user):
        raise PermissionDenied(
            f"Only an editor can set a case to “{Status(new_status).label}”: "
            "submit it for review instead."
        )


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
