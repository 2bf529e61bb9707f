"""A retraction notice is for what was published; a change of what a case shows moves its
public change time and its version, whichever part changed (the attacks that got through)."""

import pytest

from defections.models import Case
from tests.factories import CaseFactory, MotiveFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for

pytest_plugins = ["tests.test_api_fixtures"]
pytestmark = pytest.mark.django_db

SECRET = "NEVER-PUBLISHED-7f3a"


def test_retracting_a_never_published_draft_keeps_it_404(client, api):
    """An editor may retract a draft or a case in review (the Retract action / a PATCH
    status=retracted: the door and check_sources allow it). Its address then answers 410
    with the person's name, form and year: a record that was never public becomes public,
    and a draft is told apart from a missing id."""
    draft = CaseFactory(person=PersonFactory(name=f"Unpublished {SECRET}"), status="draft",
                        date="1999")
    editor = client_for(make_user("ed", "Editor"))
    assert editor.patch(f"/api/v1/cases/{draft.pk}/", {"status": "retracted"},
                        format="json").status_code == 200
    page = client.get(f"/cases/{draft.pk}/")
    body = api.get(f"/api/v1/cases/{draft.pk}/")
    assert (page.status_code, body.status_code) == (404, 404), (
        "a never-published case got a public tombstone")
    assert SECRET not in page.content.decode() + body.content.decode()


def test_a_published_cases_retraction_note_is_not_public_before_retraction(api):
    """`retraction_note` is documented as shown once the case is retracted, but the API
    serves it on every published case: a note an editor prepares before retracting (or
    one a researcher left in a draft) is public while the case is still up."""
    case = CaseFactory(retraction_note=f"Draft reason: source recanted {SECRET}")
    response = api.get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


# Each request its own transaction, as served: the touch triggers move the time from
# the transaction's start (a case saved earlier in the same one is left alone).
@pytest.mark.django_db(transaction=True)
def test_a_public_change_of_motives_moves_the_public_change_time(api):
    """Case.save keeps updated_at when only staff-only columns changed; `updated_by` is one,
    so a write by another editor than the last whose column changes are none (motives,
    citations, responses: saved after the row) keeps the public change time. A sync client
    using updated_after never sees the new motives."""
    editor = client_for(make_user("ed2", "Editor"))
    case = CaseFactory()
    before = Case.objects.get(pk=case.pk).updated_at
    motive = MotiveFactory()
    assert editor.patch(f"/api/v1/cases/{case.pk}/", {"motives": [motive.slug]},
                        format="json").status_code == 200
    after = Case.objects.get(pk=case.pk)
    assert list(after.motives.values_list("slug", flat=True)) == [motive.slug]
    since = before.isoformat().replace("+00:00", "Z")
    # strictly after the old time: the change must show as a change
    changed = api.get("/api/v1/cases/", {"updated_after": since}).json()["results"]
    assert after.updated_at > before, "motives changed publicly, updated_at stayed"
    assert case.pk in [row["id"] for row in changed]


# Each request its own transaction, as served: the touch triggers move the time from
# the transaction's start (a case saved earlier in the same one is left alone).
@pytest.mark.django_db(transaction=True)
def test_a_change_of_citations_by_another_editor_makes_the_admin_version_stale():
    """Case.version (the admin's no-lost-updates check) is updated_at + notes: a second
    editor replacing the citations or motives (API) leaves both as they were, so a form
    opened before saves over the change without the 'Not saved: … changed this case'."""
    from tests.factories import SourceFactory

    first = make_user("ed1", "Editor")
    case = CaseFactory()
    case.updated_by = first
    case.save()
    opened = Case.objects.get(pk=case.pk).version
    other = client_for(make_user("ed3", "Editor"))
    source = SourceFactory()
    assert other.patch(f"/api/v1/cases/{case.pk}/",
                       {"citations": [{"source": source.pk, "locator": "p. 9"}]},
                       format="json").status_code == 200
    assert list(Case.objects.get(pk=case.pk).citations.values_list("source_id", flat=True)) == [source.pk]
    assert Case.objects.get(pk=case.pk).version != opened, "the admin would not see the change"

