"""History: every change recorded by trigger (bulk updates too), shown as a diff, restorable."""

import pghistory
import pytest
from django.urls import reverse

from defections import history
from defections.models import Case, Citation, Source
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import case_post, make_user

pytestmark = pytest.mark.django_db


def history_url(case):
    return reverse("admin:defections_case_history", args=[case.pk])


def restore_url(case):
    return reverse("admin:defections_case_restore", args=[case.pk])


def test_an_admin_edit_is_recorded_with_its_user(client):
    researcher = make_user("rita", "Researcher")
    client.force_login(researcher)
    case = CaseFactory(status="draft", summary="Before.")
    client.post(reverse("admin:defections_case_change", args=[case.pk]), case_post(case, summary="After."))
    latest = history.entries(case)[0]
    assert latest.user == researcher and latest.event.pgh_label == "update"
    changes = [(c.field, c.old, c.new) for c in latest.changes]
    assert ("summary", "Before.", "After.") in changes and ("updated by", "—", "rita") in changes


def test_a_bulk_update_is_recorded_and_can_be_reverted(client):
    editor = make_user("ed", "Editor")
    cases = [CaseFactory(status="draft", role="colonel") for _ in range(3)]
    with pghistory.context(user=editor.pk):
        assert Case.objects.filter(pk__in=[c.pk for c in cases]).update(role="general") == 3

    client.force_login(editor)
    page = client.get(history_url(cases[0]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "colonel" in text and "general" in text and "ed" in text
    first_event = history.events_for(cases[0]).filter(pgh_label="insert").get()

    response = client.post(restore_url(cases[0]), {"event": first_event.pgh_slug}, follow=True)
    assert any("Restored" in str(m) for m in response.context["messages"])
    assert Case.objects.get(pk=cases[0].pk).role == "colonel"
    assert Case.objects.get(pk=cases[1].pk).role == "general"
    restore_event = history.entries(cases[0])[0]
    assert restore_event.user == editor
    assert ("role", "general", "colonel") in [(c.field, c.old, c.new) for c in restore_event.changes]


def test_a_case_history_shows_its_citations_and_undeletes_them(client):
    editor = make_user("ed", "Editor")
    client.force_login(editor)
    case, source = CaseFactory(status="draft"), SourceFactory(title="The Moscow Times report")
    citation = Citation.objects.create(case=case, source=source, locator="para. 4")
    citation_id = citation.pk
    citation.delete()
    text = client.get(history_url(case)).content.decode()
    assert "Citation" in text and "para. 4" in text and "Undelete" in text
    deleted = history.events_for(case).filter(pgh_label="delete").get()
    client.post(restore_url(case), {"event": deleted.pgh_slug})
    assert Citation.objects.get(pk=citation_id).locator == "para. 4"


def test_people_agencies_and_sources_are_tracked_too():
    source = SourceFactory(title="Old title")
    Source.objects.filter(pk=source.pk).update(title="New title")
    changes = history.entries(source)[0].changes
    assert [(c.field, c.old, c.new) for c in changes] == [("title", "Old title", "New title")]
    case = CaseFactory()
    assert history.entries(case.person)  # the person's insert, and the case pointing to them


def test_a_researcher_cannot_restore_a_published_state(client):
    researcher = make_user("rita", "Researcher")
    case = CaseFactory(status="published")
    Citation.objects.create(case=case, source=SourceFactory())
    published = history.events_for(case).filter(pgh_label="insert", pgh_model="defections.CaseEvent").get()
    Case.objects.filter(pk=case.pk).update(status="draft")
    client.force_login(researcher)
    response = client.post(restore_url(case), {"event": published.pgh_slug}, follow=True)
    assert any("Not restored" in str(m) for m in response.context["messages"])
    assert Case.objects.get(pk=case.pk).status == "draft"


def test_restore_refuses_events_of_other_objects(client):
    editor = make_user("ed", "Editor")
    client.force_login(editor)
    mine, other = CaseFactory(status="draft"), CaseFactory(status="draft")
    foreign = history.events_for(other).get()
    assert client.post(restore_url(mine), {"event": foreign.pgh_slug}).status_code == 403
    assert client.post(restore_url(mine), {"event": "auth.User:1"}).status_code == 404


def test_a_cases_motives_are_in_its_history(client):
    """A PATCH of motives produced an empty update entry: the many-to-many table had no trigger."""
    from tests.factories import MotiveFactory
    from tests.test_api_fixtures import client_for

    editor = make_user("ed", "Editor")
    case = CaseFactory(status="draft")
    money = MotiveFactory(slug="money", name="Money")
    response = client_for(editor).patch(f"/api/v1/cases/{case.pk}/", {"motives": ["money"]},
                                        format="json")
    assert response.status_code == 200
    added = [entry for entry in history.entries(case) if entry.event.pgh_label == "insert"
             and ("motive", "—", "Money") in [(c.field, c.old, c.new) for c in entry.changes]]
    assert len(added) == 1 and added[0].user == editor
    case.motives.remove(money)
    assert any(entry.event.pgh_label == "delete" for entry in history.entries(case))
    client.force_login(editor)
    page = client.get(history_url(case)).content.decode()
    assert "Money" in page


def test_motives_and_periods_are_tracked():
    from defections.models import Motive, Period

    motive = Motive.objects.create(slug="fear", name="Fear")
    motive.name = "Fear of punishment"
    motive.save()
    period = Period.objects.create(slug="thaw", name="Thaw", start="1953-03-01", end="1956-12-31")
    period.delete()
    assert [e.pgh_label for e in history.events_for(motive).order_by("pgh_id")] == ["insert", "update"]
    assert pghistory.models.Events.objects.filter(pgh_model="defections.PeriodEvent").count() == 2
