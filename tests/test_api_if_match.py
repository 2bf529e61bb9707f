"""No lost updates in the API: a write with a stale If-Match is a 412 and changes nothing."""

import pytest

from defections.models import Case, Citation
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return client_for(make_user("ed", "Editor"))


@pytest.fixture
def case():
    case = CaseFactory(status="draft", role="colonel")
    Citation.objects.create(case=case, source=SourceFactory(), locator="p. 1")
    return case


def test_a_stale_if_match_is_refused_and_changes_nothing(editor, case):
    url = f"/api/v1/cases/{case.pk}/"
    read = editor.get(url)
    first = read["ETag"]
    changed = editor.patch(url, {"role": "general"}, format="json", HTTP_IF_MATCH=first)
    assert changed.status_code == 200
    current = changed["ETag"]
    assert current != first and editor.get(url)["ETag"] == current  # the next If-Match
    # Another client still holds the first version: its write would undo the general.
    stale = editor.patch(url, {"summary": "Overwritten."}, format="json", HTTP_IF_MATCH=first)
    assert stale.status_code == 412 and stale["ETag"] == current
    assert "read it again" in stale.json()["detail"]
    stale_put = editor.put(url, {"person": case.person_id, "form": "final"}, format="json",
                           HTTP_IF_MATCH=first)
    assert stale_put.status_code == 412
    assert editor.delete(url, HTTP_IF_MATCH=first).status_code == 412
    case.refresh_from_db()
    assert (case.role, case.summary, case.form) == ("general", "A test case.", "geographic")
    # the current version, a weak tag of it, or "*" go through
    assert editor.patch(url, {"place": "Tbilisi"}, format="json",
                        HTTP_IF_MATCH=f'"nope", W/{current}').status_code == 200
    assert editor.patch(url, {"place": "Yerevan"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert editor.delete(url, HTTP_IF_MATCH=editor.get(url)["ETag"]).status_code == 204
    assert not Case.objects.filter(pk=case.pk).exists()


def test_without_if_match_writes_go_through(editor, case):
    response = editor.patch(f"/api/v1/cases/{case.pk}/", {"role": "major"}, format="json")
    assert response.status_code == 200 and response["ETag"]


def test_if_match_on_a_record_one_may_not_change_is_still_a_403(case):
    case.status = "published"
    case.save()
    researcher = client_for(make_user("rita", "Researcher"))
    url = f"/api/v1/cases/{case.pk}/"
    response = researcher.patch(url, {"role": "x"}, format="json",
                                HTTP_IF_MATCH=researcher.get(url)["ETag"])
    assert response.status_code == 403
