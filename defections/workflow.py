"""The sourcing rules of the editorial workflow, for the admin, the API, imports and restores.

Who may publish, retract or change a published case is the permission door's
(defections/permissions.py). What a case must cite is said here: a published case cites
at least one source; a `confirmed` case cites sources of at least two different origins
(a source and its reprints, wire copies, reposts and translations are one origin).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from defections.choices import Status, Verification


def check_sources(status: str, verification: str, source_ids) -> None:
    """The sourcing rules, given the sources the case will cite once saved. A retracted case
    answers to none: taking a case down is always possible. (PostgreSQL holds the same rule
    at commit: defections/invariants.py.)"""
    source_ids = [pk for pk in source_ids if pk is not None]
    errors = []
    if status == Status.RETRACTED:
        return
    if status == Status.PUBLISHED and not source_ids:
        errors.append(ValidationError(gettext("A published case cites at least one source."),
                                      code="needs_citation"))
    if verification == Verification.CONFIRMED and origin_count(source_ids) < 2:
        errors.append(ValidationError(gettext(
            "A confirmed case cites sources of at least two independent origins (a reprint, "
            "wire copy, repost or translation counts with its original); with one, it is "
            "“reported”."), code="needs_two_origins"))
    if errors:
        raise ValidationError(errors)


def origin_count(source_ids) -> int:
    """How many independent origins these sources come from."""
    from defections.models import Source

    ids = set(source_ids)
    if len(ids) < 2:
        return len(ids)
    return Source.objects.filter(pk__in=ids).values("origin_id").distinct().count()


def check_citations_removed(citations) -> None:
    """Refuse taking these citations away (deleting them, or moving them to another case or
    source) when a case would be left without the sources its status needs."""
    from defections.models import Case

    removed = {}
    for citation in citations:
        if citation.pk is not None and citation.case_id is not None:
            removed.setdefault(citation.case_id, set()).add(citation.pk)
    for case in Case.objects.filter(pk__in=removed):
        remaining = case.citations.exclude(pk__in=removed[case.pk]).values_list("source_id", flat=True)
        try:
            check_sources(case.status, case.verification, remaining)
        except ValidationError as error:
            raise ValidationError(gettext(
                "%(case)s: %(reasons)s Add another citation first, or retract the case.") % {
                "case": case, "reasons": " ".join(error.messages)}) from error
