"""The permission door (defections/permissions.py): the attacks of issue 11, each a test.

The generated matrix (test_write_paths.py) covers every path; these are the reproductions
as they were reported, and the door asked directly.
"""

import threading

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connections, transaction
from django.urls import reverse

from defections import history, permissions
from defections.models import Case, Citation, Person, PersonAlias, Response
from tests.factories import CaseFactory, PersonFactory, SourceFactory
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def researcher():
    return make_user("rita", "Researcher")


@pytest.fixture
def editor():
    return make_user("ed", "Editor")


@pytest.fixture
def published():
    """A published case of an at-risk person, cited by one source, with a cited response."""
    case = CaseFactory(person=PersonFactory(at_risk=True), status="draft", role="FSO colonel")
    source = SourceFactory(title="The original title")
    Citation.objects.create(case=case, source=source, locator="para. 1")
    response = Response.objects.create(case=case, kind="arrest")
    Citation.objects.create(response=response, source=SourceFactory(), locator="para. 2")
    case.status = "published"
    case.save()
    return case


def test_a_researcher_cannot_clear_at_risk_through_the_api(researcher, editor, published):
    person, api = published.person, client_for(researcher)
    response = api.patch(f"/api/v1/people/{person.pk}/", {"at_risk": False},
                                            format="json")
    assert response.status_code == 403 and "editor" in response.json()["detail"]
    assert Person.objects.get(pk=person.pk).at_risk
    # nor on a person whom no published case shows yet
    draft_person = PersonFactory(at_risk=True)
    response = api.patch(f"/api/v1/people/{draft_person.pk}/", {"at_risk": False},
                                            format="json")
    assert response.status_code == 403 and "at risk" in response.json()["detail"]
    assert Person.objects.get(pk=draft_person.pk).at_risk
    response = client_for(editor).patch(f"/api/v1/people/{person.pk}/", {"at_risk": False},
                                        format="json")
    assert response.status_code == 200 and not Person.objects.get(pk=person.pk).at_risk


def test_a_researcher_may_set_at_risk_but_not_clear_it_in_the_admin(client, researcher):
    person = PersonFactory(name="Draft Person")
    client.force_login(researcher)
    url = reverse("admin:defections_person_change", args=[person.pk])
    form = {"name": person.name, "at_risk": "on", "aliases-TOTAL_FORMS": 0, "aliases-INITIAL_FORMS": 0,
            "affiliations-TOTAL_FORMS": 0, "affiliations-INITIAL_FORMS": 0,
            "cases-TOTAL_FORMS": 0, "cases-INITIAL_FORMS": 0,
            "withholdings-TOTAL_FORMS": 0, "withholdings-INITIAL_FORMS": 0}
    assert client.post(url, form).status_code == 302
    assert Person.objects.get(pk=person.pk).at_risk
    del form["at_risk"]
    page = client.post(url, form)
    assert page.status_code == 200 and "Only an editor can clear" in page.content.decode()
    assert Person.objects.get(pk=person.pk).at_risk


def test_a_researcher_cannot_rewrite_a_cited_source(researcher, published):
    source = published.citations.get().source
    api = client_for(researcher)
    response = api.patch(f"/api/v1/sources/{source.pk}/",
                                            {"title": "Rewritten", "url": "https://evil.example/"},
                                            format="json")
    assert response.status_code == 403
    assert "The original title" in api.get(f"/api/v1/sources/{source.pk}/").json()["title"]


def test_a_response_citation_of_a_published_case_is_the_editors(client, researcher, published):
    """The standalone citation admin: add, change and delete were all saved."""
    client.force_login(researcher)
    response = published.responses.get()
    citation = response.citations.get()
    change = reverse("admin:defections_citation_change", args=[citation.pk])
    assert client.post(change, {"source": citation.source_id, "response": response.pk,
                                "locator": "changed", "claim": "general"}).status_code == 403
    assert client.post(reverse("admin:defections_citation_delete", args=[citation.pk]),
                       {"post": "yes"}).status_code == 403
    page = client.post(reverse("admin:defections_citation_add"), {
        "source": SourceFactory().pk, "response": response.pk, "locator": "added", "claim": "general"})
    assert page.status_code == 200 and "Only an editor" in page.content.decode()
    assert list(response.citations.values_list("locator", flat=True)) == ["para. 2"]


def test_undelete_through_the_source_history_page_is_refused(client, researcher, published):
    citation = published.citations.get()
    source, pk = citation.source, citation.pk
    Citation.objects.create(case=published, source=SourceFactory(), locator="para. 9")
    citation.delete()  # an editor's deletion (here: a script's); the case keeps a source
    event = history.events_for(source).filter(pgh_label="delete", pgh_obj_id=pk).get()
    client.force_login(researcher)
    client.post(reverse("admin:defections_source_restore", args=[source.pk]),
                {"event": f"{event._meta.label}:{event.pgh_id}"})
    assert not Citation.objects.filter(pk=pk).exists()


def test_the_door_asked_directly(researcher, editor, published):
    source = published.citations.get().source
    draft_source = SourceFactory()
    assert not researcher.has_perm("defections.change_source", source)
    assert researcher.has_perm("defections.change_source", draft_source)
    assert researcher.has_perm("defections.change_source")  # the model permission, no object
    assert editor.has_perm("defections.change_source", source)
    assert not researcher.has_perm("defections.change_person", published.person)
    assert not researcher.has_perm("defections.clear_at_risk", published.person)
    assert editor.has_perm("defections.clear_at_risk", published.person)


def test_undelete_keeps_at_risk_and_events_stay_on_their_own_page(client, researcher):
    """An at-risk person, deleted, came back without the flag through another model's
    history page whose record had the same id."""
    pk = 987_654
    person = PersonFactory(pk=pk, name="Witness", at_risk=False)
    person.at_risk = True
    person.save()
    person.delete()
    source = SourceFactory(pk=pk)  # a page the researcher may change, with the same id
    insert = apps.get_model("defections", "PersonEvent").objects.get(pgh_obj_id=pk, pgh_label="insert")
    client.force_login(researcher)
    response = client.post(reverse("admin:defections_source_restore", args=[source.pk]),
                           {"event": f"{insert._meta.label}:{insert.pgh_id}"})
    assert response.status_code == 403 and not Person.objects.filter(pk=pk).exists()
    # and through the door itself: bringing back the person without the flag is an editor's
    revived = Person(pk=pk, name="Witness", at_risk=False)
    with pytest.raises(PermissionDenied, match="at risk"):
        permissions.authorize_save(researcher, revived, was=Person(pk=pk, name="Witness", at_risk=True))


def lock_taken_elsewhere(case_pk) -> bool:
    """Can another connection (an editor's publish) lock this case now?"""
    outcome = []

    def try_lock():
        try:
            with transaction.atomic():
                list(Case.objects.select_for_update(nowait=True).filter(pk=case_pk))
            outcome.append(False)
        except OperationalError:
            outcome.append(True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=try_lock)
    thread.start()
    thread.join(timeout=30)
    return outcome == [True]


@pytest.mark.django_db(transaction=True)
def test_the_door_holds_the_deciding_case_until_the_write_commits():
    """Between the door's answer and the save, no publish may land (the race a researcher's
    PATCH won against an editor's publish): the cases that decide are locked."""
    researcher = make_user("rita", "Researcher")
    case = CaseFactory(status="draft")
    reply = Response.objects.create(case=case, kind="arrest")
    alias = PersonAlias.objects.create(person=case.person, name="Another spelling")
    for record in (case, reply, alias, case.person):
        with transaction.atomic():
            permissions.authorize_save(researcher, record)
            assert lock_taken_elsewhere(case.pk), type(record).__name__
        assert not lock_taken_elsewhere(case.pk)


def test_a_researcher_may_mark_a_published_person_at_risk(client, researcher, published):
    """Marking only hides, so it is not the editor's alone; clearing is."""
    person = published.person
    person.at_risk = False
    person.save()
    client.force_login(researcher)
    client.post(reverse("admin:defections_person_changelist"),
                {"action": "mark_at_risk", "_selected_action": [person.pk]})
    assert Person.objects.get(pk=person.pk).at_risk
    client.logout()
    assert "FSO colonel" not in client.get(f"/cases/{published.pk}/").content.decode()
