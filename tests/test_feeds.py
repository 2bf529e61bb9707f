"""The Atom feed of cases (/cases/feed/): the query string of /cases/, newest change first,
through the one visibility door.

Every feed is read back by feedparser (a valid Atom 1.0 document), and compared with what
the list shows for the same query string.
"""

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from defections import publisher
from defections.models import Case, Citation, Withholding
from tests.canary import AT_RISK, AT_RISK_NAME, CHANGED, WITHHELD_NAME, leaks
from tests.factories import AgencyFactory, CaseFactory, PersonFactory, SourceFactory

pytest_plugins = ["tests.test_leak_canary"]  # its canary fixture

FEED = "/cases/feed/"
TITLE = "These cases, newest change first (Atom)"
START = datetime(2025, 1, 1, tzinfo=UTC)
QUERY_COUNT = 2


def read(client, query: str = ""):
    """The feed for query, parsed: it must be well-formed Atom 1.0."""
    response = client.get(f"{FEED}?{query}" if query else FEED)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def case_id(entry) -> int:
    match = re.fullmatch(r"http://testserver/cases/(\d+)/", entry.link)
    assert match, entry.link
    return int(match[1])


def listed(client, query: str) -> set[int]:
    """The ids of the cases /cases/ shows for query (every one of them on one page)."""
    response = client.get(f"/cases/?{query}&page_size=100")
    assert response.status_code == 200
    assert response.context["page"].paginator.count <= 100
    return {case.pk for case in response.context["page"].object_list}


@pytest.fixture
def cases(db):
    """Cases of every form, in two agencies (one inside the other) and several years, each
    changed at its own time."""
    ministry = AgencyFactory(slug="ministry", name="Ministry of Tests", acronym="MT")
    bureau = AgencyFactory(slug="bureau", name="Bureau of Tests", parent=ministry)
    other = AgencyFactory(slug="other", name="Other Office")
    made = []
    for i, (form, agency, when, name) in enumerate([
        ("geographic", bureau, "2022–2026", "Anton Vasilyev"),
        ("geographic", other, "March 2023", "Boris Petrov"),
        ("articulated", ministry, "2019", "Darya Sokolova"),
        ("final", other, "2024", "Yevgeny Orlov"),
        ("articulated", None, "1985", "Grigory Kuznetsov"),
        ("final", bureau, "", "Pavel Smirnov"),
    ]):
        case = CaseFactory(form=form, agency=agency, date=when, person=PersonFactory(name=name),
                           summary=f"{name} left; corruption inquiry {i}.")
        Case.objects.filter(pk=case.pk).update(updated_at=START + timedelta(days=(i * 5) % 6))
        made.append(case)
    return made


QUERIES = ["", "form=geographic", "form=final&form=articulated", "agency=ministry", "agency=other",
           "year_min=2022&year_max=2026", "year_min=2023", "year_max=2019", "q=Petrov", "q=Sokolva",
           "q=corruption&form=final", "agency=bureau&year_min=2020", "ordering=name&form=geographic",
           "unknown=1&form=final"]


@pytest.mark.parametrize("query", QUERIES)
def test_the_feed_lists_what_the_list_lists(client, cases, query):
    feed = read(client, query)
    assert {case_id(entry) for entry in feed.entries} == listed(client, query)


def test_entries_come_newest_change_first_with_the_case_as_the_list_shows_it(client, cases):
    feed = read(client)
    expected = sorted(cases, key=lambda c: Case.objects.get(pk=c.pk).updated_at, reverse=True)
    assert [case_id(e) for e in feed.entries] == [c.pk for c in expected]
    first = Case.objects.select_related("person", "agency").get(pk=expected[0].pk)
    entry = feed.entries[0]
    agency = first.agency.acronym or first.agency.name
    assert entry.title == f"{first.person.name}: {first.get_form_display()}, {first.date} · {agency}"
    assert entry.id == entry.link  # the permalink is the entry's id
    assert entry.summary == first.summary
    assert datetime(*entry.updated_parsed[:6], tzinfo=UTC) == first.updated_at.replace(microsecond=0)
    assert entry.author == publisher.publisher()["name"]
    undated = next(e for e in feed.entries if "Pavel Smirnov" in e.title)
    assert undated.title.endswith("date unknown · Bureau of Tests")


def test_the_feed_says_what_it_is_filtered_by_and_under_which_licence(client, cases):
    feed = read(client, "form=geographic&year_min=2022&year_max=2026&agency=ministry&page=2")
    assert feed.feed.title == "Geographic defections from MT in 2022–2026"  # as the page's <h1>
    assert feed.feed.rights == f"{publisher.DATA_LICENCE['name']} ({publisher.DATA_LICENCE['url']})"
    # Its page is the list with the same filters.
    assert feed.feed.link == "http://testserver/cases/?form=geographic&year_min=2022&year_max=2026&agency=ministry"
    assert read(client).feed.title == "Cases"
    assert read(client, "q=Petrov&year_min=2023").feed.title == "Cases matching “Petrov” since 2023"


def test_at_most_fifty_entries(client, cases):
    for _ in range(50):
        CaseFactory()
    feed = read(client)
    assert len(feed.entries) == 50
    assert Case.objects.count() == 56


def test_a_publish_puts_a_case_at_the_top(client, cases):
    draft = CaseFactory(status="draft", person=PersonFactory(name="Newly Published"))
    Citation.objects.create(case=draft, source=SourceFactory(), locator="p. 2")
    assert draft.pk not in {case_id(e) for e in read(client).entries}
    draft.status = "published"
    draft.save()
    assert case_id(read(client).entries[0]) == draft.pk


def test_a_bad_filter_is_a_400_naming_it(client, cases):
    for query, name in [("year_min=abc", "year_min"), ("form=nonsense", "form"),
                        ("agency=no-such-agency", "agency"), ("year_min=2025&year_max=2020", "year_max"),
                        ("ordering=secret", "ordering"), ("q=" + "x" * 201, "q")]:
        response = client.get(f"{FEED}?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"].startswith("text/plain")
        assert name in response.content.decode(), (query, response.content)


def test_control_characters_and_markup_in_the_query_are_text(client, cases):
    """XML 1.0 has no control characters: they are left out of the title, never a 500."""
    feed = read(client, "q=Pet%01rov%0B%1F<b>")
    assert feed.feed.title == "Cases matching “Petrov<b>”"
    response = client.get(f"{FEED}?form=<script>alert(1)</script>")
    assert response.status_code == 400 and b"<script>" not in response.content


def test_the_feed_answers_get_and_head_only(client, cases):
    assert client.head(FEED).status_code == 200
    assert client.post(FEED).status_code == 405


def test_the_query_count_does_not_grow_with_the_entries(client, cases, django_assert_max_num_queries):
    def count(query):
        with CaptureQueriesContext(connection) as queries:
            read(client, query)
        return len(queries)

    few = count("agency=ministry&q=corruption")
    for _ in range(30):
        CaseFactory(agency=cases[0].agency, summary="Another corruption inquiry.")
    assert count("agency=ministry&q=corruption") == few
    assert few == QUERY_COUNT  # the agencies named, then the cases
    with django_assert_max_num_queries(1):  # the cases
        read(client, "form=final")


def test_the_list_links_its_feed_with_its_filters(client, cases):
    query = "form=geographic&year_min=2022"
    html = client.get(f"/cases/?{query}&page=1&page_size=2&ordering=name").content.decode()
    feed = f"/cases/feed/?{query.replace('&', '&amp;')}"
    assert f'<link rel="alternate" type="application/atom+xml" title="{TITLE}" href="{feed}">' in html
    assert re.search(rf'<a href="{re.escape(feed)}"[^>]*>Feed</a>', html)
    plain = client.get("/cases/").content.decode()
    assert f'type="application/atom+xml" title="{TITLE}" href="/cases/feed/">' in plain


def test_no_hidden_detail_reaches_the_feed(client, canary):
    """Drafts, restricted notes, withheld fields and an at-risk person's case (whose change
    time is not public, so it is not listed at all) stay out, whatever the filter."""
    at_risk, withheld = canary["at_risk"], canary["withheld"]
    assert Withholding.objects.filter(case=withheld, field="date").exists()
    for query in ["", "q=CNRY", f"q={AT_RISK_NAME}", "form=geographic", "year_min=2023&year_max=2023",
                  "status=draft&status=review&status=retracted", "ordering=-updated",
                  "agency=canary-secret-agency", "destination_country=TV"]:
        response = client.get(f"{FEED}?{query}")
        text = response.content.decode()
        assert response.status_code in (200, 400), query
        assert not leaks(text), (query, leaks(text))
        assert AT_RISK["summary"] not in text and CHANGED.isoformat()[:10] not in text, query
        if response.status_code == 200:  # the title echoes the query: the entries must not name them
            entries = feedparser.parse(response.content).entries
            assert at_risk.pk not in {case_id(e) for e in entries}, query
            assert not any(AT_RISK_NAME in e.title for e in entries), query
    feed = read(client, "q=Withholding")
    (entry,) = feed.entries
    assert case_id(entry) == withheld.pk
    assert entry.title.startswith(f"{WITHHELD_NAME}: Geographic, date withheld")
    shown = {case_id(e) for e in read(client).entries}
    assert canary["control"].pk in shown and at_risk.pk not in shown


@pytest.mark.django_db(transaction=True)
def test_the_feed_is_kept_until_the_next_write_and_never_stale(client, version_row):
    """Like every public page (views.cached_page): a repeated read costs one query, and the
    commit of a publish is in the next read."""
    CaseFactory(person=PersonFactory(name="Already Published"))
    read(client)
    with CaptureQueriesContext(connection) as queries:
        again = read(client)
    assert len(queries) == 1
    assert [e.title.split(":")[0] for e in again.entries] == ["Already Published"]
    draft = CaseFactory(status="draft", person=PersonFactory(name="Published Later"))
    Citation.objects.create(case=draft, source=SourceFactory(), locator="p. 2")
    draft.status = "published"
    draft.save()
    assert read(client).entries[0].title.startswith("Published Later:")
