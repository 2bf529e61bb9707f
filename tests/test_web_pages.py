"""What each public page shows: the timeline, the agency tree, sources, people, the codebook."""

import re

import pytest

from defections import choices
from defections.dates import Precision
from defections.models import Agency, Case, Period, Source
from tests.factories import AgencyFactory, CaseFactory, PersonFactory


def test_home_has_figures_and_an_accessible_timeline(client, seeded):
    response = client.get("/")
    html = response.content.decode()
    assert f"<strong>{Case.objects.public().count()}</strong> published cases" in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "<title" in svg and "<desc" in svg and "aria-labelledby" in svg
    chart = response.context["chart"]
    # The axis fits the years with cases (2022–2026 in the seed, widened to eight years): the
    # periods in them are drawn.
    assert (chart["first"], chart["last"]) == (2019, 2026)
    for period in Period.objects.all():
        drawn = period.name.replace("'", "&#x27;") in svg
        assert drawn == (period.start.year <= chart["last"]
                         and (period.end is None or period.end.year >= chart["first"]))
    assert 'href="/cases/?year_min=2022&amp;year_max=2022"' in svg
    assert "<table" in html and "<caption>" in html  # the data-table alternative


def test_timeline_bars_stack_by_form(client, db):
    CaseFactory(form="final", date="1937")
    CaseFactory(form="final", date="1937")
    CaseFactory(form="geographic", date="1937")
    CaseFactory(form="articulated", date="2024")
    chart = client.get("/").context["chart"]
    bar = next(b for b in chart["bars"] if b["year"] == 1937)
    assert [(s["form"], s["n"]) for s in bar["segments"]] == [("final", 2), ("geographic", 1)]
    low, high = bar["segments"]
    assert abs(low["h"] - 2 * high["h"]) < 0.01 and abs(high["y"] + high["h"] - low["y"]) < 0.01
    assert bar["label"] == "1937: 3 cases (2 final, 1 geographic)"


def test_agency_tree_counts_sub_agencies_and_shows_predecessors(client, seeded):
    CaseFactory(agency=Agency.objects.get(slug="fsb"))  # listed with its line (NKVD → … → FSB)
    html = client.get("/agencies/").content.decode()
    mid = Agency.objects.get(slug="mid")
    assert 'href="/cases/?agency=mid">2 cases</a>' in html
    mission = Agency.objects.get(slug="un-geneva-mission")
    assert f'class="depth-1"><a href="{mission.get_absolute_url()}"' in html
    chain = re.search(r"NKVD</a>.*?→.*?MGB</a>.*?→.*?KGB</a>.*?→.*?FSB</a>", html, re.S)
    assert chain
    page = client.get(mid.get_absolute_url()).content.decode()
    assert "2 (0 directly, the rest in sub-agencies)" in page
    assert "Boris Bondarev" in page
    fsb = client.get(Agency.objects.get(slug="fsb").get_absolute_url()).content.decode()
    assert "<strong>FSB</strong>" in fsb and "KGB</a>" in fsb


def test_agency_counts_only_published_cases(client, db):
    agency = AgencyFactory()
    CaseFactory(agency=agency)
    CaseFactory(agency=agency, status="draft")
    html = client.get("/agencies/").content.decode()
    assert f'href="/cases/?agency={agency.slug}">1 case</a>' in html


def test_sources_list_the_cases_they_support(client, seeded):
    html = client.get("/sources/").content.decode()
    source = Source.objects.get()
    assert source.title.replace("'", "&#x27;") in html
    for case in Case.objects.public():
        assert html.count(f'href="{case.get_absolute_url()}"') == 1  # once, however often cited
    detail = client.get(source.get_absolute_url()).content.decode()
    assert "para. 12" in detail and "the response: psychiatric confinement" in detail


def test_person_page_shows_the_cases_as_one_trajectory(client, seeded):
    person = Case.objects.filter(person__name="Boris Bondarev").first().person
    html = client.get(person.get_absolute_url()).content.decode()
    assert html.count('<p class="step">') == 2
    assert "Борис Бондарев" in html
    people = client.get("/people/").content.decode()
    assert "Boris Bondarev" in people and "→" in people
    found = client.get("/people/", {"q": "Skipal"}).content.decode()
    assert "Sergei Skripal" in found and "Boris Bondarev" not in found


def test_case_page_lists_responses_in_date_order_and_related_cases(client, db):
    from defections.models import Response

    agency = AgencyFactory()
    person = PersonFactory(name="Anna Example")
    case = CaseFactory(person=person, agency=agency, date="2022")
    Response.objects.create(case=case, kind="wanted-list", date="May 2023")
    Response.objects.create(case=case, kind="criminal-case", date="January 2023")
    CaseFactory(person=person, form="articulated", date="2023")
    CaseFactory(agency=agency, person=PersonFactory(name="Colleague Example"))
    html = client.get(case.get_absolute_url()).content.decode()
    assert html.index("Criminal case") < html.index("Wanted list")
    assert "Same person" in html and "Same agency" in html and "Colleague Example" in html


def test_about_is_generated_from_the_codebook(client, seeded):
    html = client.get("/about/").content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    for enum in [choices.Form, choices.Verification, choices.Classification, choices.Visibility,
                 choices.ResponseKind, choices.AgencyKind, choices.SourceKind, choices.Reliability,
                 choices.Claim, Precision]:
        for value, definition in enum.definitions.items():
            assert str(definition) in html, (enum, value)
    assert '<code lang="en">form=geographic</code>' in html  # the same on the Russian page
    assert '<code lang="en">motive=corruption-probe</code>' in html


def test_pages_have_landmarks_and_labels(client, seeded):
    for url in ["/", "/cases/", "/people/", "/agencies/", "/sources/", "/about/"]:
        html = client.get(url).content.decode()
        assert '<main id="main"' in html and '<nav aria-label="Main">' in html, url
        assert html.count("<h1") == 1, url
        for input_id in re.findall(r'<input[^>]*type="(?:search|number)"[^>]*id="([^"]+)"', html):
            assert f'for="{input_id}"' in html, (url, input_id)


def test_publisher_licence_and_corrections_come_from_settings(client, seeded, settings):
    settings.PUBLISHER_NAME = "Invented Research Group"
    settings.PUBLISHER_URL = "https://publisher.example.org/"
    settings.CONTACT_EMAIL = "hello@publisher.example.org"
    settings.CORRECTIONS_EMAIL = "fix@publisher.example.org"
    about = client.get("/about/").content.decode()
    assert "Invented Research Group" in about
    assert "mailto:hello@publisher.example.org" in about
    assert "mailto:fix@publisher.example.org" in about
    assert "https://creativecommons.org/licenses/by/4.0/" in about
    for url in ["/", "/cases/", "/people/", "/about/"]:
        footer = client.get(url).content.decode().split('<footer class="site">')[1]
        assert 'rel="license" href="https://creativecommons.org/licenses/by/4.0/"' in footer
        assert "Invented Research Group" in footer and "fix@publisher.example.org" in footer


def test_corrections_fall_back_to_the_contact_address(monkeypatch):
    import importlib

    from defections import settings as project_settings

    monkeypatch.setenv("CONTACT_EMAIL", "hello@publisher.example.org")
    monkeypatch.delenv("CORRECTIONS_EMAIL", raising=False)
    try:
        assert importlib.reload(project_settings).CORRECTIONS_EMAIL == "hello@publisher.example.org"
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


# --- sources (issue 18, item 4) ----------------------------------------------------------------


@pytest.mark.parametrize("prefix,name", [("", "English"), ("/ru", "английский")])
def test_a_source_names_its_language_in_the_readers_language(client, db, prefix, name):
    case = CaseFactory()
    source = case.citations.get().source
    source.language = "en"
    source.save()
    html = client.get(prefix + source.get_absolute_url()).content.decode()
    assert re.search(rf"<dd>{name}</dd>", html)
    assert "<dd>en</dd>" not in html


@pytest.mark.parametrize("prefix,title", [("", "“Defector says ‘I quit’ in Geneva”"),
                                          ("/ru", "«Defector says „I quit“ in Geneva»")])
def test_quotes_inside_a_quoted_title_become_inner_quotes(client, db, prefix, title):
    case = CaseFactory()
    source = case.citations.get().source
    source.title = 'Defector says "I quit" in Geneva'
    source.save()
    for url in [case.get_absolute_url(), "/sources/"]:
        html = client.get(prefix + url).content.decode()
        assert title in html, url
        assert "&quot;I quit&quot;" not in html and '"I quit"' not in html, url


def test_the_archived_copy_is_linked(client, db):
    case = CaseFactory()
    source = case.citations.get().source
    source.archived_url = "https://web.archive.org/web/2024/https://example.org/gone"
    source.save()
    for url in [case.get_absolute_url(), "/sources/", source.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert re.search(r'<a href="https://web\.archive\.org/web/2024/https://example\.org/gone"[^>]*>'
                         r'[^<]*(archived|web\.archive)', html, re.I), url
    ru = client.get("/ru" + case.get_absolute_url()).content.decode()
    assert ">архивная копия</a>" in ru


def test_the_chart_writes_its_numbers_as_floatformat_would():
    """timeline.svg_number stands for `|floatformat:"Nu"` (the filter was half the chart's
    drawing): the same text for halves, thousandths, integers and the chart's own values."""
    import random

    from django.template.defaultfilters import floatformat

    from defections.web.timeline import svg_number

    rng = random.Random(17)
    values = [0, 1, 34, 2.675, 1.005, 12.125, 0.005, 0.015, 899.995, 59.99999, 1 / 3, 252.5, 7.45,
              *(rng.uniform(0, 960) for _ in range(2000)), *(rng.randint(0, 96000) / 100 for _ in range(500))]
    for value in values:
        for places in (1, 2):
            assert svg_number(value, places) == floatformat(value, f"{places}u"), (value, places)


def test_facet_counts_are_read_aloud_in_the_language(client, db):
    CaseFactory(form="final", date="1990")
    CaseFactory(form="final", date="1991")
    CaseFactory(form="geographic", date="1992")
    english = client.get("/cases/").content.decode()
    assert 'aria-label="2 cases">2</span>' in english and 'aria-label="1 case">1</span>' in english
    russian = client.get("/ru/cases/").content.decode()
    assert 'aria-label="2 случая">2</span>' in russian and 'aria-label="1 случай">1</span>' in russian
