"""What PostgreSQL keeps (defections/invariants.py): a published case is sourced, a confirmed
one by two different sources, whatever path writes; retracting is always possible."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from defections.models import Case, Citation
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import case_post, make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


def commit_checks():
    """What a commit would check (the triggers are deferred; a test's transaction never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def refused(write):
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        write()
        commit_checks()
    return str(error.value)


@pytest.fixture
def published():
    case = CaseFactory(status="draft")
    Citation.objects.create(case=case, source=SourceFactory(), locator="p. 1")
    case.status = "published"
    case.save()
    return case


def test_raw_sql_cannot_leave_a_published_case_unsourced(published):
    def delete_raw():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM defections_citation WHERE case_id = %s", [published.pk])
    assert "a published case cites at least one source" in refused(delete_raw)
    assert published.citations.count() == 1


def test_update_cannot_publish_or_confirm_an_unsourced_case(published):
    draft = CaseFactory(status="draft")
    assert "cites at least one source" in refused(
        lambda: Case.objects.filter(pk=draft.pk).update(status="published"))
    assert "two different origins" in refused(
        lambda: Case.objects.filter(pk=published.pk).update(verification="confirmed"))
    # a second citation of the same source is still one source
    assert "two different origins" in refused(lambda: (
        Citation.objects.create(case=published, source=published.citations.get().source),
        Case.objects.filter(pk=published.pk).update(verification="confirmed")))


def test_written_in_any_order_within_one_transaction(published):
    with transaction.atomic():
        case = CaseFactory(status="published")  # no citation yet
        Citation.objects.create(case=case, source=SourceFactory(), locator="p. 2")
        commit_checks()  # sourced by the time it commits
    assert Case.objects.filter(pk=case.pk, status="published").exists()


def test_retracting_is_always_possible(client, published):
    Citation.objects.create(case=published, source=SourceFactory(), locator="p. 3")
    Case.objects.filter(pk=published.pk).update(verification="confirmed")
    commit_checks()
    with connection.cursor() as cursor:  # a case left unsourced before the invariant existed
        cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers
        cursor.execute("DELETE FROM defections_citation WHERE case_id = %s", [published.pk])
        cursor.execute("SET LOCAL session_replication_role = origin")
    client.force_login(make_user("ed", "Editor"))
    client.post(reverse("admin:defections_case_changelist"),
                {"action": "retract", "_selected_action": [published.pk]})
    commit_checks()
    assert Case.objects.get(pk=published.pk).status == "retracted"


def test_the_standalone_citation_admin_says_why_and_deletes_nothing(client, published):
    """Deleting the last citation of a published case had left it published with none."""
    client.force_login(make_user("ed", "Editor"))
    citation = published.citations.get()
    page = client.post(reverse("admin:defections_citation_delete", args=[citation.pk]), {"post": "yes"})
    assert page.status_code == 200 and "cites at least one source" in page.content.decode()
    page = client.post(reverse("admin:defections_citation_changelist"), {
        "action": "delete_selected", "_selected_action": [citation.pk], "post": "yes"})
    assert "cites at least one source" in page.content.decode()
    other = CaseFactory(status="draft")
    page = client.post(reverse("admin:defections_citation_change", args=[citation.pk]), {
        "source": citation.source_id, "case": other.pk, "locator": "moved", "claim": "general"})
    assert page.status_code == 200 and "cites at least one source" in page.content.decode()
    commit_checks()
    assert list(published.citations.all()) == [citation]


def test_the_api_says_why(published):
    editor = client_for(make_user("ed", "Editor"))
    response = editor.patch(f"/api/v1/cases/{published.pk}/", {"citations": []}, format="json")
    assert response.status_code == 400 and "citations" in response.json()
    assert published.citations.count() == 1


# --- a published case has chosen what it claims (no defaults that claim) ------------------------

CHOSEN = ("country_from", "verification", "classification")


def test_a_new_case_starts_with_nothing_claimed():
    case = Case()
    assert (case.country_from, case.verification, case.classification) == ("", "", "")


def test_the_admin_add_form_shows_them_blank(client):
    client.force_login(make_user("ed", "Editor"))
    page = client.get(reverse("admin:defections_case_add")).content.decode()
    for field in CHOSEN:
        select = page.split(f'name="{field}"', 1)[1].split("</select>", 1)[0]
        assert '<option value="" selected>' in select, field


def test_publishing_an_unchosen_case_is_refused_naming_the_field(client):
    """In the database, by the admin's bulk action and by the API alike."""
    for field in CHOSEN:
        draft = CaseFactory(status="draft", **{field: ""})
        Citation.objects.create(case=draft, source=SourceFactory(), locator="p. 1")
        assert f"case_published_chose_{field}" in refused(
            lambda draft=draft: Case.objects.filter(pk=draft.pk).update(status="published"))
    client.force_login(make_user("ed", "Editor"))
    page = client.post(reverse("admin:defections_case_changelist"),
                       {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "not published" in page.content.decode() and "classification" in page.content.decode()
    assert Case.objects.get(pk=draft.pk).status == "draft"


def test_the_api_makes_a_blank_draft_and_refuses_to_publish_it_naming_the_fields():
    editor = client_for(make_user("ed", "Editor"))
    person = CaseFactory().person
    made = editor.post("/api/v1/cases/", {"person": person.pk, "form": "geographic", "date": "2015",
                                          "summary": "Left."}, format="json")  # not the factory's act
    assert made.status_code == 201, made.json()
    assert [made.json()[field] for field in CHOSEN] == ["", "", ""]
    assert made.json()["status"] == "draft"
    source = SourceFactory()
    answer = editor.patch(f"/api/v1/cases/{made.json()['id']}/", {
        "status": "published", "citations": [{"source": source.pk}]}, format="json")
    assert answer.status_code == 400
    assert set(CHOSEN) <= set(answer.json()), answer.json()
    assert Case.objects.get(pk=made.json()["id"]).status == "draft"
    chosen = editor.patch(f"/api/v1/cases/{made.json()['id']}/", {
        "status": "published", "citations": [{"source": source.pk}], "country_from": "SU",
        "verification": "reported", "classification": "probable"}, format="json")
    assert chosen.status_code == 200, chosen.json()


def test_the_admin_form_marks_the_unchosen_field(client):
    draft = CaseFactory(status="draft", country_from="", classification="")
    client.force_login(make_user("ed", "Editor"))
    post = case_post(draft, status="published", citations=[SourceFactory()], country_from="",
                     classification="")
    page = client.post(reverse("admin:defections_case_change", args=[draft.pk]), post)
    assert page.status_code == 200
    errors = {field: [str(e) for e in page.context["adminform"].form.errors.get(field, [])]
              for field in CHOSEN}
    assert errors["country_from"] == ["A published case needs a value for “country from”."]
    assert errors["classification"] == ["A published case needs a value for “classification”."]
    assert errors["verification"] == []
    assert Case.objects.get(pk=draft.pk).status == "draft"
