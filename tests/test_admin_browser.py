"""The whole review path in a real browser: a researcher enters a sourced case, an editor publishes it."""

import pytest

from tests.browser import screenshot
from tests.test_admin_support import make_user

NAME = "Anatoly Zelenogradsky"


def log_in(page, username, password):
    page.context.clear_cookies()
    page.goto(page.base_url + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def autocomplete(page, container, text):
    """Pick the first result of a select2 autocomplete inside the container."""
    page.click(f"{container} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option >> text={text}")


@pytest.mark.django_db(transaction=True)
def test_researcher_enters_a_case_and_an_editor_publishes_it(page):
    make_user("rita", "Researcher", password="rita-secret-1")
    make_user("ed", "Editor", password="ed-secret-1")

    log_in(page, "rita", "rita-secret-1")
    page.goto(page.base_url + "/admin/defections/person/add/")
    page.fill("#id_name", NAME)
    page.fill("#id_birth", "1971")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto(page.base_url + "/admin/defections/source/add/")
    page.fill("#id_title", "A diplomat resigns over the war")
    page.fill("#id_outlet", "The Example Times")
    page.fill("#id_url", "https://example.org/diplomat-resigns")
    page.select_option("#id_kind", "news")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto(page.base_url + "/admin/defections/case/add/")
    autocomplete(page, ".field-person", "Zelenogradsky")
    page.select_option("#id_form", "articulated")
    page.fill("#id_date", "May 2022")
    page.fill("#id_summary", "A diplomat resigned and denounced the war in an open letter.")
    page.select_option("#id_status", "review")
    # A case is published only once these are chosen (no defaults that make claims).
    page.select_option("#id_country_from", "RU")
    page.select_option("#id_verification", "reported")
    page.select_option("#id_classification", "certain")
    autocomplete(page, "#citations-0 .field-source", "diplomat resigns")
    page.fill("#id_citations-0-locator", "para. 2")
    screenshot(page, "admin-case-entry")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert "In review" in page.locator("#result_list").inner_text()

    log_in(page, "ed", "ed-secret-1")
    page.goto(page.base_url + "/admin/defections/case/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "publish")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert "1 case(s) published." in page.locator(".messagelist").inner_text()

    page.goto(page.base_url + "/cases/")
    assert NAME in page.locator("main").inner_text()
    screenshot(page, "admin-published-case-on-public-list")


@pytest.mark.django_db(transaction=True)
def test_an_editor_writes_a_russian_summary_in_the_russian_admin(page):
    """The admin at /ru/admin/ over HTTP: Russian labels and messages, the Russian summary beside
    the English one, saved into its own column."""
    from defections.models import Case
    from tests.factories import CaseFactory

    make_user("ed", "Editor", password="ed-secret-1")
    case = CaseFactory(status="draft", summary="A diplomat resigned over the war.")
    page.context.clear_cookies()
    page.goto(page.base_url + "/ru/admin/login/?next=/ru/admin/")
    assert page.locator("html").get_attribute("lang") == "ru"
    page.fill("#id_username", "ed")
    page.fill("#id_password", "ed-secret-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/ru/admin/")
    assert "Случаи разрыва с государством" in page.locator("#content").text_content()

    page.goto(f"{page.base_url}/ru/admin/defections/case/{case.pk}/change/")
    row = page.locator(".form-row.field-summary")
    assert row.locator("label[for=id_summary]").inner_text().startswith("Краткое изложение")
    assert row.locator("label[for=id_summary_ru]").inner_text().startswith("Краткое изложение (по-русски)")
    english, russian = (box.bounding_box() for box in row.locator(".fieldBox").all())
    assert english["y"] == russian["y"] and english["x"] < russian["x"]  # side by side
    page.fill("#id_summary_ru", "Дипломат ушёл в отставку в знак протеста против войны.")
    screenshot(page, "admin-russian-summary")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert "успешно" in page.locator(".messagelist").inner_text()

    case.refresh_from_db()
    assert case.summary_ru == "Дипломат ушёл в отставку в знак протеста против войны."
    assert case.summary == "A diplomat resigned over the war."

    page.fill("#id_summary", "")
    page.select_option("#id_status", "published")
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    errors = page.locator("#content").inner_text()
    assert "Опубликованный случай ссылается хотя бы на один источник." in errors
    assert Case.objects.get(pk=case.pk).status == "draft"
