"""What every site owes readers, crawlers and link previews (issue 18, item 6): a description
and Open Graph tags of each page's own, a sitemap of the public records in both languages,
robots.txt pointing to it, and the site's own 404 page under DEBUG too."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from defections.models import Citation, Response
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db

MARKER = "SITEBASICS-hidden-x7q2"


def meta(html: str, key: str) -> list[str]:
    """The content of each <meta name|property="key">."""
    return re.findall(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)"', html)


@pytest.fixture
def records():
    """A published case; a draft and an at-risk person's case whose words are the marker; an
    agency and a source only the draft names."""
    shown = CaseFactory(person=PersonFactory(name="Shown Person"), summary="Fled to Vienna in 1979.",
                        agency=AgencyFactory(name="Open Agency"))
    draft = CaseFactory(person=PersonFactory(name=f"{MARKER} Draft"), status="draft",
                        summary=f"{MARKER} draft summary", agency=AgencyFactory(name=f"{MARKER} Agency"))
    Citation.objects.create(case=draft, source=SourceFactory(title=f"{MARKER} Source"), locator="p. 2")
    at_risk = CaseFactory(person=PersonFactory(name="Guarded Person", at_risk=True),
                          summary=f"{MARKER} at-risk summary")
    Response.objects.create(case=at_risk, kind="arrest", description=f"{MARKER} response")
    return shown, draft, at_risk


# --- descriptions and Open Graph --------------------------------------------------------------


def test_each_kind_of_page_describes_itself_and_a_case_through_the_redaction(client, records):
    shown, draft, at_risk = records
    pages = ["/", "/cases/", "/cases/?form=final", f"/cases/{shown.pk}/", f"/cases/{at_risk.pk}/",
             f"/people/{shown.person_id}/", "/people/", "/agencies/", f"/agencies/{shown.agency_id}/",
             "/sources/", "/about/", "/analysis/"]
    descriptions = {}
    for url in pages:
        html = client.get(url).content.decode()
        assert MARKER not in html, url
        [description] = meta(html, "description")
        assert meta(html, "og:description") == [description], url
        descriptions[url] = description
    assert len(set(descriptions.values())) == len(pages)  # each its own
    assert descriptions[f"/cases/{shown.pk}/"] == "Fled to Vienna in 1979."
    assert descriptions[f"/cases/{at_risk.pk}/"] == "Guarded Person: geographic defection"
    assert "Final defections" in descriptions["/cases/?form=final"]


def test_open_graph_tags_in_each_language(client, records):
    shown = records[0]
    html = client.get(f"/cases/{shown.pk}/").content.decode()
    assert meta(html, "og:title") == ["Shown Person: geographic defection — Defection case database"]
    assert meta(html, "og:url") == [f"http://testserver/cases/{shown.pk}/"]
    assert meta(html, "og:type") == ["article"]
    assert meta(html, "og:locale") == ["en_GB"] and meta(html, "og:locale:alternate") == ["ru_RU"]
    assert meta(html, "og:site_name") == ["Defection case database"]
    ru = client.get(f"/ru/cases/{shown.pk}/").content.decode()
    assert meta(ru, "og:url") == [f"http://testserver/ru/cases/{shown.pk}/"]
    assert meta(ru, "og:locale") == ["ru_RU"] and meta(ru, "og:locale:alternate") == ["en_GB"]
    assert meta(client.get("/people/").content.decode(), "og:type") == ["website"]


# --- sitemap and robots.txt ------------------------------------------------------------------


def sitemap_urls(client) -> tuple[set[str], str]:
    """Every <loc> of every section of the sitemap index, and all the sections' XML."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and index["Content-Type"].startswith("application/xml")
    xml = ""
    for section in re.findall(r"<loc>([^<]+)</loc>", index.content.decode()):
        answer = client.get(urlsplit(section).path)
        assert answer.status_code == 200, section
        xml += answer.content.decode()
    return set(re.findall(r"<loc>([^<]+)</loc>", xml)), xml


def test_the_sitemap_lists_public_records_in_both_languages_and_nothing_hidden(client, records):
    shown, draft, at_risk = records
    urls, xml = sitemap_urls(client)
    assert MARKER not in xml
    for path in (f"/cases/{shown.pk}/", f"/people/{shown.person_id}/", f"/agencies/{shown.agency_id}/",
                 "/cases/", "/about/"):
        assert f"http://testserver{path}" in urls and f"http://testserver/ru{path}" in urls, path
    assert (f'<xhtml:link rel="alternate" hreflang="ru" href="http://testserver/ru/cases/{shown.pk}/"/>'
            in xml)
    assert f'hreflang="x-default" href="http://testserver/cases/{shown.pk}/"' in xml
    hidden = [f"/cases/{draft.pk}/", f"/cases/{at_risk.pk}/", f"/people/{draft.person_id}/",
              f"/people/{at_risk.person_id}/", f"/agencies/{draft.agency_id}/",
              f"/sources/{draft.citations.get().source_id}/"]
    assert not [url for url in urls for path in hidden if url.endswith(path)]


def test_robots_txt_allows_the_site_keeps_out_admin_and_api_writes_and_names_the_sitemap(client):
    answer = client.get("/robots.txt")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    lines = answer.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    assert {"Disallow: /admin/", "Disallow: /ru/admin/", "Disallow: /api/v1/auth/"} <= set(lines)
    assert "Sitemap: http://testserver/sitemap.xml" in lines


# --- the site's own 404 under DEBUG ----------------------------------------------------------


@override_settings(DEBUG=True)
@pytest.mark.parametrize("url", ["/cases/999999/", "/no-such-page/", "/ru/cases/999999/"])
def test_a_missing_page_under_debug_is_the_sites_own_404(client, url):
    answer = client.get(url)
    html = answer.content.decode()
    assert answer.status_code == 404
    assert 'class="site"' in html and "Using the URLconf" not in html and "technical" not in html
    assert ('lang="ru"' if url.startswith("/ru/") else 'lang="en"') in html


@override_settings(DEBUG=True)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/cases/999999/", "/ru/cases/999999/"])
def test_under_debug_a_missing_case_fits_a_phone_in_a_browser(page, url):
    """Under `make run` (DEBUG=1) a mistyped case address is the site's own 404, which fits a
    375 px screen (Django's technical page overflowed it)."""
    page.set_viewport_size({"width": 375, "height": 800})
    answer = page.goto(page.base_url + url)
    assert answer.status == 404
    assert page.locator("header, .site").first.is_visible()
    assert page.locator("text=Using the URLconf").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@override_settings(DEBUG=True, DEBUG_ERROR_PAGES=False)
def test_debug_error_pages_off_brings_back_djangos(client):
    html = client.get("/cases/999999/").content.decode()
    assert 'class="site"' not in html


@override_settings(DEBUG=True)
def test_the_api_keeps_its_own_404_under_debug(client):
    answer = client.get("/api/v1/cases/999999/")
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")


def test_a_russian_page_describes_itself_in_russian_when_the_text_is_english_only(client, records):
    shown = records[0]  # its summary is in English only
    html = client.get(f"/ru/cases/{shown.pk}/").content.decode()
    [description] = meta(html, "description")
    assert "Vienna" not in description and "Shown Person" in description
    source = SourceFactory(title="An English Title", language="en")
    Citation.objects.create(case=shown, source=source, locator="p. 3")
    [description] = meta(client.get(f"/ru/sources/{source.pk}/").content.decode(), "description")
    assert "English Title" not in description and description
