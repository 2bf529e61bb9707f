"""A Russian reader in a real Chromium: search in Russian, read a case in Russian at
/ru/cases/<id>/, switch to English and back. Screenshots go to test-artifacts/."""

import re

import pytest
from django.core.management import call_command

from defections import seed_ru
from tests.browser import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

SKRIPAL_RU = seed_ru.CASES["Sergei Skripal", "geographic"]


@pytest.fixture
def seed():
    call_command("load_seed", verbosity=0)


def test_a_russian_reader_finds_and_reads_a_case_in_russian(page, seed):
    from defections.models import Case

    skripal = Case.objects.get(person__name="Sergei Skripal")
    page.goto(page.base_url + "/ru/cases/")
    assert page.locator("html").get_attribute("lang") == "ru"
    # "перебежчики" finds the summaries saying "перебежчики" and "перебежчиков" (the
    # 'russian' configuration), and marks the word where it is found.
    page.locator("input[name=q]").first.fill("перебежчики")
    page.locator("input[name=q]").first.press("Enter")
    page.wait_for_url("**/ru/cases/?*q=*")
    links = page.locator("ol.cases a.who")
    found = {href for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    assert f"/ru/cases/{skripal.pk}/" in found
    assert len(found) == Case.objects.filter(summary_ru__icontains="перебежчик").count()
    marks = page.locator("ol.cases p.summary mark").all_inner_texts()
    assert marks and all(mark.lower().startswith("перебежчик") for mark in marks), marks

    page.locator(f"ol.cases a.who[href='/ru/cases/{skripal.pk}/']").click()
    page.wait_for_url(f"**/ru/cases/{skripal.pk}/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Скрипаль" in page.locator("h1").inner_text()
    summary = page.locator("p.summary")
    assert summary.inner_text().strip() == SKRIPAL_RU["summary"]
    assert page.locator(".untranslated-note").count() == 0  # nothing stands in for Russian
    response = SKRIPAL_RU["responses"]["assassination-attempt"]
    assert page.get_by_text(response).count() == 1
    screenshot(page, "case-ru-desktop")

    page.locator("ul.languages a[hreflang=en]").click()  # the switch keeps the record
    page.wait_for_url(re.compile(rf"/cases/{skripal.pk}/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("p.summary").inner_text().strip() == skripal.summary
    page.locator("ul.languages a[hreflang=ru]").click()
    page.wait_for_url(f"**/ru/cases/{skripal.pk}/")
    assert page.locator("p.summary").inner_text().strip() == SKRIPAL_RU["summary"]


def test_a_case_not_yet_translated_says_so_in_russian(page, seed):
    from defections.models import Case

    case = Case.objects.get(person__name="Ilya Remeslo")
    Case.objects.filter(pk=case.pk).update(summary_ru="")
    page.goto(f"{page.base_url}/ru/cases/{case.pk}/")
    english = page.locator("p.summary [lang=en]")
    assert english.inner_text().strip() == case.summary
    assert page.locator(".untranslated-note").first.is_visible()
