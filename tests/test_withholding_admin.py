"""Withholdings in the admin: an inline on the case and person pages, behind the same door as
the other inlines, offering only the parent's kind of field, and recorded in the history."""

import pytest
from django.urls import reverse

from defections import history
from defections.models import Case, Withholding
from tests.factories import CaseFactory, PersonFactory
from tests.test_admin_support import make_user
from tests.write_paths import read_form

pytestmark = pytest.mark.django_db


def change_url(record):
    return reverse(f"admin:defections_{record._meta.model_name}_change", args=[record.pk])


def page_form(client, record) -> dict:
    """The change form as the browser submits it: every field and every inline's management form."""
    page = client.get(change_url(record))
    assert page.status_code == 200
    return read_form(page.content.decode(), record._meta.model_name)


def with_row(data, **row) -> dict:
    """The form with one more withholding row."""
    index = int(data["withholdings-TOTAL_FORMS"][0])
    data["withholdings-TOTAL_FORMS"] = [index + 1]
    for key, value in row.items():
        data[f"withholdings-{index}-{key}"] = [value]
    return data


def field_choices(client, record) -> set[str]:
    response = client.get(change_url(record))
    formset = next(f.formset for f in response.context["inline_admin_formsets"]
                   if f.formset.model is Withholding)
    return {value for value, _label in formset.empty_form.fields["field"].choices if value}


def test_an_editor_withholds_a_field_of_a_published_case(client):
    editor = make_user("ed", "Editor")
    client.force_login(editor)
    case = CaseFactory(status="published")
    data = with_row(page_form(client, case), field="destination_country", reason="Family still there.",
                    until="2027-06-01")
    response = client.post(change_url(case), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    withholding = Withholding.objects.get(case=case)
    assert (withholding.field, withholding.reason, str(withholding.until)) == (
        "destination_country", "Family still there.", "2027-06-01")
    # staff see the reason and the day on the change page
    page = client.get(change_url(case)).content.decode()
    assert "Family still there." in page and "2027-06-01" in page


def test_a_researcher_withholds_on_a_draft_but_not_on_a_published_case(client):
    researcher = make_user("rita", "Researcher")
    client.force_login(researcher)
    draft, published = CaseFactory(status="draft"), CaseFactory(status="published")
    data = with_row(page_form(client, published), field="place", reason="Safety.")
    assert client.post(change_url(published), data).status_code == 403
    assert not Withholding.objects.filter(case=published).exists()

    data = with_row(page_form(client, draft), field="place", reason="Safety.")
    assert client.post(change_url(draft), data).status_code == 302
    assert Withholding.objects.get(case=draft).field == "place"


def test_each_inline_offers_only_its_records_fields(client):
    client.force_login(make_user("ed", "Editor"))
    case = CaseFactory(status="draft")
    case_fields, person_fields = field_choices(client, case), field_choices(client, case.person)
    assert "native_name" not in case_fields and {"place", "date", "destination_country"} <= case_fields
    assert "place" not in person_fields and {"native_name", "birth", "bio"} <= person_fields


def test_a_person_field_on_a_case_is_a_form_error(client):
    client.force_login(make_user("ed", "Editor"))
    case = CaseFactory(status="draft")
    response = client.post(change_url(case), with_row(page_form(client, case), field="birth",
                                                      reason="Safety."))
    assert response.status_code == 200
    formset = next(f.formset for f in response.context["inline_admin_formsets"]
                   if f.formset.model is Withholding)
    assert "field" in formset.errors[0]
    assert not Withholding.objects.exists()


def test_a_field_is_withheld_once(client):
    client.force_login(make_user("ed", "Editor"))
    case = CaseFactory(status="draft")
    Withholding.objects.create(case=case, field="place", reason="Safety.")
    response = client.post(change_url(case), with_row(page_form(client, case), field="place",
                                                      reason="Again."))
    assert response.status_code == 200
    assert Withholding.objects.filter(case=case).count() == 1


def test_an_editor_withholds_a_field_of_a_person(client):
    client.force_login(make_user("ed", "Editor"))
    person = CaseFactory(status="published").person
    response = client.post(change_url(person), with_row(page_form(client, person), field="citizenship",
                                                        reason="Dual citizen, at risk."))
    assert response.status_code == 302
    assert Withholding.objects.get(person=person).field == "citizenship"


def test_the_history_lists_withholdings(client):
    editor = make_user("ed", "Editor")
    client.force_login(editor)
    case = CaseFactory(status="draft", person=PersonFactory())
    client.post(change_url(case), with_row(page_form(client, case), field="destination_country",
                                           reason="Family still there."))
    withholding = Withholding.objects.get(case=case)
    withholding.delete()
    Withholding.objects.create(person=case.person, field="bio", reason="Names relatives.")

    entries = [e for e in history.entries(case) if e.model_label == "Withholding"]
    assert [e.event.pgh_label for e in entries] == ["delete", "insert"]
    assert entries[1].user == editor
    assert ("field", "—", "Destination") in [(c.field, c.old, c.new) for c in entries[1].changes]
    page = client.get(reverse("admin:defections_case_history", args=[case.pk])).content.decode()
    assert "Withholding" in page and "Family still there." in page
    person_page = client.get(reverse("admin:defections_person_history", args=[case.person.pk]))
    assert "Names relatives." in person_page.content.decode()


def test_the_case_list_filters_by_withheld_fields(client):
    client.force_login(make_user("ed", "Editor"))
    own, persons, expired, none = (CaseFactory(status="draft") for _ in range(4))
    Withholding.objects.create(case=own, field="place", reason="Safety.")
    Withholding.objects.create(person=persons.person, field="bio", reason="Safety.")
    Withholding.objects.create(case=expired, field="place", reason="Safety.", until="2000-01-01")
    listed = client.get(reverse("admin:defections_case_changelist"), {"withheld": "yes"})
    assert set(listed.context["cl"].result_list) == {own, persons}
    listed = client.get(reverse("admin:defections_case_changelist"), {"withheld": "no"})
    assert set(listed.context["cl"].result_list) == {expired, none}
    assert Case.objects.count() == 4
