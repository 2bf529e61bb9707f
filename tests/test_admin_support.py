"""Support for the admin tests (no tests here): users in the two roles, the case form's POST data."""

import importlib

from django.apps import apps
from django.contrib.auth.models import Group, User

from defections.models import Case

GROUPS = importlib.import_module("defections.migrations.0005_groups")


def ensure_groups():
    """The groups come from a data migration; transactional tests flush them away."""
    if not Group.objects.filter(name__in=["Researcher", "Editor"]).count() == 2:
        GROUPS.create_groups(apps, None)


def make_user(username, group=None, password=None):
    """A staff user in a group; without a password (hashing is slow) unless one is given."""
    ensure_groups()
    user = User.objects.create_user(username, password=password, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def case_post(case: Case | None = None, citations=(), **fields) -> dict:
    """What the case change form submits, with its inline formsets."""
    data = {
        "person": case.person_id if case else "",
        "agency": (case.agency_id or "") if case else "",
        "role": case.role if case else "",
        "form": case.form if case else "geographic",
        "date": case.date if case else "",
        "summary": case.summary if case else "A summary.",
        "status": case.status if case else "draft",
        "version": case.version if case else "",
        "country_from": "RU",
        "destination_country": "",
        "place": "",
        "verification": case.verification if case else "reported",
        "classification": "certain",
        "visibility": "unknown",
        "narrative": "",
        "restricted_notes": "",
    }
    existing = list(case.citations.all()) if case else []
    prefix = "citations"
    data.update({
        f"{prefix}-TOTAL_FORMS": len(existing) + len(citations),
        f"{prefix}-INITIAL_FORMS": len(existing),
        f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000,
        "responses-TOTAL_FORMS": 0, "responses-INITIAL_FORMS": 0,
        "responses-MIN_NUM_FORMS": 0, "responses-MAX_NUM_FORMS": 1000,
        "accounts-TOTAL_FORMS": 0, "accounts-INITIAL_FORMS": 0,
        "accounts-MIN_NUM_FORMS": 0, "accounts-MAX_NUM_FORMS": 1000,
        "withholdings-TOTAL_FORMS": 0, "withholdings-INITIAL_FORMS": 0,
        "withholdings-MIN_NUM_FORMS": 0, "withholdings-MAX_NUM_FORMS": 1000,
    })
    rows = [{"id": c.pk, "source": c.source_id, "locator": c.locator, "case": case.pk}
            for c in existing] + [{"source": s.pk, "locator": "p. 1"} for s in citations]
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
        data.setdefault(f"{prefix}-{i}-claim", "general")
    data.update(fields)
    return data
