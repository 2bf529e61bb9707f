"""Codebook versions (issue 13): a case records the version it was coded under and who signed
it off; a version that redefines a value sends the cases coded with it under an older one to
a re-review queue, which an editor's sign-off empties."""

import re

import pytest
from django.utils import translation

from defections import choices, codebook
from defections.choices import help_text
from defections.dates import Precision
from defections.models import Case
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin import url
from tests.test_admin_support import make_user
from tests.test_api_fixtures import client_for, generous_throttle  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


def confirmed_case(version=1):
    case = CaseFactory(status="published", verification="confirmed", summary="Coded long ago.")
    case.citations.create(source=SourceFactory())
    Case.objects.filter(pk=case.pk).update(codebook_version=version)
    return case


def test_publishing_records_the_codebook_and_who_signed_off(client):
    editor = make_user("ed", "Editor")
    draft = CaseFactory(status="draft", summary="To publish.")
    draft.citations.create(source=SourceFactory())
    client.force_login(editor)
    client.post(url("case_changelist"), {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert (draft.status, draft.codebook_version, draft.signed_off_by) == (
        "published", codebook.CURRENT, editor)
    api = client_for(editor)
    other = CaseFactory(status="draft", summary="By the API.")
    other.citations.create(source=SourceFactory())
    assert api.patch(f"/api/v1/cases/{other.pk}/", {"status": "published"}, format="json").status_code == 200
    other.refresh_from_db()
    assert (other.codebook_version, other.signed_off_by) == (codebook.CURRENT, editor)
    # the public reads the version, never who signed off
    public = client.__class__().get(f"/api/v1/cases/{other.pk}/").json()
    assert public["codebook_version"] == codebook.CURRENT and "signed_off_by" not in public
    assert api.get(f"/api/v1/cases/{other.pk}/").json()["signed_off_by"] == "ed"


def test_a_redefined_value_sends_older_cases_to_re_review_and_a_sign_off_clears_it(client):
    old_confirmed, current_confirmed = confirmed_case(1), confirmed_case(codebook.CURRENT)
    old_reported = CaseFactory(status="published", verification="reported")
    Case.objects.filter(pk=old_reported.pk).update(codebook_version=1)
    assert set(Case.objects.needing_review()) == {old_confirmed}
    assert current_confirmed not in Case.objects.needing_review()

    researcher, editor = make_user("rita", "Researcher"), make_user("ed", "Editor")
    client.force_login(editor)
    dashboard = client.get("/admin/").content.decode()
    assert "1 case needs re-review" in dashboard
    queue = client.get(url("case_changelist") + "?codebook=review").content.decode()
    assert old_confirmed.person.name in queue and current_confirmed.person.name not in queue

    client.force_login(researcher)
    client.post(url("case_changelist"), {"action": "sign_off", "_selected_action": [old_confirmed.pk]})
    assert Case.objects.needing_review().count() == 1  # only editors sign off
    client.force_login(editor)
    client.post(url("case_changelist"), {"action": "sign_off", "_selected_action": [old_confirmed.pk]})
    old_confirmed.refresh_from_db()
    assert (old_confirmed.codebook_version, old_confirmed.signed_off_by) == (codebook.CURRENT, editor)
    assert not Case.objects.needing_review().exists()
    assert "needs re-review" not in client.get("/admin/").content.decode()


def test_the_pages_say_which_codebook(client):
    case = confirmed_case(1)
    about = client.get("/about/").content.decode()
    for version in codebook.VERSIONS:
        assert f'id="codebook-v{version.number}"' in about
    assert "two independent origins" in about
    page = client.get(case.get_absolute_url()).content.decode()
    assert "/about/#codebook-v1" in page


def test_version_3_sends_circa_dates_coded_before_it_to_re_review():
    assert codebook.CURRENT == 3
    for version in codebook.VERSIONS:  # needing_review() filters Case on these names
        for name in version.redefined:
            Case._meta.get_field(name)
    old_circa, new_circa, old_year = (CaseFactory(status="published", date=text)
                                      for text in ["c. 1953", "c. 1953", "1953"])
    Case.objects.filter(pk__in=[old_circa.pk, old_year.pk]).update(codebook_version=2)
    Case.objects.filter(pk=new_circa.pk).update(codebook_version=3)
    assert set(Case.objects.needing_review()) == {old_circa}


# --- the codebook in Russian (issue 16) ---

CODED = [choices.Form, choices.Visibility, choices.Verification, choices.Classification,
         choices.Status, choices.ResponseKind, choices.AgencyKind, choices.SourceKind,
         choices.Reliability, choices.Claim, choices.Holder, choices.Rank, Precision]
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def test_every_coded_value_and_version_reads_in_russian_and_english_is_unchanged():
    english = {enum.__name__: ([str(label) for label in enum.labels],
                               [str(text) for text in enum.definitions.values()]) for enum in CODED}
    with translation.override("ru"):
        for enum in CODED:
            labels, definitions = english[enum.__name__]
            rows = zip(enum.values, enum.labels, labels, definitions, strict=True)
            for value, label, en_label, en_text in rows:
                text = str(enum.definitions[value])
                assert CYRILLIC.search(str(label)) and str(label) != en_label, (enum, value)
                assert CYRILLIC.search(text) and text != en_text, (enum, value)
            assert CYRILLIC.search(str(help_text(enum)))
        for version in codebook.VERSIONS:
            for note in version.notes:
                assert CYRILLIC.search(str(note)), note
    # English readers see what they saw: labels and definitions as written.
    assert choices.Form.GEOGRAPHIC.label == "Geographic"
    assert choices.Form.definitions["geographic"] == "Leaving the country in protest or self-exile."
    assert str(help_text(choices.Form)).startswith("“articulated”: Speaking out against the regime")


def test_a_field_help_text_follows_the_reader_language():
    """The models read help_text(...) once, at import: it must still answer in the reader's language."""
    field = Case._meta.get_field("form")
    assert str(field.help_text).startswith("“articulated”: Speaking out")
    with translation.override("ru"):
        assert str(field.help_text).startswith("«articulated»: Открытое выступление")
        assert str(Case._meta.get_field("verification").help_text).count("«") == 4


def test_the_codebook_on_the_russian_about_page(client):
    page = client.get("/ru/about/").content.decode()
    assert "Отъезд из страны в знак протеста или добровольное изгнание." in page
    assert "Leaving the country in protest or self-exile." not in page
    assert "form=geographic" in page  # the query-string value is the same in both languages
    assert "Первый кодификатор" in page
    english = client.get("/about/").content.decode()
    assert "Leaving the country in protest or self-exile." in english and "Отъезд" not in english
