"""Fixtures shared by the API tests (loaded with `pytest_plugins`): clients, users, secrets."""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from defections.models import Affiliation, Citation, Response
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory

MARKER = "LEAKCANARY-api-5c1e"
ENDPOINTS = ["cases", "people", "agencies", "sources", "periods", "affiliations"]


@pytest.fixture(autouse=True)
def generous_throttle(monkeypatch):
    """Tests make many anonymous requests; the 429 has its own test."""
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "100000/min")
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def user_with(name: str, *codenames: str) -> User:
    user = User.objects.create_user(name, password="a-long-test-password")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="defections",
                                                        codename__in=codenames))
    return user


RESEARCHER = ["add_case", "change_case", "view_case", "delete_case", "add_person", "view_person"]
EDITOR = [*RESEARCHER, "publish_case"]


@pytest.fixture
def researcher(db):
    return client_for(user_with("researcher", *RESEARCHER))


@pytest.fixture
def editor(db):
    return client_for(user_with("editor", *EDITOR))


@pytest.fixture
def nobody(db):
    return client_for(user_with("nobody"))


@pytest.fixture
def secrets(seeded):
    """A published case with restricted notes, unpublished cases and an at-risk person, marked."""
    source = SourceFactory()
    published = CaseFactory(status="published", restricted_notes=f"notes {MARKER}")
    Citation.objects.create(case=published, source=source, locator="p. 1")
    hidden = {}
    for status in ["draft", "review", "retracted"]:
        case = CaseFactory(status=status, summary=f"{status} {MARKER}", role=MARKER,
                           person=PersonFactory(name=f"{status} person {MARKER}", bio=MARKER))
        Response.objects.create(case=case, kind="arrest", description=MARKER)
        Citation.objects.create(case=case, source=SourceFactory(title=f"only cited by a draft {MARKER}"),
                                quote=MARKER)
        hidden[status] = case
    at_risk = CaseFactory(status="published", role=f"role {MARKER}", summary=f"summary {MARKER}",
                          restricted_notes=MARKER, date="12 March 2024",
                          person=PersonFactory(name="Guarded Person", at_risk=True, native_name=MARKER,
                                               bio=MARKER))
    Response.objects.create(case=at_risk, kind="arrest", description=MARKER)
    Citation.objects.create(case=at_risk, source=source, quote=MARKER)
    # An at-risk person's career and a draft's person's career are not public either.
    for person in (at_risk.person, hidden["draft"].person):
        Affiliation.objects.create(person=person, agency=AgencyFactory(name=f"Agency {person.pk} {MARKER}"),
                                   role=MARKER, date="1999")
    return {"published": published, "source": source, "hidden": hidden, "at_risk": at_risk}


def all_pages(client, url, **params):
    """Every record of a list, following `next`."""
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    results, response = [], client.get(url)
    while True:
        assert response.status_code == 200, response.content
        results += response.json()["results"]
        if not response.json()["next"]:
            return results
        response = client.get(response.json()["next"])


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))
