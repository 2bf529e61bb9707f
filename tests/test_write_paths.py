"""Every write path × model × role × state, generated from the paths themselves.

The paths come from the admin registry (each model admin's add, change, delete, bulk delete,
history restore, actions and extra URLs, each inline's add, change and delete, and undelete
through every history page that lists a row) and from the API router (each viewset's
create, update, partial update and destroy). Each is tried by an anonymous client, a
researcher and an editor, on a record that no published case shows ("draft") and on one
that a published case shows ("shown"); the database says whether the write happened. A
path without a runner below, or a model without its rows, fails `test_every_path_has_a_runner`.
"""

import csv
import io
import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.forms.models import _get_foreign_key
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from defections import codebook
from defections.api.urls import router
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)
from tests.write_paths import (
    MARK_FIELD,
    MARKER,
    MODEL_CLASSES,
    NEVER_SHOWN_WHEN_NEW,
    build_world,
    new_record_fields,
    read_form,
    reload,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "researcher", "editor"]
STATES = ["draft", "shown"]

# The asserted outcome. What a researcher may do to a record that no published or
# retracted case shows (the groups of migration 0005); to one that such a case shows,
# nothing. An editor may do everything; anonymous clients nothing.
RESEARCHER_MAY = {
    "case": {"add", "change"},
    "response": {"add", "change", "delete"},
    "account": {"add", "change", "delete"},
    "citation": {"add", "change", "delete"},
    "withholding": {"add", "change", "delete"},
    "person": {"add", "change"},
    "personalias": {"add", "change", "delete"},
    "affiliation": {"add", "change", "delete"},
    "source": {"add", "change"},
    "agency": {"add"},
    "motive": set(),
    "period": set(),
}
# Always referred to in the world (by a case, a citation or an affiliation): no one deletes them.
PROTECTED = {"person", "source", "agency"}
# Every period is drawn on the public timeline: shown, whatever the world's state.
ALWAYS_SHOWN = {"period"}


def expected(role: str, model: str, action: str, state: str, protected=PROTECTED) -> bool:
    if role == "anonymous" or (action == "delete" and model in protected):
        return False
    if action == "mark":  # marking at risk only hides: anyone who may change people
        return True
    if role == "editor":
        return True
    shown = state == "shown" or model in ALWAYS_SHOWN
    return not shown and action in RESEARCHER_MAY[model]


# --- the paths, from the registries ------------------------------------------------------------

ADMINS = {model._meta.model_name: model_admin for model, model_admin in admin.site._registry.items()
          if model._meta.app_label == "defections"}
STANDARD_URLS = {"changelist", "add", "history", "delete", "change", "restore"}


def inline_prefix(parent_model, inline):
    fk = _get_foreign_key(parent_model, inline.model, fk_name=inline.fk_name)
    return fk, fk.remote_field.get_accessor_name(model=inline.model).replace("+", "")


def editable_inline(inline) -> bool:
    fields = inline.fields or []
    return bool(set(fields) - set(inline.readonly_fields or []))


def admin_paths():
    for name, model_admin in ADMINS.items():
        yield "admin-add", name
        yield "admin-change", name
        yield "admin-delete", name
        yield "admin-bulk-delete", name
        if hasattr(model_admin, "restore_view"):
            yield "admin-restore", name
        for action in model_admin.actions or []:
            yield f"admin-action:{action}", name
        for pattern in model_admin.get_urls():
            suffix = (pattern.name or "").removeprefix(f"defections_{name}_")
            if pattern.name and suffix not in STANDARD_URLS:
                yield f"admin-url:{suffix}", name
        for inline in model_admin.inlines:
            if editable_inline(inline):
                for kind in ("add", "change", "delete"):
                    yield f"inline-{kind}:{name}", inline.model._meta.model_name
        # Undelete: a deleted row is restored from the history page of a record it points to.
        for field in model_admin.model._meta.concrete_fields:
            target = field.related_model
            if (field.many_to_one and target is not None and target._meta.app_label == "defections"
                    and hasattr(ADMINS.get(target._meta.model_name), "restore_view")
                    and hasattr(model_admin, "restore_view")):
                yield f"undelete-via:{target._meta.model_name}", name


def api_paths():
    for _prefix, viewset, basename in router.registry:
        for action in ("create", "update", "partial_update", "destroy"):
            if hasattr(viewset, action):
                yield f"api-{action}", basename


PATHS = sorted({*admin_paths(), *api_paths()})


# --- clients -----------------------------------------------------------------------------------


def web_client(role):
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(f"{role}-web", role.title()))
    return client


def api_client(role):
    if role == "anonymous":
        return APIClient()
    return client_for(make_user(f"{role}-api", role.title()))


def editor_page(url) -> str:
    """A page as an editor's browser shows it, so that every role posts the same form."""
    client = Client()
    client.force_login(make_user("page-reader", "Editor"))
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def posted(response):
    assert response.status_code < 500, response.content[:2000]
    return response


def marker_field(model: str) -> str:
    return next(key for key, value in new_record_fields(model, WORLD_STUB, "draft").items()
                if value == MARKER)


WORLD_STUB = {name: type("Stub", (), {"pk": 0})() for name in MODEL_CLASSES}


def created(model: str) -> bool:
    return MODEL_CLASSES[model]._default_manager.filter(**{marker_field(model): MARKER}).exists()


def marked(obj, field=None) -> bool:
    current = reload(obj)
    return current is not None and getattr(current, field or MARK_FIELD[obj._meta.model_name]) == MARKER


# --- runners: each tries one path and says whether the write happened -------------------------


def admin_add(role, world, model, state):
    data = read_form(editor_page(reverse(f"admin:defections_{model}_add")), model)
    data.update({key: [value] for key, value in new_record_fields(model, world, state).items()})
    if model == "case" and state == "shown":
        data["citations-0-source"] = [world["source"].pk]
        data["citations-0-locator"] = ["p. 1"]
    posted(web_client(role).post(reverse(f"admin:defections_{model}_add"), data))
    return created(model)


def admin_change(role, world, model, state):
    obj = world[model]
    url = reverse(f"admin:defections_{model}_change", args=[obj.pk])
    data = read_form(editor_page(url), model)
    data[MARK_FIELD[model]] = [MARKER]
    posted(web_client(role).post(url, data))
    return marked(obj)


def admin_delete(role, world, model, state):
    obj = world[model]
    posted(web_client(role).post(reverse(f"admin:defections_{model}_delete", args=[obj.pk]),
                                 {"post": "yes"}))
    return reload(obj) is None


def admin_bulk_delete(role, world, model, state):
    obj = world[model]
    posted(web_client(role).post(reverse(f"admin:defections_{model}_changelist"), {
        "action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}))
    return reload(obj) is None


def event_model(model: str):
    return apps.get_model("defections", f"{MODEL_CLASSES[model].__name__}Event")


def slug(event) -> str:
    return f"{event._meta.label}:{event.pgh_id}"


def admin_restore(role, world, model, state):
    """A change by a script, then the version before it restored from the history page."""
    obj = world[model]
    setattr(obj, MARK_FIELD[model], MARKER)
    obj.save()
    earlier = event_model(model).objects.filter(pgh_obj_id=obj.pk).order_by("-pgh_id")[1]
    posted(web_client(role).post(reverse(f"admin:defections_{model}_restore", args=[obj.pk]),
                                 {"event": slug(earlier)}))
    return not marked(obj)


def undelete_via(parent):
    def run(role, world, model, state):
        field = next(f for f in MODEL_CLASSES[model]._meta.concrete_fields
                     if f.many_to_one and f.related_model is MODEL_CLASSES[parent])
        obj = MODEL_CLASSES[model]._default_manager.filter(**{field.name: world[parent]}).first()
        pk = obj.pk
        obj.delete()
        deleted = event_model(model).objects.get(pgh_obj_id=pk, pgh_label="delete")
        posted(web_client(role).post(reverse(f"admin:defections_{parent}_restore",
                                             args=[world[parent].pk]), {"event": slug(deleted)}))
        return MODEL_CLASSES[model]._default_manager.filter(pk=pk).exists()
    return run


def inline(kind, parent):
    def run(role, world, model, state):
        model_admin = ADMINS[parent]
        inline_class = next(i for i in model_admin.inlines if i.model._meta.model_name == model)
        fk, prefix = inline_prefix(model_admin.model, inline_class)
        url = reverse(f"admin:defections_{parent}_change", args=[world[parent].pk])
        data = read_form(editor_page(url), parent)
        initial = int(data[f"{prefix}-INITIAL_FORMS"][0])
        if kind == "add":
            data[f"{prefix}-TOTAL_FORMS"] = [max(int(data[f"{prefix}-TOTAL_FORMS"][0]), initial + 1)]
            for key, value in new_record_fields(model, world, state, parent).items():
                if key != fk.name:
                    data[f"{prefix}-{initial}-{key}"] = [value]
            posted(web_client(role).post(url, data))
            return created(model)
        assert initial, f"the world has no {model} under its {parent}"
        row = MODEL_CLASSES[model]._default_manager.get(pk=data[f"{prefix}-0-id"][0])
        if kind == "delete":
            data[f"{prefix}-0-DELETE"] = ["on"]
            posted(web_client(role).post(url, data))
            return reload(row) is None
        field = next(name for name in (MARK_FIELD[model], "acronym") if f"{prefix}-0-{name}" in data)
        data[f"{prefix}-0-{field}"] = [MARKER]
        posted(web_client(role).post(url, data))
        return marked(row, field)
    return run


ACTIONS = {  # action: (what it asks of the door, the field it sets, the value)
    "submit_for_review": ("change", "status", "review"),
    "publish": ("publish", "status", "published"),
    "retract": ("publish", "status", "retracted"),
    "mark_at_risk": ("mark", "at_risk", True),
    "sign_off": ("publish", "codebook_version", codebook.CURRENT),
}
READ_ONLY = {"admin-action:export_selected", "admin-url:export"}


def admin_action(name):
    def run(role, world, model, state):
        obj, (_action, field, value) = world[model], ACTIONS[name]
        posted(web_client(role).post(reverse(f"admin:defections_{model}_changelist"), {
            "action": name, "_selected_action": [obj.pk]}))
        return getattr(reload(obj), field) == value
    return run


def csv_import(kind):
    def run(role, world, model, state):
        case, source = world["case"], world["source"]
        status = "published" if state == "shown" else "draft"
        # a new case is another act than the draft's (the same one is a possible duplicate)
        row = {"id": case.pk if kind == "update" else "", "person": case.person.name,
               "form": "geographic" if kind == "update" else "articulated", "summary": MARKER,
               "status": status, "country_from": "RU",
               "verification": "reported", "classification": "certain",
               "citations": f"{source.url} | p. 1"}
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
        upload = io.BytesIO(out.getvalue().encode())
        upload.name = "cases.csv"
        posted(web_client(role).post(reverse("admin:defections_case_import"), {"file": upload}))
        return marked(case) if kind == "update" else created("case")
    return run


# --- the API -----------------------------------------------------------------------------------

API_MODEL = {basename: basename for _p, _v, basename in router.registry}


def api_url(model, obj=None):
    prefix = next(p for p, _v, basename in router.registry if basename == model)
    return f"/api/v1/{prefix}/" + (f"{obj.pk}/" if obj is not None else "")


def api_body(model, world, state):
    body = new_record_fields(model, world, state)
    body.pop("save_anyway", None)
    if model == "person":
        body["citizenship"] = []
    if model == "case":
        body["citations"] = [{"source": world["source"].pk, "locator": "p. 1"}]
    return body


def write_form(data: dict) -> dict:
    """A record as read (nested brief objects) turned into what a write takes (ids)."""
    body = {}
    for key, value in data.items():
        stem, _, end = key.rpartition("_")
        if key in {"id", "api_url", "updated_at", "period", "cases"} or (
                stem in data and end in {"start", "end", "precision"}):
            continue  # read-only, or a date also given as text
        if isinstance(value, dict) and "id" in value:
            value = value["id"]
        elif isinstance(value, list):
            value = [write_form(item) if isinstance(item, dict) else item for item in value]
        body[key] = value
    return body


def api_create(role, world, model, state):
    posted(api_client(role).post(api_url(model), api_body(model, world, state), format="json"))
    return created(model)


def api_partial_update(role, world, model, state):
    obj = world[model]
    posted(api_client(role).patch(api_url(model, obj), {MARK_FIELD[model]: MARKER}, format="json"))
    return marked(obj)


def api_update(role, world, model, state):
    obj = world[model]
    reader = client_for(make_user("api-reader", "Editor"))
    current = reader.get(api_url(model, obj))
    assert current.status_code == 200
    body = write_form(json.loads(current.content))
    body[MARK_FIELD[model]] = MARKER
    posted(api_client(role).put(api_url(model, obj), body, format="json"))
    return marked(obj)


def api_destroy(role, world, model, state):
    obj = world[model]
    posted(api_client(role).delete(api_url(model, obj)))
    return reload(obj) is None


# --- the runner and the action each path asks, by path ----------------------------------------


def runner(path: str):
    """(run, door action, states it applies to) for a path; None for a read-only path."""
    kind, _, detail = path.partition(":")
    simple = {
        "admin-add": (admin_add, "add"), "admin-change": (admin_change, "change"),
        "admin-delete": (admin_delete, "delete"), "admin-bulk-delete": (admin_bulk_delete, "delete"),
        "admin-restore": (admin_restore, "change"),
        "api-create": (api_create, "add"), "api-update": (api_update, "change"),
        "api-partial_update": (api_partial_update, "change"), "api-destroy": (api_destroy, "delete"),
    }
    if path in READ_ONLY:
        return None
    if kind in simple:
        return simple[kind]
    if kind.startswith("inline-"):
        return inline(kind.removeprefix("inline-"), detail), kind.removeprefix("inline-")
    if kind == "undelete-via":
        return undelete_via(detail), "add"
    if kind == "admin-action" and detail in ACTIONS:
        return admin_action(detail), ACTIONS[detail][0]
    raise LookupError(path)


EXTRA_ADMIN_URLS = {"admin-url:import": [("csv-import:create", "add"), ("csv-import:update", "change")]}


def matrix():
    for path, model in PATHS:
        if path in EXTRA_ADMIN_URLS:
            for sub, _action in EXTRA_ADMIN_URLS[path]:
                for role in ROLES:
                    for state in STATES:
                        yield pytest.param(sub, model, role, state, id=f"{sub}-{model}-{role}-{state}")
            continue
        try:
            found = runner(path)
        except LookupError:
            continue  # test_every_path_has_a_runner names it
        if found is None:
            continue
        _run, action = found
        for state in STATES:
            if action == "add" and state == "shown" and model in NEVER_SHOWN_WHEN_NEW:
                continue  # a new one is shown by nothing: the draft world says it all
            if (path, model) in NOT_TRIED or (path, state) in NO_OPS:
                continue
            for role in ROLES:
                yield pytest.param(path, model, role, state, id=f"{path}-{model}-{role}-{state}")


# Publishing what is published changes nothing: there is no outcome to assert.
# A published case is published, and was signed off under the current codebook when it was.
NO_OPS = {("admin-action:publish", "shown"), ("admin-action:sign_off", "shown")}
# Undeleting a case restores the case alone: its citations went with it, so a published
# case cannot come back (the sourcing rule). Its citations and responses are undeleted first.
# A source's reprint (derived_from) is cited by the world's case, so it cannot be deleted to be
# brought back from its original's page; a source's own restore is tried (admin-restore).
NOT_TRIED = {("undelete-via:person", "case"), ("undelete-via:agency", "case"),
             ("undelete-via:source", "source")}


def test_every_path_has_a_runner():
    missing = []
    for path, model in PATHS:
        if path in EXTRA_ADMIN_URLS or (path, model) in NOT_TRIED:
            continue
        try:
            runner(path)
        except LookupError:
            missing.append(path)
        if model not in RESEARCHER_MAY or model not in MARK_FIELD:
            missing.append(f"{path} on {model}: no rows for the model")
    assert not missing, f"write paths without a runner or rows: {missing}"
    # and the matrix is what it says: every model, both faces
    assert {model for _p, model in PATHS} == set(RESEARCHER_MAY)
    assert any(p.startswith("api-") for p, _m in PATHS) and any(p.startswith("inline-") for p, _m in PATHS)


@pytest.mark.parametrize(("path", "model", "role", "state"), list(matrix()))
def test_write_path(path, model, role, state):
    world = build_world(state)
    if path.startswith("csv-import:"):
        kind = path.split(":")[1]
        run, action = csv_import(kind), {"create": "add", "update": "change"}[kind]
    else:
        run, action = runner(path)
    if path.startswith("inline-"):
        parent = path.split(":")[1]
        # A sub-agency is shown by no case and referred to by nothing.
        child_state, protected = ("draft", set()) if model == "agency" else (state, PROTECTED)
        want = (expected(role, parent, "change", state)
                and expected(role, model, action, child_state, protected))
    elif path.startswith("undelete-via:"):
        # The history page restores only for those who may change its record.
        page = path.split(":")[1]
        row_state = "draft" if (page, model) == ("agency", "agency") else state  # a sub-agency
        want = expected(role, page, "change", state) and expected(role, model, action, row_state)
    else:
        want = expected(role, model, action, state)
    assert run(role, world, model, state) is want
