"""The public pages built so far: they answer, and only public() data reaches them."""

import pytest
from django.urls import reverse

from defections.models import Case, Citation, Response
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory

MARKER = "LEAKCANARY-7f3a"


@pytest.fixture
def secrets(seeded):
    """A published case with restricted notes, and unpublished cases, each marked."""
    agency = AgencyFactory()
    source = SourceFactory()
    published = CaseFactory(status="published", restricted_notes=f"notes {MARKER}",
                            agency=agency)
    Citation.objects.create(case=published, source=source, locator="p. 1")
    for status in ["draft", "review", "retracted"]:
        hidden = CaseFactory(status=status, summary=f"{status} {MARKER}",
                             person=PersonFactory(name=f"{status} person {MARKER}"))
        Response.objects.create(case=hidden, kind="arrest", description=MARKER)
        Citation.objects.create(case=hidden, source=source, quote=MARKER)
    at_risk = CaseFactory(status="published", role=f"role {MARKER}", summary=f"summary {MARKER}",
                          person=PersonFactory(name="Guarded Person", at_risk=True,
                                               native_name=MARKER))
    return {"published": published, "agency": agency, "source": source, "at_risk": at_risk}


def public_urls(secrets):
    urls = ["/", "/cases/"]
    urls += [case.get_absolute_url() for case in Case.objects.public()]
    urls += [case.person.get_absolute_url() for case in Case.objects.public()]
    urls += [secrets["agency"].get_absolute_url(), secrets["source"].get_absolute_url()]
    return urls


def test_public_pages_answer_and_hide_what_is_not_public(client, secrets):
    for url in public_urls(secrets):
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARKER not in response.content.decode(), url


def test_unpublished_cases_are_not_found(client, secrets):
    for case in Case.objects.exclude(status="published"):
        assert client.get(case.get_absolute_url()).status_code == 404
        assert client.get(case.person.get_absolute_url()).status_code == 404


def test_at_risk_person_shows_only_name_form_and_year(client, secrets):
    page = client.get(secrets["at_risk"].get_absolute_url()).content.decode()
    assert "Guarded Person" in page and "Geographic" in page
    assert MARKER not in page


def test_case_page_shows_date_as_written_and_its_sources(client, seeded):
    case = Case.objects.get(person__name="Ilya Remeslo")
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "March 2026" in page
    assert "para. 12" in page
    assert "Psychiatric confinement" in page
