"""The case page (issue 18, item 1): coded values link to their definitions on /about/, each
source is listed once with its citations' locators under it, a case is listed in one column of
related cases, and the record's JSON is linked. In English and in Russian."""

import re
from datetime import date

import pytest

from defections.models import Case, Citation, Period
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory


def section(html: str, heading: str, end: str) -> str:
    """The part of html from the heading to the next end marker."""
    start = html.index(heading)
    return html[start:html.index(end, start + len(heading))]


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_coded_values_link_to_their_definitions_on_about(client, db, prefix):
    case = CaseFactory(classification="possible", visibility="discreet", verification="reported")
    html = client.get(prefix + case.get_absolute_url()).content.decode()
    about = client.get(f"{prefix}/about/").content.decode()
    for anchor in ["classification-possible", "visibility-discreet", "verification-reported",
                   "form-geographic"]:
        assert f'href="{prefix}/about/#{anchor}"' in html, anchor
        assert about.count(f'id="{anchor}"') == 1, anchor  # the same ids in both languages


def test_each_source_is_listed_once_with_its_locators_under_it(client, db):
    case = CaseFactory(sourced=False)
    article, other = SourceFactory(title="The One Article"), SourceFactory(title="Another Report")
    for locator in ["para. 3", "para. 9", "para. 14"]:
        Citation.objects.create(case=case, source=article, locator=locator, quote=f"quote at {locator}")
    Citation.objects.create(case=case, source=other, locator="p. 2")
    html = client.get(case.get_absolute_url()).content.decode()
    sources = section(html, "<h2>Sources</h2>", "</ol>")
    assert sources.count(f'href="{article.get_absolute_url()}"') == 1
    assert sources.count(f'href="{other.get_absolute_url()}"') == 1
    item = sources[sources.index("The One Article"):sources.index("Another Report")]
    for locator in ["para. 3", "para. 9", "para. 14"]:
        assert locator in item and f"quote at {locator}" in item


def test_a_related_case_is_listed_in_one_column_only(client, db):
    Period.objects.create(slug="thaw", name="The thaw", start=date(1953, 3, 5), end=date(1956, 12, 31))
    agency = AgencyFactory(acronym="KGB")
    person = PersonFactory(name="Anna Example")
    case = CaseFactory(person=person, agency=agency, date="1954")
    twin = CaseFactory(person=person, agency=agency, date="1954", form="articulated")
    colleague = CaseFactory(agency=agency, date="1954", person=PersonFactory(name="Colleague Example"))
    contemporary = CaseFactory(date="1954", person=PersonFactory(name="Other Example"))
    html = client.get(case.get_absolute_url()).content.decode()
    related = section(html, "<h2>Related cases</h2>", '<section class="cite"')
    for other in [twin, colleague, contemporary]:
        assert related.count(f'href="{other.get_absolute_url()}"') == 1, other.person.name
    # Each in the first column that has it.
    assert related.index(twin.get_absolute_url()) < related.index("Same agency")
    assert related.index("Same agency") < related.index(colleague.get_absolute_url()) \
        < related.index("Same period") < related.index(contemporary.get_absolute_url())
    # Named for what they are, not "Case 7".
    assert "Articulated defection, 1954, KGB</a>" in related
    assert "Colleague Example</a>" in related and "Geographic defection, 1954, KGB" in related


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_the_case_page_links_its_json_record(client, db, prefix):
    case = CaseFactory()
    html = client.get(prefix + case.get_absolute_url()).content.decode()
    api = f"/api/v1/cases/{case.pk}/"
    assert f'<link rel="alternate" type="application/json" href="{api}"' in html
    formats = section(html, 'class="cite-formats"', "</p>")
    assert re.search(rf'<a href="{re.escape(api)}"[^>]*>JSON</a>', formats)
    record = client.get(api)
    assert record.status_code == 200 and record.json()["id"] == case.pk


def test_a_redacted_related_case_is_named_by_form_and_year_only(client, db):
    agency = AgencyFactory(acronym="SECRETAGENCY")
    at_risk = PersonFactory(name="Hidden Example", at_risk=True)
    case = CaseFactory(person=at_risk, agency=agency, date="12 March 1954")
    CaseFactory(person=at_risk, agency=agency, date="1955", form="final")
    html = client.get(case.get_absolute_url()).content.decode()
    assert "Final defection, 1955</a>" in html
    assert "SECRETAGENCY" not in html and "March" not in html
    assert Case.objects.filter(person=at_risk).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_in_a_browser_the_coded_value_opens_its_definition(page, width):
    """At phone and desktop widths: the case page and its sources fit the screen, and the
    classification's link opens /about/ at that value's definition."""
    from django.core.management import call_command

    call_command("load_seed", verbosity=0)
    case = Case.objects.public().filter(classification="possible", person__at_risk=False).first()
    page.set_viewport_size({"width": width, "height": 800})
    for url in [case.get_absolute_url(), case.person.get_absolute_url()]:
        page.goto(page.base_url + url)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, url
    page.goto(page.base_url + case.get_absolute_url())
    assert page.locator("ol.cites.sources > li").count() == len(
        {c.source_id for c in case.citations.all()})
    page.locator('a[href="/about/#classification-possible"]').click()
    page.wait_for_url("**/about/#classification-possible")
    target = page.locator("#classification-possible")
    assert target.is_visible()
    box = target.bounding_box()
    assert 0 <= box["y"] < 800  # scrolled to it
