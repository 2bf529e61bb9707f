"""The researchers' admin: permissions by role, the workflow, stale saves, duplicates, dates."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from defections.models import Case, Citation, Person, PersonAlias, Source
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory
from tests.test_admin_support import case_post, make_user

pytestmark = pytest.mark.django_db


def management(prefix, initial=0, total=0):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial,
            f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}


@pytest.fixture
def researcher():
    return make_user("rita", "Researcher")


@pytest.fixture
def editor():
    return make_user("ed", "Editor")


@pytest.fixture
def cases():
    return {
        "draft": CaseFactory(status="draft"),
        "published": CaseFactory(status="published"),
    }


def url(name, *args):
    return reverse(f"admin:defections_{name}", args=args)


# --- the permission matrix --------------------------------------------------------------

CASE_PAGES = ["case_changelist", "case_add", "case_export", "case_import"]


@pytest.mark.parametrize("page", CASE_PAGES)
def test_anonymous_is_sent_to_the_login(client, page):
    response = client.get(url(page))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_anonymous_cannot_change_or_see_history(client, cases):
    for page in ["case_change", "case_history"]:
        response = client.get(url(page, cases["draft"].pk))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(url("case_changelist"), {"action": "publish",
                                                    "_selected_action": [cases["draft"].pk]})
    assert response.status_code == 302
    assert Case.objects.get(pk=cases["draft"].pk).status == "draft"


@pytest.mark.parametrize("page", CASE_PAGES)
@pytest.mark.parametrize("role", ["researcher", "editor"])
def test_both_roles_reach_the_case_pages(client, request, role, page):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url(page)).status_code == 200


def test_researcher_edits_drafts_and_only_reads_published_cases(client, researcher, cases):
    client.force_login(researcher)
    draft_page = client.get(url("case_change", cases["draft"].pk))
    assert draft_page.status_code == 200 and b'name="_save"' in draft_page.content
    published_page = client.get(url("case_change", cases["published"].pk))
    assert published_page.status_code == 200 and b'name="_save"' not in published_page.content
    post = client.post(url("case_change", cases["published"].pk),
                       case_post(cases["published"], summary="Rewritten"))
    assert post.status_code == 403
    assert Case.objects.get(pk=cases["published"].pk).summary == "A test case."
    assert client.get(url("case_history", cases["published"].pk)).status_code == 200
    assert client.get(url("case_delete", cases["draft"].pk)).status_code == 403
    assert client.get(url("motive_add")).status_code == 403


def test_editor_edits_published_cases(client, editor, cases):
    client.force_login(editor)
    post = client.post(url("case_change", cases["published"].pk),
                       case_post(cases["published"], summary="Rewritten",
                                 citations=[SourceFactory()]))
    assert post.status_code == 302, post.context["adminform"].form.errors
    assert Case.objects.get(pk=cases["published"].pk).summary == "Rewritten"


def test_staff_without_a_role_sees_nothing(client, cases):
    client.force_login(make_user("nobody"))
    assert client.get(url("case_changelist")).status_code == 403


def test_every_model_has_a_changelist_and_an_add_page(client):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    CaseFactory(status="draft")
    for model in ["case", "response", "citation", "person", "personalias", "affiliation", "agency",
                  "source", "motive", "period"]:
        assert client.get(url(f"{model}_changelist")).status_code == 200, model
        assert client.get(url(f"{model}_add")).status_code == 200, model


# --- workflow through the form ----------------------------------------------------------


def test_researcher_cannot_publish_through_the_form(client, researcher, cases):
    client.force_login(researcher)
    case = cases["draft"]
    response = client.post(url("case_change", case.pk),
                           case_post(case, status="published", citations=[SourceFactory()]))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert Case.objects.get(pk=case.pk).status == "draft"


def test_researcher_submits_a_new_case_for_review(client, researcher):
    client.force_login(researcher)
    person = PersonFactory()
    response = client.post(url("case_add"), case_post(person=person.pk, status="review",
                                                      date="March 2026"))
    assert response.status_code == 302
    case = Case.objects.get(person=person)
    assert (case.status, case.created_by, case.updated_by) == ("review", researcher, researcher)
    assert (case.date_precision, case.date) == ("month", "March 2026")


def test_publishing_needs_a_citation_counting_the_ones_in_the_same_request(client, editor, cases):
    client.force_login(editor)
    case = cases["draft"]
    refused = client.post(url("case_change", case.pk), case_post(case, status="published"))
    assert refused.status_code == 200
    assert "cites at least one source" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == "draft"
    accepted = client.post(url("case_change", case.pk),
                           case_post(case, status="published", citations=[SourceFactory()]))
    assert accepted.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "published"
    assert case.citations.count() == 1


def test_confirmed_needs_two_different_sources(client, editor, cases):
    client.force_login(editor)
    case, source = cases["draft"], SourceFactory()
    refused = client.post(url("case_change", case.pk),
                          case_post(case, verification="confirmed", citations=[source, source]))
    assert refused.status_code == 200 and "two independent origins" in refused.content.decode()
    assert not case.citations.exists()
    accepted = client.post(url("case_change", case.pk),
                           case_post(case, verification="confirmed", citations=[source, SourceFactory()]))
    assert accepted.status_code == 302
    assert Case.objects.get(pk=case.pk).verification == "confirmed"


# --- bulk actions -----------------------------------------------------------------------


def act(client, action, *cases_):
    return client.post(url("case_changelist"), {"action": action,
                                                "_selected_action": [c.pk for c in cases_]},
                       follow=True)


def test_researcher_cannot_publish_by_bulk_action(client, researcher, cases):
    client.force_login(researcher)
    case = cases["draft"]
    Citation.objects.create(case=case, source=SourceFactory())
    act(client, "publish", case)
    assert Case.objects.get(pk=case.pk).status == "draft"
    act(client, "submit_for_review", case)
    assert Case.objects.get(pk=case.pk).status == "review"


def test_bulk_submit_refuses_published_cases_for_researchers(client, researcher, cases):
    client.force_login(researcher)
    response = act(client, "submit_for_review", cases["draft"], cases["published"])
    texts = [str(m) for m in response.context["messages"]]
    assert any("not submitted" in t and "Only an editor" in t for t in texts)
    assert Case.objects.get(pk=cases["published"].pk).status == "published"
    assert Case.objects.get(pk=cases["draft"].pk).status == "review"


def test_bulk_publish_reports_each_refusal(client, editor):
    client.force_login(editor)
    sourced, unsourced = CaseFactory(status="review"), CaseFactory(status="review")
    Citation.objects.create(case=sourced, source=SourceFactory())
    response = act(client, "publish", sourced, unsourced)
    texts = [str(m) for m in response.context["messages"]]
    assert any(str(unsourced) in t and "at least one source" in t for t in texts)
    assert "1 case(s) published." in texts
    assert Case.objects.get(pk=sourced.pk).status == "published"
    assert Case.objects.get(pk=unsourced.pk).status == "review"
    act(client, "retract", sourced)
    assert Case.objects.get(pk=sourced.pk).status == "retracted"


# --- no lost updates --------------------------------------------------------------------


def test_a_stale_save_is_refused_and_the_input_kept(client, researcher, cases):
    client.force_login(researcher)
    case = cases["draft"]
    loaded = case_post(case, summary="My careful rewrite.")
    other = Case.objects.get(pk=case.pk)
    other.summary, other.updated_by = "Someone else's edit.", make_user("other", "Researcher")
    other.save()

    response = client.post(url("case_change", case.pk), loaded)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not saved: other changed this case" in page
    assert "My careful rewrite." in page
    assert Case.objects.get(pk=case.pk).summary == "Someone else's edit."

    # Having read the message, saving again overwrites on purpose.
    again = dict(loaded, version=response.context["adminform"].form["version"].value())
    assert client.post(url("case_change", case.pk), again).status_code == 302
    assert Case.objects.get(pk=case.pk).summary == "My careful rewrite."


# --- partial dates ----------------------------------------------------------------------


def test_a_partial_date_is_shown_back_as_typed_and_bad_text_is_a_form_error(client, researcher):
    client.force_login(researcher)
    case = CaseFactory(status="draft", date="March 2026")
    page = client.get(url("case_change", case.pk)).content.decode()
    assert 'value="March 2026"' in page
    response = client.post(url("case_change", case.pk), case_post(case, date="Marchember 2026"))
    assert response.status_code == 200
    assert "is not a date we can read" in str(response.context["adminform"].form.errors["date"])
    assert Case.objects.get(pk=case.pk).date == "March 2026"


# --- duplicates -------------------------------------------------------------------------


def person_post(**fields):
    data = {"name": "", "native_name": "", "birth": "", "death": "", "bio": "", "wikidata_qid": "",
            **management("aliases"), **management("affiliations"), **management("cases"),
            **management("withholdings")}
    data.update(fields)
    return data


def test_a_close_name_shows_the_candidates_before_saving(client, researcher):
    client.force_login(researcher)
    skripal = PersonFactory(name="Sergei Skripal", native_name="Сергей Скрипаль")
    PersonAlias.objects.create(person=skripal, name="Sergey Skripal")
    response = client.post(url("person_add"), person_post(name="Sergej Skripal"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Possible duplicates" in page and url("person_change", skripal.pk) in page
    assert Person.objects.count() == 1
    cyrillic = client.post(url("person_add"), person_post(name="S. Skripal", native_name="Скрипаль"))
    assert "Possible duplicates" in cyrillic.content.decode()
    saved = client.post(url("person_add"), person_post(name="Sergej Skripal", save_anyway="on"))
    assert saved.status_code == 302
    assert Person.objects.count() == 2


def test_an_unrelated_name_saves_at_once(client, researcher):
    client.force_login(researcher)
    PersonFactory(name="Sergei Skripal")
    response = client.post(url("person_add"), person_post(name="Ilya Remeslo", birth="1980"))
    assert response.status_code == 302
    assert Person.objects.get(name="Ilya Remeslo").birth == "1980"


def test_a_known_source_url_is_reused(client, researcher):
    client.force_login(researcher)
    source = SourceFactory(url="https://example.org/story")
    response = client.post(url("source_add"), {
        "title": "Same story", "url": " https://example.org/story ", "kind": "news",
        "reliability": "unknown"})
    assert response.status_code == 302 and response["Location"] == url("source_change", source.pk)
    assert Source.objects.count() == 1


# --- lists: search, public filters, view on site ----------------------------------------


def test_admin_search_finds_misspelt_names(client, editor):
    client.force_login(editor)
    case = CaseFactory(person=PersonFactory(name="Sergei Skripal"), status="draft")
    CaseFactory(person=PersonFactory(name="Ilya Remeslo"))
    listed = client.get(url("case_changelist"), {"q": "Skipal"}).context["cl"].result_list
    assert list(listed) == [case]
    people = client.get(url("person_changelist"), {"q": "Skripall"}).context["cl"].result_list
    assert [p.name for p in people] == ["Sergei Skripal"]


def test_list_filters_speak_the_public_vocabulary(client, editor):
    client.force_login(editor)
    fsb = AgencyFactory(slug="fsb")
    sub = AgencyFactory(parent=fsb)
    inside = CaseFactory(form="final", agency=sub, date="2023")
    CaseFactory(form="final", date="1953")
    CaseFactory(form="geographic", agency=sub, date="2023")
    listed = client.get(url("case_changelist"), {"form": "final", "agency": "fsb", "year_min": "2020"})
    assert list(listed.context["cl"].result_list) == [inside]


def test_the_change_page_links_to_the_public_page(client, editor):
    client.force_login(editor)
    case = CaseFactory()
    page = client.get(url("case_change", case.pk)).content.decode()
    assert "View on site" in page


def test_the_seeded_data_renders_in_every_list_and_history(client, seeded):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    listed = client.get(url("case_changelist"))
    assert listed.status_code == 200 and listed.context["cl"].result_count == Case.objects.count()
    case = Case.objects.filter(destination_country__gt="").first() or Case.objects.first()
    assert client.get(url("case_changelist"), {"destination_country": case.destination_country.code or "RU",
                                               "period": case.period.slug if case.period else ""}
                      ).status_code == 200
    for page in [url("case_change", case.pk), url("case_history", case.pk),
                 url("person_change", case.person_id), url("person_history", case.person_id),
                 url("agency_change", Case.objects.exclude(agency=None).first().agency_id)]:
        assert client.get(page).status_code == 200, page


def test_an_unchanged_date_keeps_its_stored_interval(client, db):
    """Recorded on 1 May 2020 as "after 1991" (1992 to that day); fixing the summary later
    does not read the date again, which would end it on the day of the edit."""
    with time_machine.travel(date(2020, 5, 1), tick=False):
        case = CaseFactory(status="draft", date="after 1991")
    client.force_login(make_user("rita-after", "Researcher"))
    response = client.post(reverse("admin:defections_case_change", args=[case.pk]),
                           case_post(case, summary="Typo fixed."))
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.summary, case.date_end) == ("Typo fixed.", date(2020, 5, 1))
