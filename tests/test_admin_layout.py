"""The researchers' admin laid out in a real Chromium, in English and in Russian (longer labels).

At 1280 px, beside the admin's navigation, nothing scrolls sideways: not the page, and not
the changelist's table inside its own box (Django lets a wide table scroll there, which hides
its last columns). At 375 px the page itself never scrolls sideways; tables of inlines and
changelists scroll inside their own boxes, which is how Django's admin lays them out on a
phone (responsive.css), so the bound there is the page's width, nothing more.
"""

import pytest
from django.core.management import call_command

from tests.browser import screenshot
from tests.test_admin_browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)

# How far the page, and each box that could hide columns, reaches past the screen (px).
OVERFLOW = """() => {
  const width = window.innerWidth;
  const boxes = [...document.querySelectorAll('#changelist .results, #result_list')];
  return {
    page: document.documentElement.scrollWidth - width,
    boxes: boxes.map(box => Math.max(box.scrollWidth - box.clientWidth,
                                     box.getBoundingClientRect().right - width)),
  };
}"""


@pytest.fixture
def admin_page(page):
    from django.contrib.auth.models import User

    from defections.models import Source

    call_command("load_seed", verbosity=0)
    # A long address, as most are: the list shows it cut short, not its whole length.
    Source.objects.create(
        title="A long report on the ministry's departures", outlet="Example Daily", kind="news",
        url="https://www.example.org/2026/05/04/reports/a-very-long-address-of-a-report-on-the-"
            "ministrys-departures-and-what-they-mean-a92658?utm_source=rss")
    User.objects.create_superuser("boss", password="boss-secret-1")
    log_in(page, "boss", "boss-secret-1")
    return page


def pages():
    from defections.models import Case

    case = Case.objects.get(person__name="Boris Bondarev", form="articulated")
    return {"case-add": "/admin/defections/case/add/",
            "case-change": f"/admin/defections/case/{case.pk}/change/",
            "cases": "/admin/defections/case/", "sources": "/admin/defections/source/"}


@pytest.mark.parametrize("width", [1280, 375])
def test_admin_pages_fit_the_screen_in_both_languages(admin_page, width):
    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    too_wide = {}
    for prefix in ["", "/ru"]:
        for name, url in pages().items():
            page.goto(page.base_url + prefix + url)
            overflow = page.evaluate(OVERFLOW)
            screenshot(page, f"admin-{name}{prefix.replace('/', '-')}-{width}")
            if overflow["page"] > 0 or (width > 375 and any(o > 0 for o in overflow["boxes"])):
                too_wide[prefix + url] = overflow
    assert too_wide == {}


def test_the_case_list_shows_verification_status_and_updated_at_1280(admin_page):
    page = admin_page
    for prefix in ["", "/ru"]:
        page.goto(page.base_url + prefix + "/admin/defections/case/")
        for column in ["verified", "status", "updated"]:
            header = page.locator(f"#result_list th.column-{column}")
            box = header.bounding_box()
            assert header.is_visible() and box["x"] + box["width"] <= 1280, (prefix, column)


def test_the_source_list_cuts_a_long_address_and_keeps_it_whole_in_its_title(admin_page):
    page = admin_page
    page.goto(page.base_url + "/admin/defections/source/")
    link = page.locator("#result_list td.field-link a", has_text="example.org")
    full = link.get_attribute("title")
    assert full.startswith("https://www.example.org/2026/05/04/reports/") and full.endswith("rss")
    assert link.get_attribute("href") == full
    assert link.evaluate("a => a.scrollWidth > a.clientWidth")  # cut, with an ellipsis
    assert link.evaluate("a => getComputedStyle(a).textOverflow") == "ellipsis"


def test_citizenship_is_searched_and_not_a_duplicate_sits_under_the_warning(admin_page):
    """Citizenship: type to find a country among 250 and choose it (no Ctrl-click list). A close
    name warns; the box that confirms it is right under the warning, not at the form's foot."""
    from defections.models import Person

    page = admin_page
    page.goto(page.base_url + "/admin/defections/person/add/")
    page.locator("#id_citizenship_input").press_sequentially("russ")  # it filters as one types
    shown = page.locator("#id_citizenship_from option")
    assert shown.count() < 5 and "Russia" in shown.all_inner_texts()
    page.select_option("#id_citizenship_from", "RU")
    page.click("#id_citizenship_add")
    assert page.locator("#id_citizenship_to option").all_inner_texts() == ["Russia"]
    assert not page.locator("#id_save_anyway").count()  # nothing to confirm yet

    page.fill("#id_name", "Sergej Skripal")
    page.click("input[name=_save]")
    warning = page.locator(".errorlist.nonfield")
    assert "Possible duplicates" in warning.inner_text()
    below = warning.bounding_box()
    box = page.locator("#id_save_anyway").bounding_box()
    name = page.locator("#id_name").bounding_box()
    assert below["y"] + below["height"] <= box["y"] < below["y"] + below["height"] + 60
    assert box["y"] < name["y"]  # above the form's first field
    screenshot(page, "admin-person-duplicate-warning")

    page.check("#id_save_anyway")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert Person.objects.get(name="Sergej Skripal").citizenship == ["RU"]
