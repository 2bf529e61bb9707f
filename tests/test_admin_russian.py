"""The admin in Russian (/ru/admin/): Django's strings and ours, the workflow's refusals, and
every bilingual text edited beside its Russian column. English at /admin/ is unchanged
(tests/test_admin.py)."""

import re

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.formats import date_format
from django.utils.text import camel_case_to_spaces
from django.utils.timezone import localtime
from lxml import html

from defections import languages
from defections.models import Case, Citation, Person
from tests.factories import CaseFactory, SourceFactory
from tests.test_admin_support import case_post, make_user

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)

# Where each model's translated texts are edited (Withholding: an inline of cases and people).
EDITED_ON = {
    "Case": ["case"],
    "Person": ["person"],
    "Agency": ["agency"],
    "Period": ["period"],
    "Motive": ["motive"],
    "Response": ["response", "case"],
    "Withholding": ["case", "person"],
    "Affiliation": ["affiliation", "person"],
}
PREFIX = {("Response", "case"): "responses-__prefix__-",
          ("Withholding", "case"): "withholdings-__prefix__-",
          ("Withholding", "person"): "withholdings-__prefix__-",
          ("Affiliation", "person"): "affiliations-__prefix__-"}


@pytest.fixture
def editor(client):
    user = make_user("ed", "Editor")
    client.force_login(user)
    return user


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return html.fromstring(response.content.decode())


def row_of(tree, name):
    """The form row (aligned and stacked forms) or table row (tabular inlines) of a field."""
    field = tree.xpath(f'//*[@name="{name}"]')
    assert field, f"no field {name}"
    return field[0].xpath('ancestor::*[contains(concat(" ", @class, " "), " form-row ") or self::tr][1]')[0]


def test_english_names_are_the_ones_django_derived():
    """field_names.py only makes the names translatable: in English, nothing changes."""
    with translation.override("en"):
        for model in apps.get_app_config("defections").get_models():
            options = model._meta.original_attrs
            derived = camel_case_to_spaces(model._meta.object_name)
            assert str(model._meta.verbose_name) == options.get("verbose_name", derived)
            assert str(model._meta.verbose_name_plural) == options.get("verbose_name_plural",
                                                                       f"{derived}s")
            for field in model._meta.local_fields:
                assert str(field.verbose_name) == (field._verbose_name or field.name.replace("_", " "))


def test_every_model_of_the_translated_texts_is_edited_here():
    assert set(EDITED_ON) == set(languages.TRANSLATED)


@pytest.mark.parametrize(("model", "where"), [(m, w) for m, pages in EDITED_ON.items() for w in pages])
def test_each_bilingual_text_is_edited_side_by_side(client, editor, model, where):
    tree = page(client, f"/ru/admin/defections/{where}/add/")
    prefix = PREFIX.get((model, where), "")
    for field in languages.TRANSLATED[model]:
        english, russian = (prefix + column for column in languages.columns(field))
        row = row_of(tree, english)
        assert row.xpath(f'.//*[@name="{russian}"]'), f"{russian} is not beside {english} on {where}"


ADMIN_PAGES = [f"{model}/{view}" for model in ["case", "person", "agency", "period", "motive",
                                               "response", "account", "citation", "source",
                                               "affiliation", "personalias"]
               for view in ["add/", ""]]


def english_labels(tree) -> list[str]:
    """Labels, headings, help, column heads, buttons and tools of an admin page with no Russian
    (not the records' own names: an option's label, the object's title)."""
    texts = [" ".join(node.text_content().split()) for node in tree.xpath(
        '//label[not(.//input)] | //div[contains(@class, "help")] | //fieldset/h2 | //thead//th | //h1'
        ' | //div[@id="changelist-filter"]//h3 | //ul[contains(@class, "object-tools")]//a'
        ' | //div[contains(@class, "submit-row")]//a')]
    texts += tree.xpath('//input[@type="submit"]/@value')
    return [text for text in texts if text and not CYRILLIC.search(text) and not text.isdigit()]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_every_label_heading_and_help_is_russian(client, editor, path):
    CaseFactory(status="draft", summary="A summary.")
    tree = page(client, f"/ru/admin/defections/{path}")
    assert not english_labels(tree), f"English on /ru/admin/defections/{path}"


def test_every_change_history_and_tool_page_is_russian(client, editor, seeded):
    from defections import models

    models.Account.objects.create(case=models.Case.objects.first(), claim="general", holder="official",
                                  statement="The ministry says he resigned.")
    models.Affiliation.objects.create(person=models.Person.objects.first(),
                                      agency=models.Agency.objects.first(), role="Attaché")
    paths = ["/ru/admin/defections/case/import/"]
    for model in [models.Case, models.Person, models.Agency, models.Period, models.Motive,
                  models.Response, models.Account, models.Citation, models.Source,
                  models.Affiliation, models.PersonAlias]:
        pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
        name = model._meta.model_name
        paths += [f"/ru/admin/defections/{name}/{pk}/change/", f"/ru/admin/defections/{name}/{pk}/history/"]
    found = {path: english_labels(page(client, path)) for path in paths}
    assert not {path: texts for path, texts in found.items() if texts}


def test_the_index_and_the_app_are_russian(client, editor):
    text = page(client, "/ru/admin/").text_content()
    assert "Случаи разрыва с государством" in text
    assert "Defection cases" not in text


def test_a_refused_publication_says_why_in_russian(client, editor):
    case = CaseFactory(status="draft", summary="A summary.")
    response = client.post(f"/ru/admin/defections/case/{case.pk}/change/",
                           case_post(case, status="published"))
    assert response.status_code == 200
    text = html.fromstring(response.content.decode()).text_content()
    assert "Опубликованный случай ссылается хотя бы на один источник." in text
    case.refresh_from_db()
    assert case.status == "draft"


def messages_of(response) -> str:
    return " ".join(html.fromstring(response.content.decode()).xpath(
        'string(//ul[@class="messagelist"])').split())


def test_a_bulk_refusal_and_success_speak_russian(client, editor):
    unsourced, summaryless, sourced = (CaseFactory(status="draft", summary=summary)
                                       for summary in ["A summary.", "", "A summary."])
    for case in (summaryless, sourced):
        Citation.objects.create(case=case, source=SourceFactory(), locator="p. 1")
    response = client.post("/ru/admin/defections/case/", {
        "action": "publish", "_selected_action": [unsourced.pk, summaryless.pk, sourced.pk]},
        follow=True)
    text = messages_of(response)
    assert "не опубликован. Опубликованный случай ссылается хотя бы на один источник." in text
    assert "не опубликован. Опубликованному случаю нужно краткое изложение." in text
    assert "Опубликовано случаев: 1." in text
    assert Case.objects.get(pk=sourced.pk).status == "published"


def test_a_researcher_is_refused_in_russian(client):
    client.force_login(make_user("rita", "Researcher"))
    case = CaseFactory(status="published", summary="A summary.")
    response = client.post("/ru/admin/defections/case/", {
        "action": "submit_for_review", "_selected_action": [case.pk]}, follow=True)
    text = messages_of(response)
    assert "не отправлен на проверку. Только редактор может публиковать и отзывать случаи" in text
    assert Case.objects.get(pk=case.pk).status == "published"


def test_the_history_reads_in_russian(client, editor):
    case = CaseFactory(status="draft", summary="A summary.")
    case.summary_ru = "Краткое изложение случая."
    case.save()
    tree = page(client, f"/ru/admin/defections/case/{case.pk}/history/")
    text = " ".join(tree.text_content().split())
    assert "Когда Кто Что Изменения" in text
    assert f"Случай #{case.pk}: изменение" in text
    rows = tree.xpath('//table[@class="history-diff"]//tr')
    diff = [tuple(cell.text_content() for cell in row) for row in rows]
    assert ("краткое изложение (по-русски)", "—", "→", "Краткое изложение случая.") in diff
    assert "Восстановить эту версию" in text


def test_a_new_person_is_saved_with_both_bios_and_a_russian_message(client, editor):
    from tests.test_admin import person_post

    response = client.post("/ru/admin/defections/person/add/", person_post(
        name="Ilya Remeslo", native_name="Илья Ремесло", bio="A lawyer.", bio_ru="Юрист.",
        save_anyway="on"), follow=True)
    assert "Запись «Ilya Remeslo» (лицо) успешно добавлена." in messages_of(response)
    person = Person.objects.get(name="Ilya Remeslo")
    assert (person.bio, person.bio_ru) == ("A lawyer.", "Юрист.")
    duplicate = client.post("/ru/admin/defections/person/add/", person_post(name="Ilja Remeslo"))
    assert "Возможные дубликаты" in duplicate.content.decode()


def test_a_stale_save_is_refused_in_russian_with_the_time_in_russian(client, editor):
    case = CaseFactory(status="draft", summary="A summary.")
    loaded = case_post(case, summary_ru="Моя правка.")
    other = Case.objects.get(pk=case.pk)
    other.summary, other.updated_by = "Someone else's edit.", make_user("other", "Researcher")
    other.save()
    response = client.post(f"/ru/admin/defections/case/{case.pk}/change/", loaded)
    text = " ".join(html.fromstring(response.content.decode()).text_content().split())
    with translation.override("ru"):  # the month as a Russian reader abbreviates it
        when = date_format(localtime(Case.objects.get(pk=case.pk).updated_at), "H:i:s d M Y")
    assert f"Не сохранено: other изменил(а) этот случай в {when}" in text
    assert "Моя правка." in text  # the input is kept
    assert Case.objects.get(pk=case.pk).summary_ru == ""


def test_the_review_queue_and_the_sign_off_speak_russian(client, editor):
    from tests.test_codebook import confirmed_case

    cases = [confirmed_case(1) for _ in range(2)]
    dashboard = " ".join(page(client, "/ru/admin/").text_content().split())
    assert "2 случая требуют повторной проверки: закодированы по прежнему определению" in dashboard
    response = client.post("/ru/admin/defections/case/?codebook=review", {
        "action": "sign_off", "_selected_action": [case.pk for case in cases]}, follow=True)
    assert "Утверждено случаев по версии кодификатора" in messages_of(response)
    assert not Case.objects.needing_review().exists()
