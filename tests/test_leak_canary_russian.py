"""The leak canary in Russian: the same hidden records (tests/test_leak_canary.py), whose
Russian columns carry markers of their own, read through the /ru/ pages and the API in
Russian (`?lang=ru`) and in both languages (`?lang=all`, which returns every _ru column).

Every marker, English or Russian, is looked for everywhere: a Russian page falling back to
an English text (or the reverse) must not bring a hidden one with it.
"""

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from defections.models import Case
from tests.canary import (
    AT_RISK,
    AT_RISK_NAME,
    AT_RISK_RU,
    CONTROL_RU,
    DRAFT,
    HIDDEN_RU,
    RESTRICTED,
    SECRET_AGENCY_RU,
    WITHHELD,
    WITHHELD_RU,
    WITHHELD_UNTIL,
    api_lists,
    body_of,
    check,
    crawl_pages,
    dimensions,
    leaks,
    make_canary,
)
from tests.test_api_fixtures import ENDPOINTS

pytest_plugins = ["tests.test_api_fixtures"]  # generous_throttle: the crawl is not rate-limited


@pytest.fixture
def canary(seeded):
    return make_canary()

RU_MARKERS = [*HIDDEN_RU.values(), *AT_RISK_RU.values(), *WITHHELD_RU.values()]


def ru(record) -> str:
    """record's address on the Russian site (a request under /ru/ leaves Russian active, so
    the address is always reversed in Russian, never prefixed by hand)."""
    with translation.override("ru"):
        return record.get_absolute_url()


def test_no_public_russian_page_shows_a_marker(client, canary):
    pages, _left = crawl_pages(client, "/ru/")
    html = {url: text for url, text in pages.items() if url.startswith("/ru/")}
    assert len(html) > 200, len(html)
    assert not [url for url in pages if not url.startswith(("/ru/", "/api/"))]  # Russian only
    # It saw the Russian content: the control marker, the at-risk person's public name, every case.
    assert any(CONTROL_RU in text for text in html.values())
    assert any(AT_RISK_NAME in text for text in html.values())
    for case in Case.objects.public():
        assert ru(case) in pages, case
        assert ru(case.person) in pages, case.person
    for prefix in ["/ru/cases/?page=2", "/ru/people/?page=2", "/ru/sources/?page=2", "/ru/agencies/",
                   "/ru/about/", "/ru/analysis/?form=", "/ru/cases/feed/?form="]:
        assert any(url.startswith(prefix) for url in html), prefix
    facets = [url for url in html if url.startswith("/ru/cases/?") and dimensions(url) == 1]
    assert len(facets) > 30, facets
    at_risk = canary["at_risk"]
    for url in [ru(at_risk), ru(at_risk.person)]:
        assert SECRET_AGENCY_RU not in pages[url], url
        assert "март 2023" not in pages[url].lower() and "Франци" not in pages[url], url


# (one test each, not one per address or marker: the canary takes seconds to build)
AIMED = [
    "/ru/cases/?q=CNRY", "/ru/cases/?q=сводка", "/ru/cases/?q=рассказ", "/ru/people/?q=CNRY",
    "/ru/people/?q=Hidden", "/ru/cases/?status=draft&status=review&status=retracted",
    "/ru/cases/?destination_country=FR", "/ru/cases/?response=wanted-list",
    "/ru/cases/?agency=canary-secret-agency", "/ru/agencies/", "/ru/people/?ordering=-updated",
    "/api/v1/agencies/?q=Канареечное", "/api/v1/agencies/?lang=all",
    "/api/v1/cases/?lang=all&q=сводка", "/api/v1/cases/?lang=ru&ordering=-updated",
]


def test_russian_searches_and_filters_aimed_at_hidden_data_show_no_marker(client, canary):
    for url in AIMED:
        text = body_of(client.get(url))
        assert not leaks(text), (url, leaks(text))


def test_a_search_for_a_russian_marker_finds_nothing(client, canary):
    """As in English: a hidden Russian word finds no case, alone or beside the at-risk
    person's name (then at most their case, by the name)."""
    allowed = {canary["at_risk"].pk}
    for marker in RU_MARKERS:
        for q, may_find in [(marker, set()), (f"{AT_RISK_NAME} or {marker}", allowed)]:
            url = f"/api/v1/cases/?{urlencode({'q': q, 'lang': 'ru'})}"
            found = {row["id"] for row in client.get(url).json()["results"]}
            assert found <= may_find, q
            text = body_of(client.get(f"/ru/cases/?{urlencode({'q': q})}")).replace(marker, "")
            assert not leaks(text), (q, leaks(text))
            assert set(re.findall(r"/cases/(\d+)/", text)) == {str(pk) for pk in found}, q


def test_no_anonymous_api_answer_in_russian_or_both_languages_shows_a_marker(api, canary):
    seen: dict[str, str] = {}
    for endpoint in ENDPOINTS:
        for lang in ["ru", "all"]:
            records = api_lists(api, f"/api/v1/{endpoint}/?lang={lang}", seen)
            for record in records:
                url = f"{record['api_url']}?lang={lang}"
                check(url, api.get(url), seen)
            check(f"/api/v1/{endpoint}/?format=csv", api.get(f"/api/v1/{endpoint}/?format=csv"), seen)
    for url in ["/api/v1/stats/?lang=ru", "/api/v1/analysis/?lang=ru", "/api/v1/schema/?lang=ru"]:
        check(url, api.get(url), seen)
    texts = "\n".join(seen.values())
    assert CONTROL_RU in texts and AT_RISK_NAME in texts  # the Russian columns were read
    guarded = api.get(f"/api/v1/cases/{canary['at_risk'].pk}/?lang=all").json()
    assert set(guarded) <= {"id", "api_url", "person", "form", "date"}, guarded


@pytest.mark.django_db(transaction=True)
def test_russian_pages_cached_after_a_staff_visit_show_no_marker(client, canary, version_row):
    """Staff read the drafts and the at-risk details on the /ru/ pages too: what they get is
    never kept for the public, in either language."""
    from django.contrib.auth.models import User

    hidden = [ru(case) for case in Case.objects.exclude(status="published")]
    urls = ["/ru/", "/ru/cases/", "/ru/people/", "/ru/agencies/", "/ru/cases/?q=CNRY",
            "/ru/cases/?q=сводка", "/ru/analysis/", ru(canary["at_risk"]),
            ru(canary["at_risk"].person), *hidden]
    staff = User.objects.create_superuser("canary-staff", password="x" * 16)
    client.force_login(staff)
    assert HIDDEN_RU["draft"] in body_of(client.get(hidden[0]))  # staff see the Russian draft…
    for url in urls:
        client.get(url)
    client.logout()
    for visit in range(2):  # …the public neither after them nor from its own cached pages
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                text = body_of(client.get(url))
            assert not leaks(text), (url, leaks(text))
            if visit and url not in hidden:
                assert len(queries.captured_queries) == 1, url  # answered from the cache
    client.force_login(staff)
    assert DRAFT in body_of(client.get("/ru/cases/?q=Hidden"))


def test_a_withheld_russian_narrative_is_public_from_its_expiry_day(client, api, canary):
    withheld = canary["withheld"]
    page = ru(withheld)
    person = ru(withheld.person)
    q = urlencode({"q": WITHHELD_RU["narrative"]})
    with time_machine.travel(datetime(2089, 12, 31, 23, 59, tzinfo=UTC), tick=False):
        assert WITHHELD_RU["narrative"] not in body_of(client.get(page))
        assert WITHHELD_RU["bio"] not in body_of(client.get(person))
        assert api.get(f"/api/v1/cases/?{q}&lang=ru").json()["results"] == []
    with time_machine.travel(datetime.combine(WITHHELD_UNTIL, datetime.min.time(), UTC), tick=False):
        text = body_of(client.get(page))
        assert WITHHELD_RU["narrative"] in text and WITHHELD["narrative"] not in text
        assert WITHHELD_RU["bio"] in body_of(client.get(person))
        assert withheld.pk in {row["id"] for row in api.get(f"/api/v1/cases/?{q}&lang=ru").json()["results"]}
        for marker in [RESTRICTED, *AT_RISK.values(), *AT_RISK_RU.values()]:
            assert marker not in text, marker
