"""Competing accounts of one fact (issue 13): each with its claim, holder, rank and own
sources, on the API, the case page, the filters and the history; hidden with the case's
details for a person at risk; changed only as the case may be."""

import pytest

from defections import history
from defections.models import Account, Citation
from tests.factories import CaseFactory, PersonFactory, SourceFactory
from tests.test_admin import url
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db
MARKER = "ACCOUNT-hidden-9q2w"


@pytest.fixture
def editor():
    return client_for(make_user("ed", "Editor"))


def death_accounts(case, official="An accident.", alleged="Killed."):
    """An invented example: an official version and an alleged one of a death."""
    one = Account.objects.create(case=case, claim="response", holder="official", statement=official)
    two = Account.objects.create(case=case, claim="response", holder="journalist", statement=alleged)
    Citation.objects.create(account=one, source=SourceFactory(title="State media"))
    Citation.objects.create(account=two, source=SourceFactory(title="Independent media"))
    return one, two


def test_the_api_reads_and_writes_accounts_keeping_what_a_write_does_not_mention(editor):
    case = CaseFactory(status="draft")
    source = SourceFactory()
    url_ = f"/api/v1/cases/{case.pk}/"
    written = editor.patch(url_, {"accounts": [
        {"claim": "response", "holder": "official", "statement": "An accident.",
         "citations": [{"source": source.pk, "locator": "p. 2"}]},
        {"claim": "response", "holder": "family", "statement": "Killed.", "rank": "preferred"}]},
        format="json")
    assert written.status_code == 200, written.json()
    accounts = written.json()["accounts"]
    assert [(a["holder"], a["rank"], len(a["citations"])) for a in accounts] == [
        ("official", "normal", 1), ("family", "preferred", 0)]
    # changed by id: the official account set aside, its citation kept; the other removed
    official = accounts[0]["id"]
    again = editor.patch(url_, {"accounts": [{"id": official, "claim": "response", "holder": "official",
                                              "statement": "An accident.", "rank": "deprecated"}]},
                         format="json")
    assert again.status_code == 200
    assert [(a["id"], a["rank"], len(a["citations"])) for a in again.json()["accounts"]] == [
        (official, "deprecated", 1)]
    for bad, field in [({"accounts": [{"id": 999999, "claim": "date", "holder": "ngo", "statement": "x"}]},
                        "accounts"),
                       ({"accounts": [{"claim": "rumour", "holder": "ngo", "statement": "x"}]}, "accounts"),
                       ({"accounts": [{"claim": "date", "holder": "ngo", "statement": ""}]}, "accounts")]:
        refused = editor.patch(url_, bad, format="json")
        assert refused.status_code == 400 and field in refused.json(), refused.json()
    assert Account.objects.filter(case=case).count() == 1


def test_contested_finds_a_fact_told_in_more_than_one_live_way(client):
    contested, settled, single = (CaseFactory(status="published") for _ in range(3))
    death_accounts(contested)
    one, _ = death_accounts(settled)
    Account.objects.filter(pk=one.pk).update(rank="deprecated")
    Account.objects.create(case=single, claim="date", holder="ngo", statement="In May.")
    Account.objects.create(case=single, claim="motive", holder="family", statement="Fear.")
    found = {c["id"] for c in client.get("/api/v1/cases/?contested=true").json()["results"]}
    assert found == {contested.pk}
    assert client.get("/api/v1/cases/?contested=false").status_code == 400
    page = client.get("/cases/?contested=true").content.decode()
    assert contested.person.name in page and settled.person.name not in page


def test_the_case_page_shows_accounts_side_by_side(client):
    case = CaseFactory(status="published")
    one, two = death_accounts(case)
    Account.objects.filter(pk=one.pk).update(rank="deprecated")
    Account.objects.create(case=case, claim="response", holder="ngo", statement="Poisoned, say NGOs.")
    page = client.get(case.get_absolute_url()).content.decode()
    assert "<del>An accident.</del>" in page and "Killed." in page and "Poisoned, say NGOs." in page
    assert "contested" in page and "Independent media" in page and "State media" in page


def test_an_at_risk_persons_accounts_stay_hidden(client):
    case = CaseFactory(status="published", person=PersonFactory(name="Guarded", at_risk=True))
    death_accounts(case, official=MARKER, alleged=MARKER)
    for address in [case.get_absolute_url(), f"/api/v1/cases/{case.pk}/", "/api/v1/cases/?contested=true",
                    "/cases/?contested=true", "/api/v1/cases/?format=csv"]:
        answer = client.get(address)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert answer.status_code == 200 and MARKER not in body.decode(), address
    assert client.get("/api/v1/cases/?contested=true").json()["count"] == 0


def test_a_researcher_cannot_change_the_accounts_of_a_published_case(client):
    case = CaseFactory(status="published")
    one, _ = death_accounts(case)
    researcher = make_user("rita", "Researcher")
    api = client_for(researcher)
    refused = api.patch(f"/api/v1/cases/{case.pk}/", {"accounts": []}, format="json")
    assert refused.status_code == 403
    client.force_login(researcher)
    page = client.post(url("account_change", one.pk), {
        "case": case.pk, "claim": "response", "holder": "official", "statement": "Rewritten.",
        "rank": "normal", "citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0"})
    assert page.status_code == 403
    assert Account.objects.get(pk=one.pk).statement == "An accident."


def test_account_changes_are_in_the_case_history():
    case = CaseFactory(status="draft")
    one, _ = death_accounts(case)
    Account.objects.filter(pk=one.pk).update(rank="preferred")
    labels = [(entry.model_label, [c.field for c in entry.changes]) for entry in history.entries(case)]
    assert ("Account", ["rank"]) in labels
