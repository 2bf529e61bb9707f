"""The browser harness itself: a real Chromium loads a real page from the live server."""

import pytest

from tests.browser import screenshot


@pytest.mark.django_db(transaction=True)
def test_chromium_renders_a_case_page(page):
    from django.core.management import call_command

    from defections.models import Case

    call_command("load_seed", verbosity=0)
    case = Case.objects.get(person__name="Ilya Remeslo")
    page.goto(page.base_url + case.get_absolute_url())
    assert page.locator("h1").inner_text().startswith("Ilya Remeslo")
    assert "March 2026" in page.locator("main").inner_text()
    page.get_by_role("link", name="Cases", exact=True).click()
    page.wait_for_url("**/cases/")
    assert page.locator("main li").count() == Case.objects.public().count()
    assert screenshot(page, "smoke-case-list").stat().st_size > 1000
