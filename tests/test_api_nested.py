"""Nested writes keep what they do not mention: a write of `responses` changes them by id and
keeps their citations (it had deleted them, 1 → 0); responses carry citations in reads too."""

import pytest

from defections.models import Citation, Response
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, read_csv

pytest_plugins = ["tests.test_api_fixtures"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return client_for(make_user("ed", "Editor"))


@pytest.fixture
def case():
    case = CaseFactory(status="published")
    response = Response.objects.create(case=case, kind="arrest", description="Arrested.")
    Citation.objects.create(response=response, source=SourceFactory(title="Court record"),
                            locator="p. 4", claim="response")
    return case


def test_responses_carry_their_citations(api, case):
    body = api.get(f"/api/v1/cases/{case.pk}/").json()
    [response] = body["responses"]
    assert response["id"] == case.responses.get().pk
    assert [(c["source"]["title"], c["locator"]) for c in response["citations"]] == [("Court record", "p. 4")]
    [row] = read_csv(api.get("/api/v1/cases/?format=csv"))
    assert "Arrested." in row["responses"] and "Court record" in row["responses"]


def test_a_write_of_responses_keeps_the_citations_it_does_not_mention(editor, case):
    response = case.responses.get()
    answer = editor.patch(f"/api/v1/cases/{case.pk}/", {"responses": [
        {"id": response.pk, "kind": "arrest", "description": "Arrested in May."},
        {"kind": "wanted-list", "date": "June 2024"}]}, format="json")
    assert answer.status_code == 200, answer.content
    response.refresh_from_db()
    assert response.description == "Arrested in May." and response.citations.count() == 1
    assert case.responses.count() == 2
    # citations given replace that response's own; a response left out is removed
    source = SourceFactory()
    answer = editor.patch(f"/api/v1/cases/{case.pk}/", {"responses": [
        {"id": response.pk, "kind": "arrest", "citations": [{"source": source.pk, "locator": "p. 9"}]}]},
        format="json")
    assert answer.status_code == 200
    assert list(response.citations.values_list("locator", flat=True)) == ["p. 9"]
    assert list(case.responses.all()) == [response]


def test_a_response_id_of_another_case_is_a_400(editor, case):
    other = CaseFactory(status="draft")
    foreign = Response.objects.create(case=other, kind="arrest")
    answer = editor.patch(f"/api/v1/cases/{case.pk}/", {"responses": [{"id": foreign.pk, "kind": "arrest"}]},
                          format="json")
    assert answer.status_code == 400 and "responses" in answer.json()
    assert Response.objects.get(pk=foreign.pk).case == other
