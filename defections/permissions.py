"""Who may change what: one door, asked as `user.has_perm(perm, obj)` by every write path.

The rule (django-rules predicates, registered once here): a researcher may add records
and change or delete what no published or retracted case shows; what such a case shows
(the case, its citations, its responses and theirs, its person with aliases and
affiliations, the sources and agency it cites) only an editor changes. Anyone who may
change a person may *set* `at_risk` (and whoever may change people at all may mark any
person at risk, since that only hides); only an editor clears it.

Model permissions (the groups of migration 0005) still say which kinds of record a role
may touch at all; the predicates here add the object's state. A write is asked twice:
about the record as stored (may I change it?) and as it will be saved (may I make it
this?). So a researcher cannot publish a case, attach a citation to a published case or
undelete one: the record as it would be is shown, and shown records are the editor's.
`authorize_save` and `authorize_delete` ask both; every face and command calls them.
"""

import copy

import rules
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from defections import models
from defections.choices import Status

EDITOR_PERMISSION = "defections.publish_case"
CLEAR_AT_RISK = "defections.clear_at_risk"
MARK_AT_RISK = "defections.mark_at_risk"
SHOWN_STATUSES = (Status.PUBLISHED, Status.RETRACTED)

_model_backend = ModelBackend()


def holds(perm: str):
    """The model permission itself, from the user's groups (asked without an object)."""

    @rules.predicate(name=f"holds {perm}")
    def check(user):
        return bool(user) and _model_backend.has_perm(user, perm)

    return check


is_editor = holds(EDITOR_PERMISSION)


# --- what a published or retracted case shows ------------------------------------------------


def _any_shown(cases) -> bool:
    """Is any of these cases published or retracted?

    Inside a transaction their rows stay locked (in id order) until it ends, so no publish
    lands between this answer and the write it allowed: a concurrent publish waits for the
    write, or was committed before and is seen here.
    """
    cases = models.Case.objects.filter(pk__in=cases.values("pk")).order_by("pk")
    if connection.in_atomic_block:
        cases = cases.select_for_update(no_key=True)
    return any(status in SHOWN_STATUSES for status in cases.values_list("status", flat=True))


def _cases_citing(source_id):
    """The cases citing the source or a source derived from it, at any remove: the public is
    shown a reprint's original with the reprint (visibility.sources)."""
    table = models.Source._meta.db_table
    line = RawSQL(f"""WITH RECURSIVE line(id) AS (SELECT %s::bigint UNION
                      SELECT s.id FROM {table} s JOIN line ON s.derived_from_id = line.id
                  ) SELECT id FROM line""", (source_id,))
    citing = models.Citation.objects.filter(source_id__in=line)
    return models.Case.objects.filter(
        Q(pk__in=citing.values("case_id")) | Q(pk__in=citing.values("response__case_id"))
        | Q(pk__in=citing.values("account__case_id"))
        | Q(person_id__in=citing.values("affiliation__person_id")))


def shown(obj) -> bool:
    """Does a published or retracted case show this record, as stored or as it will be?"""
    if obj is None:
        return False
    if isinstance(obj, models.Case):
        return obj.status in SHOWN_STATUSES or (
            obj.pk is not None and _any_shown(models.Case.objects.filter(pk=obj.pk)))
    if isinstance(obj, models.Response | models.Account):
        return obj.case_id is not None and shown(obj.case)
    if isinstance(obj, models.Citation):
        return any(getattr(obj, f"{name}_id") is not None and shown(getattr(obj, name))
                   for name in models.BACKED)
    if isinstance(obj, models.PersonAlias | models.Affiliation):
        return obj.person_id is not None and shown(obj.person)
    if isinstance(obj, models.Withholding):
        return (obj.case_id is not None and shown(obj.case)) or (
            obj.person_id is not None and shown(obj.person))
    if obj.pk is None:
        return False  # a new person, source, agency or motive is shown by nothing yet
    if isinstance(obj, models.Person):
        return _any_shown(models.Case.objects.filter(person_id=obj.pk))
    if isinstance(obj, models.Source):
        return _any_shown(_cases_citing(obj.pk))
    if isinstance(obj, models.Agency):
        return _any_shown(models.Case.objects.filter(
            Q(agency_id=obj.pk)
            | Q(person_id__in=models.Affiliation.objects.filter(agency_id=obj.pk).values("person_id"))))
    if isinstance(obj, models.Motive):
        return _any_shown(models.Case.objects.filter(motives=obj.pk))
    if isinstance(obj, models.Period):
        return True  # every period is drawn on the public timeline
    raise TypeError(f"No visibility rule for {type(obj).__name__}: add one to permissions.shown().")


@rules.predicate
def is_shown(user, obj):
    return shown(obj)


# --- the rules ---------------------------------------------------------------------------------

MODELS = ["case", "response", "account", "citation", "withholding", "person", "personalias",
          "affiliation", "source", "agency", "motive", "period"]

for _model in MODELS:
    for _action in ("add", "change", "delete"):
        _perm = f"defections.{_action}_{_model}"
        rules.add_perm(_perm, holds(_perm) & (is_editor | ~is_shown))
rules.add_perm(CLEAR_AT_RISK, is_editor)
# Marking a person at risk only hides: whoever may change people at all may do it, even to
# a person a published case shows (the admin's "Mark as at risk" action).
rules.add_perm(MARK_AT_RISK, holds("defections.change_person"))


# --- the door every write path calls ----------------------------------------------------------


def refusal(obj) -> str:
    if isinstance(obj, models.Case):
        return gettext("Only an editor can publish or retract a case, or change a published or "
                       "retracted one: submit it for review instead.")
    return gettext("Only an editor can change this %(name)s: a published or retracted case "
                   "shows it.") % {"name": obj._meta.verbose_name}


def stored(obj):
    """The record as it is in the database now (None for a new one), locked until the
    transaction ends when there is one."""
    if obj.pk is None:
        return None
    rows = type(obj)._default_manager.filter(pk=obj.pk)
    return (rows.select_for_update(no_key=True, of=("self",)) if connection.in_atomic_block else rows).first()


def authorize_save(user, obj, before=None, was=None) -> None:
    """Refuse (PermissionDenied) unless user may change obj as stored and save it as it is.

    `before` is the stored record when the caller has it already (with its relations as
    stored); by default it is read again. `was` is the record as it last was when it is
    being brought back (an undelete): what it was counts like what is stored.
    """
    opts = obj._meta
    before = stored(obj) if before is None else before
    if before is not None and not user.has_perm(f"{opts.app_label}.change_{opts.model_name}", before):
        raise PermissionDenied(refusal(before))
    action = "change" if before is not None else "add"
    if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}", obj):
        raise PermissionDenied(refusal(obj))
    previous = before if before is not None else was
    if (isinstance(obj, models.Person) and previous is not None and previous.at_risk
            and not obj.at_risk and not user.has_perm(CLEAR_AT_RISK, obj)):
        raise PermissionDenied(gettext("Only an editor can clear “at risk”: it makes the "
                                       "person's details public."))


def authorize_mark_at_risk(user, person) -> None:
    if not user.has_perm(MARK_AT_RISK, person):
        raise PermissionDenied(gettext("Only those who may change people can mark one at risk."))


def authorize_delete(user, obj) -> None:
    opts = obj._meta
    if not user.has_perm(f"{opts.app_label}.delete_{opts.model_name}", obj):
        raise PermissionDenied(refusal(obj))


def can_publish(user) -> bool:
    return bool(user) and user.has_perm(EDITOR_PERMISSION)


def allowed_statuses(user, case) -> set[str]:
    """The statuses this user may give this case (asked of the door, one trial per status)."""
    before = stored(case)
    allowed = set()
    for status in Status:
        trial = copy.copy(case)
        trial.status = status
        try:
            authorize_save(user, trial, before=before)
        except PermissionDenied:
            continue
        allowed.add(status.value)
    return allowed
