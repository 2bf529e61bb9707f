"""Reading and reverting the change history that pghistory's triggers record (models.py, @tracked).

Every insert, update and delete of a tracked row is an event holding the row as it was
after the change (before it, for a delete), with the user and URL of the request. The
admin lists an object's events, and those of the rows that point to it (a case's citations
and responses), as readable diffs, and can restore any of them.
"""

import copy
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.translation import gettext
from pghistory.models import MiddlewareEvents

from defections.ids import parse_id
from defections.models import Case
from defections.permissions import authorize_save
from defections.workflow import check_sources

# Bookkeeping that changes with every save: not shown in diffs, never restored.
NOISE = {"updated_at", "created_at", "search_vector"}
KEEP_ON_RESTORE = {"id", "created_at", "updated_at", "created_by", "updated_by", "period"}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    event: MiddlewareEvents
    model_label: str      # e.g. "Citation"
    object_label: str
    user: object
    changes: list[Change]


def events_for(obj):
    """The events of obj and of the tracked rows that refer to it, newest first."""
    return MiddlewareEvents.objects.references(obj).order_by("-pgh_created_at", "-pgh_id")


def readable(model, name: str, raw) -> str:
    if raw is None or raw == "":
        return "—"
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(raw)
    if model_field.is_relation and model_field.many_to_one:
        target = model_field.related_model.objects.filter(pk=raw).first()
        return str(target) if target else gettext("#%(id)s (deleted)") % {"id": raw}
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(raw, raw))
    return str(raw)


def field_name(model, key: str) -> tuple[str, str]:
    """(model field name, verbose label) for a column name of the event row."""
    for model_field in model._meta.concrete_fields:
        if key in (model_field.attname, model_field.name):
            return model_field.name, str(model_field.verbose_name)
    return key, key.replace("_", " ")


def entries(obj, limit=200) -> list[Entry]:
    events = list(events_for(obj)[:limit])
    users = get_user_model().objects.in_bulk(
        {e.pgh_context.get("user") for e in events if e.pgh_context and e.pgh_context.get("user")})
    result = []
    for event in events:
        model = apps.get_model(event.pgh_obj_model)
        if event.pgh_label == "update":
            raw = {key: pair for key, pair in (event.pgh_diff or {}).items()}
        else:
            raw = {key: ([None, v] if event.pgh_label == "insert" else [v, None])
                   for key, v in (event.pgh_data or {}).items()}
        changes = []
        for key, (old, new) in raw.items():
            name, label = field_name(model, key)
            if name in NOISE or key == "id" or old == new:
                continue
            changes.append(Change(label, readable(model, name, old), readable(model, name, new)))
        user_id = (event.pgh_context or {}).get("user")
        result.append(Entry(
            event=event, model_label=str(model._meta.verbose_name).capitalize(),
            object_label=f"#{event.pgh_obj_id}", user=users.get(user_id), changes=changes,
        ))
    return result


def load_event(slug: str):
    """The stored event row for a slug such as "defections.CaseEvent:12"."""
    label, _, pk = slug.rpartition(":")
    event_model = apps.get_model(label)
    if getattr(event_model, "pgh_tracked_model", None) is None or parse_id(pk) is None:
        raise LookupError(slug)
    return event_model.objects.get(pgh_id=parse_id(pk))


def copy_event(event, obj):
    """Set obj's fields (not its bookkeeping) to the values the event recorded."""
    for model_field in type(obj)._meta.concrete_fields:
        if model_field.name in KEEP_ON_RESTORE or model_field.generated:
            continue
        if hasattr(event, model_field.attname):
            setattr(obj, model_field.attname, getattr(event, model_field.attname))
    return obj


@transaction.atomic
def restore(event, user):
    """Put the tracked row back as it was in this event, as a new change by user.

    The permission door applies to the row as stored and as restored: a researcher cannot
    restore a published state, nor bring back (undelete) a row that a published case shows.
    A restored published case still needs its citations.
    """
    model = event.pgh_tracked_model
    obj = model.objects.select_for_update().filter(pk=event.pgh_obj_id).first()
    before = copy.copy(obj) if obj is not None else None
    if obj is None:
        obj = model(pk=event.pgh_obj_id)
    copy_event(event, obj)
    was = None
    if before is None:  # an undelete: the row as it was when deleted counts as stored
        last = type(event).objects.filter(pgh_obj_id=event.pgh_obj_id).order_by("-pgh_id").first()
        was = copy_event(last, model(pk=event.pgh_obj_id))
    authorize_save(user, obj, before=before, was=was)
    if isinstance(obj, Case):
        source_ids = list(obj.citations.values_list("source_id", flat=True)) if obj.pk else []
        check_sources(obj.status, obj.verification, source_ids)
        obj.updated_by = user
    obj.full_clean(validate_unique=True)
    obj.save()
    return obj

