"""Support for tests/test_write_paths.py (no tests here): the world each write is tried in,
the rows a write sends, and the admin's forms read as a browser reads them."""

import itertools
from html.parser import HTMLParser

from defections.models import (
    Account,
    Affiliation,
    Agency,
    Case,
    Citation,
    Motive,
    Period,
    Person,
    PersonAlias,
    Response,
    Source,
    Withholding,
)
from tests.factories import AgencyFactory, CaseFactory, MotiveFactory, PersonFactory, SourceFactory

MARKER = "DOOR-MARKER-7f3a"
_serial = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


# The text field each model's write changes (test data: a new model needs its row).
MARK_FIELD = {
    "case": "summary", "response": "description", "account": "statement", "citation": "locator",
    "withholding": "reason", "person": "bio",
    "personalias": "name", "affiliation": "role", "source": "title", "agency": "description",
    "motive": "description", "period": "description",
}


def build_world(state: str) -> dict:
    """One record of every model, all shown by one case: published ("shown") or a draft."""
    person, agency = PersonFactory(), AgencyFactory()
    source, motive = SourceFactory(), MotiveFactory()
    case = CaseFactory(person=person, agency=agency, status="draft", summary="A summary.")
    case.motives.add(motive)
    citation = Citation.objects.create(case=case, source=source, locator="para. 1")
    # A second source, so that deleting one citation leaves the published case sourced: a
    # reprint of the first (what derives from a source is restored from its page).
    Citation.objects.create(case=case, source=SourceFactory(derived_from=source), locator="para. 4")
    Citation.objects.create(case=case, source=SourceFactory(), locator="para. 6")
    response = Response.objects.create(case=case, kind="arrest", description="Arrested.")
    Citation.objects.create(response=response, source=source, locator="para. 2")
    account = Account.objects.create(case=case, claim="date", holder="ngo", statement="In May.")
    Citation.objects.create(account=account, source=source, locator="para. 5")
    alias = PersonAlias.objects.create(person=person, name=unique("Alias"))
    affiliation = Affiliation.objects.create(person=person, agency=agency, role="officer")
    Citation.objects.create(affiliation=affiliation, source=source, locator="para. 3")
    withholding = Withholding.objects.create(case=case, field="role", reason="Safety.")
    Withholding.objects.create(person=person, field="native_name", reason="Safety.")
    AgencyFactory(parent=agency)
    period = Period.objects.create(slug=unique("period"), name=unique("Period"),
                                   start="1990-01-01", end="1991-12-31")
    if state == "shown":
        case.status = "published"
        case.save()
    return {"case": case, "response": response, "account": account, "citation": citation,
            "withholding": withholding, "person": person,
            "personalias": alias, "affiliation": affiliation, "source": source, "agency": agency,
            "motive": motive, "period": period}


def reload(obj):
    return type(obj)._default_manager.filter(pk=obj.pk).first()


def new_record_fields(model: str, world: dict, state: str, parent: str = "case") -> dict:
    """The form fields of a new record of `model` that belongs to the world's state (a
    withholding: of the parent's kind, case or person, on a field the world leaves free)."""
    status = "published" if state == "shown" else "draft"
    return {
        "case": {"person": world["person"].pk, "form": "articulated", "summary": MARKER,
                 "status": status, "country_from": "RU", "verification": "reported",
                 "classification": "certain", "visibility": "unknown"},
        "response": {"case": world["case"].pk, "kind": "arrest", "description": MARKER},
        "account": {"case": world["case"].pk, "claim": "date", "holder": "family", "rank": "normal",
                    "statement": MARKER},
        "citation": {"case": world["case"].pk, "source": world["source"].pk, "locator": MARKER,
                     "claim": "general"},
        "withholding": {parent: world[parent].pk, "field": "citizenship" if parent == "person" else "place",
                        "reason": MARKER},
        "person": {"name": MARKER, "save_anyway": "on"},
        "personalias": {"person": world["person"].pk, "name": MARKER},
        "affiliation": {"person": world["person"].pk, "agency": world["agency"].pk, "role": MARKER},
        "source": {"title": MARKER, "kind": "news", "url": f"https://example.org/{unique('s')}",
                   "reliability": "unknown"},
        "agency": {"name": MARKER, "slug": unique("door-agency"), "kind": "intelligence"},
        "motive": {"name": MARKER, "slug": unique("door-motive")},
        "period": {"name": MARKER, "slug": unique("door-period"), "start": "2190-01-01",
                   "end": "2190-12-31"},
    }[model]


# Models whose records a new add never makes shown: a new person, source, agency or motive is
# shown by no case yet. Their adds are tried in the draft world only.
NEVER_SHOWN_WHEN_NEW = {"person", "source", "agency", "motive"}


def created(model_class, marker_field: str):
    return model_class._default_manager.filter(**{marker_field: MARKER}).exists()


MODEL_CLASSES = {m._meta.model_name: m for m in
                 [Case, Response, Account, Citation, Withholding, Person, PersonAlias, Affiliation, Source,
                  Agency, Motive, Period]}


# --- the admin's forms, read as a browser reads them ------------------------------------------


class FormReader(HTMLParser):
    """The fields of the page's main form (<form id="…_form">) as a browser would submit them."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self.select = self.textarea = None
        self.options, self.multiple = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name and "__prefix__" not in name:
            self.select, self.options, self.multiple = name, [], "multiple" in attrs
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name and "__prefix__" not in name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [value for value, selected in self.options if selected]
            if not chosen and not self.multiple:
                chosen = [value for value, _ in self.options[:1]]  # as a browser sends it
            for value in chosen:
                self.data.append((self.select, value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.data.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None


def read_form(html: str, model_name: str) -> dict:
    reader = FormReader(f"{model_name}_form")
    reader.feed(html)
    data = {}
    for name, value in reader.data:
        data.setdefault(name, []).append(value)
    return data
