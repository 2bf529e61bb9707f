"""Codebook versions (issue 13): a case records the version it was coded under and who signed
it off; a version that redefines a value sends the cases coded with it under an older one to
a re-review queue, which an editor's sign-off empties."""

import pytest

from defections import codebook
from defections.models import Case
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin import url
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


def confirmed_case(version=1):
    case = CaseFactory(status="published", verification="confirmed", summary="Coded long ago.")
    case.citations.create(source=SourceFactory())
    Case.objects.filter(pk=case.pk).update(codebook_version=version)
    return case


def test_publishing_records_the_codebook_and_who_signed_off(client):
    editor = make_user("ed", "Editor")
    draft = CaseFactory(status="draft", summary="To publish.")
    draft.citations.create(source=SourceFactory())
    client.force_login(editor)
    client.post(url("case_changelist"), {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert (draft.status, draft.codebook_version, draft.signed_off_by) == (
        "published", codebook.CURRENT, editor)
    api = client_for(editor)
    other = CaseFactory(status="draft", summary="By the API.")
    other.citations.create(source=SourceFactory())
    assert api.patch(f"/api/v1/cases/{other.pk}/", {"status": "published"}, format="json").status_code == 200
    other.refresh_from_db()
    assert (other.codebook_version, other.signed_off_by) == (codebook.CURRENT, editor)
    # the public reads the version, never who signed off
    public = client.__class__().get(f"/api/v1/cases/{other.pk}/").json()
    assert public["codebook_version"] == codebook.CURRENT and "signed_off_by" not in public
    assert api.get(f"/api/v1/cases/{other.pk}/").json()["signed_off_by"] == "ed"


def test_a_redefined_value_sends_older_cases_to_re_review_and_a_sign_off_clears_it(client):
    old_confirmed, current_confirmed = confirmed_case(1), confirmed_case(codebook.CURRENT)
    old_reported = CaseFactory(status="published", verification="reported")
    Case.objects.filter(pk=old_reported.pk).update(codebook_version=1)
    assert set(Case.objects.needing_review()) == {old_confirmed}
    assert current_confirmed not in Case.objects.needing_review()

    researcher, editor = make_user("rita", "Researcher"), make_user("ed", "Editor")
    client.force_login(editor)
    dashboard = client.get("/admin/").content.decode()
    assert "1 case needs re-review" in dashboard
    queue = client.get(url("case_changelist") + "?codebook=review").content.decode()
    assert old_confirmed.person.name in queue and current_confirmed.person.name not in queue

    client.force_login(researcher)
    client.post(url("case_changelist"), {"action": "sign_off", "_selected_action": [old_confirmed.pk]})
    assert Case.objects.needing_review().count() == 1  # only editors sign off
    client.force_login(editor)
    client.post(url("case_changelist"), {"action": "sign_off", "_selected_action": [old_confirmed.pk]})
    old_confirmed.refresh_from_db()
    assert (old_confirmed.codebook_version, old_confirmed.signed_off_by) == (codebook.CURRENT, editor)
    assert not Case.objects.needing_review().exists()
    assert "needs re-review" not in client.get("/admin/").content.decode()


def test_the_pages_say_which_codebook(client):
    case = confirmed_case(1)
    about = client.get("/about/").content.decode()
    for version in codebook.VERSIONS:
        assert f'id="codebook-v{version.number}"' in about
    assert "two independent origins" in about
    page = client.get(case.get_absolute_url()).content.decode()
    assert "/about/#codebook-v1" in page


def test_version_3_sends_circa_dates_coded_before_it_to_re_review():
    assert codebook.CURRENT == 3
    for version in codebook.VERSIONS:  # needing_review() filters Case on these names
        for name in version.redefined:
            Case._meta.get_field(name)
    old_circa, new_circa, old_year = (CaseFactory(status="published", date=text)
                                      for text in ["c. 1953", "c. 1953", "1953"])
    Case.objects.filter(pk__in=[old_circa.pk, old_year.pk]).update(codebook_version=2)
    Case.objects.filter(pk=new_circa.pk).update(codebook_version=3)
    assert set(Case.objects.needing_review()) == {old_circa}
