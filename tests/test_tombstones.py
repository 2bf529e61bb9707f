"""Nothing vanishes silently: a retracted case keeps its address, with a retraction notice
(410) saying when, why, and what the record was (name, form, year) — never its details."""

import pytest
from django.core.management import call_command

from defections.models import Case
from tests.factories import CaseFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for

pytest_plugins = ["tests.test_api_fixtures"]
pytestmark = pytest.mark.django_db

DETAIL = "TOMBSTONE-DETAIL-91c2"


@pytest.fixture
def retracted():
    case = CaseFactory(person=PersonFactory(name="Withdrawn Person"), form="final", date="March 2024",
                       summary=f"Summary {DETAIL}", role=f"Role {DETAIL}", restricted_notes=DETAIL)
    case.status, case.retraction_note = "retracted", "The one account was disproved."
    case.save()
    return case


def test_the_page_answers_410_with_the_notice(client, retracted):
    response = client.get(retracted.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 410
    assert "retracted" in page and "Withdrawn Person" in page and "final" in page and "2024" in page
    assert "The one account was disproved." in page
    assert DETAIL not in page and "March 2024" not in page
    assert client.get(retracted.get_absolute_url()).status_code == 410  # from the cache too


def test_the_api_answers_410_with_the_notice(api, retracted):
    response = api.get(f"/api/v1/cases/{retracted.pk}/")
    body = response.json()
    assert response.status_code == 410 and body["status"] == "retracted"
    assert (body["person"], body["form"], body["year"]) == ("Withdrawn Person", "final", 2024)
    assert body["retraction_note"] == "The one account was disproved." and body["retracted_at"]
    assert DETAIL not in response.content.decode()
    assert retracted.pk not in [row["id"] for row in api.get("/api/v1/cases/").json()["results"]]


def test_drafts_and_missing_cases_stay_404(client, api):
    draft = CaseFactory(status="draft")
    for url in [draft.get_absolute_url(), f"/api/v1/cases/{draft.pk}/", "/cases/999999/",
                "/api/v1/cases/999999/", "/api/v1/cases/99999999999999999999/"]:
        response = client.get(url) if url.startswith("/cases") else api.get(url)
        assert response.status_code == 404, url


def test_the_database_says_when_and_staff_still_read_the_case(retracted):
    assert retracted.retracted_at is not None
    staff = client_for(make_user("ed", "Editor"))
    body = staff.get(f"/api/v1/cases/{retracted.pk}/").json()
    assert body["status"] == "retracted" and DETAIL in body["summary"]
    Case.objects.filter(pk=retracted.pk).update(status="published")  # put back, by any path
    assert Case.objects.get(pk=retracted.pk).retracted_at is None


def test_an_at_risk_persons_tombstone_shows_no_more_than_their_public_facts(client):
    case = CaseFactory(person=PersonFactory(name="Guarded One", at_risk=True), date="May 2023",
                       role=f"Role {DETAIL}")
    case.status = "retracted"
    case.save()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Guarded One" in page and "2023" in page and DETAIL not in page and "May 2023" not in page


def test_seed_cases_retracted_stay_retracted(client):
    call_command("load_seed", verbosity=0)
    case = Case.objects.order_by("pk").first()
    case.status = "retracted"
    case.save()
    call_command("load_seed", verbosity=0)
    assert client.get(case.get_absolute_url()).status_code == 410
