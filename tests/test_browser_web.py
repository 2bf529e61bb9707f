"""The public pages in a real Chromium: filter the list, follow a case, the chart draws its bars.

Screenshots of /, /cases/ and a case page at phone (375 px) and desktop (1280 px) widths
go to test-artifacts/; the desktop /cases/ one is the README's docs/screenshot-cases.png.
"""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser import screenshot

WIDTHS = {"phone": 375, "desktop": 1280}
DOCS = Path(__file__).resolve().parents[1] / "docs"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seed():
    call_command("load_seed", verbosity=0)


def test_filter_the_list_and_follow_a_case(page, seed):
    from defections.models import Case

    page.goto(page.base_url + "/cases/")
    assert page.locator("ol.cases > li").count() == Case.objects.public().count()
    page.get_by_role("checkbox", name="Geographic").check()  # the script submits on change
    page.wait_for_url("**/cases/?*form=geographic*")
    geographic = Case.objects.public().filter(form="geographic").count()
    assert page.locator("ol.cases > li").count() == geographic
    assert f"{geographic} case" in page.locator("#results-heading").inner_text()
    # The facet count said how many there would be.
    page.get_by_label("Search", exact=True).fill("Skipal")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**q=Skipal*")
    assert page.locator("ol.cases mark").first.inner_text() == "Skripal"
    page.locator("ol.cases a.who").first.click()
    page.wait_for_url("**/cases/*/")
    assert page.locator("h1").inner_text().startswith("Sergei Skripal")
    assert page.get_by_role("heading", name="Cite this record").is_visible()


def test_the_chart_renders_its_bars_and_links_each_year(page, seed):
    from defections import stats
    from defections.models import Case

    page.goto(page.base_url + "/")
    bars = page.locator("svg.chart a.bar")
    rows = stats.by_year_and_form(Case.objects.public())
    assert bars.count() == len(rows)
    segment = page.locator("svg.chart rect.seg").first
    box = segment.bounding_box()
    assert box["width"] > 1 and box["height"] > 1
    assert page.locator("svg.chart .period rect").count() >= 1  # the war since 2022, in range
    year = rows[-1]["year"]
    page.locator(f"svg.chart rect.seg[data-year='{year}']").first.click()
    page.wait_for_url(f"**/cases/?year_min={year}&year_max={year}")
    assert page.locator("ol.cases > li").count() == Case.objects.public().in_years(year, year).count()


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots(page, seed, width):
    from defections.models import Case

    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    case = Case.objects.get(person__name="Ilya Remeslo")
    for name, url in [("home", "/"), ("cases", "/cases/"), ("case", case.get_absolute_url()),
                      ("cases-search", "/cases/?q=Butsaev"), ("agencies", "/agencies/"),
                      ("person", case.person.get_absolute_url()), ("people", "/people/"),
                      ("sources", "/sources/"), ("about", "/about/"), ("analysis", "/analysis/")]:
        page.goto(page.base_url + url)
        # Nothing is wider than the screen, except the chart inside its own scroll box.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways at {width}"
        path = screenshot(page, f"web-{name}-{width}")
        assert path.stat().st_size > 5000
        if name == "cases" and width == "desktop":
            DOCS.mkdir(exist_ok=True)
            shutil.copy(path, DOCS / "screenshot-cases.png")


def test_keyboard_reaches_the_skip_link_and_the_chart(page, seed):
    page.goto(page.base_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    bar = page.locator("svg.chart a.bar").last
    bar.focus()
    assert page.evaluate("document.activeElement.getAttribute('class')") == "bar"
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/?year_min=*")
    assert page.locator("ol.cases > li").count() >= 1


def test_phone_reads_the_analysis_and_sees_that_its_chart_scrolls(page, seed):
    """At 375 px the answer is on screen, the chart opens at its first year with a visible
    hint that it scrolls, and scrolling reaches its last year; no JavaScript needed."""
    from defections import analysis
    from defections.models import Case

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(page.base_url + "/analysis/")
    assert page.locator("#answer").inner_text() == analysis.analyse(Case.objects.public()).sentence
    assert page.locator("#answer").is_visible()
    hint = page.locator("#chart-heading ~ figure .scroll-hint")
    assert hint.is_visible() and "scrolls sideways" in hint.inner_text()
    box = page.locator("#chart-heading ~ figure .chart-scroll")
    assert box.evaluate("el => el.scrollLeft") == 0
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    first_tick = page.locator("#chart-heading ~ figure svg text.axis", has_text="1920")
    assert first_tick.is_visible() and first_tick.bounding_box()["x"] < 375
    box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert page.locator("#chart-heading ~ figure svg text.axis", has_text="2020").bounding_box()["x"] < 375
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not hint.is_visible()  # on a wide screen the whole chart fits, and no hint


def test_phone_folds_the_filters_until_one_is_used(page, seed):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(page.base_url + "/cases/")
    assert page.locator("details.facets").get_attribute("open") is None
    page.goto(page.base_url + "/cases/?form=final")
    assert page.locator("details.facets").get_attribute("open") is not None
