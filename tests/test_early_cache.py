"""Cached public pages answered early (defections/middleware.py, EarlyPageCacheMiddleware).

Over real HTTP (live_server): an anonymous repeat is answered before the session, auth and
CSRF middleware, with exactly the headers of a normal answer; a staff session never gets
nor fills it; a write makes the next request miss; language, HEAD and the query string
each key their own answer. The tests commit (transaction=True): nothing is cached inside
a transaction.
"""

import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from defections.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

EARLY = "X-Early-Cache"
PER_ANSWER = {"Date", "Server", EARLY}  # written by the HTTP server, or the tests' mark


@pytest.fixture(autouse=True)
def _mark_early_answers(version_row, settings):
    settings.EARLY_CACHE_MARK = True


def fetch(url, method="GET", headers=None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


def staff_cookie() -> str:
    editor = User.objects.create_user("editor-early", password="x" * 16, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(editor)
    return f"sessionid={client.cookies['sessionid'].value}"


def kept_headers(headers: dict) -> dict:
    return {name: value for name, value in headers.items() if name not in PER_ANSWER}


def test_an_anonymous_repeat_is_answered_early_with_the_headers_of_a_normal_answer(live_server):
    case = CaseFactory(summary="Answered early.")
    url = live_server.url + case.get_absolute_url()
    status, first, body = fetch(url)
    assert status == 200 and "Answered early." in body and EARLY not in first
    status, early, again = fetch(url)
    assert status == 200 and early[EARLY] == "hit"
    assert again == body
    # A request carrying any cookie goes the normal way (the page cache behind the session
    # middleware): the same headers, names and values, as the early answer.
    status, normal, third = fetch(url, headers={"Cookie": "unrelated=1"})
    assert status == 200 and EARLY not in normal and third == body
    assert kept_headers(early) == kept_headers(first) == kept_headers(normal)
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                 "Referrer-Policy", "Cross-Origin-Opener-Policy", "Content-Language", "Vary"):
        assert name in early, name
    assert early["X-Frame-Options"] == "DENY"


def test_head_is_answered_early_with_the_same_headers_and_no_body(live_server):
    case = CaseFactory()
    url = live_server.url + case.get_absolute_url()
    _, first, _ = fetch(url)
    status, head, body = fetch(url, method="HEAD")
    assert status == 200 and head[EARLY] == "hit" and body == ""
    assert kept_headers(head) == kept_headers(first)


def test_a_write_makes_the_next_request_miss(live_server):
    case = CaseFactory(summary="Before the write.")
    url = live_server.url + case.get_absolute_url()
    fetch(url)
    assert fetch(url)[1][EARLY] == "hit"
    Case.objects.filter(pk=case.pk).update(summary="After the write.")
    _, headers, body = fetch(url)
    assert EARLY not in headers
    assert "After the write." in body and "Before the write." not in body
    _, headers, body = fetch(url)
    assert headers[EARLY] == "hit" and "After the write." in body


def test_a_staff_session_never_gets_nor_fills_the_early_cache(live_server):
    CaseFactory(summary="Published.")
    draft = CaseFactory(summary="Draft only.", status="draft")
    url = live_server.url + "/cases/"
    cookie = staff_cookie()
    for _ in range(2):  # staff first: what staff see is never kept for the public
        status, headers, body = fetch(url, headers={"Cookie": cookie})
        assert status == 200 and EARLY not in headers
        assert draft.person.name in body
    _, headers, body = fetch(url)
    assert EARLY not in headers and draft.person.name not in body
    _, headers, body = fetch(url)
    assert headers[EARLY] == "hit" and draft.person.name not in body
    _, headers, body = fetch(url, headers={"Cookie": cookie})  # and never given to staff
    assert EARLY not in headers and draft.person.name in body


def test_a_token_or_a_post_goes_the_normal_way(live_server):
    case = CaseFactory()
    url = live_server.url + case.get_absolute_url()
    fetch(url)
    assert EARLY not in fetch(url, headers={"Authorization": "Token nonsense"})[1]
    status, headers, _ = fetch(url, method="POST")
    assert status == 403 and EARLY not in headers  # refused by CSRF, the normal way


def test_each_language_and_query_string_has_its_own_answer(live_server):
    case = CaseFactory(summary="In English.", summary_ru="По-русски.")
    path = case.get_absolute_url()
    english, russian = live_server.url + path, live_server.url + "/ru" + path
    for url in (english, russian, english + "?x=1"):
        fetch(url)
    status, headers, body = fetch(russian)
    assert status == 200 and headers[EARLY] == "hit" and headers["Content-Language"] == "ru"
    assert "По-русски." in body
    # The English address is English whatever the browser prefers: the URL decides.
    status, headers, body = fetch(english, headers={"Accept-Language": "ru"})
    assert headers[EARLY] == "hit" and headers["Content-Language"] == "en" and "In English." in body
    status, headers, _ = fetch(english + "?x=2")
    assert EARLY not in headers  # another query string: not the page kept for ?x=1


def test_an_early_hit_runs_no_session_or_auth_middleware_and_one_query():
    """In-process, to look at the request: an early hit never reached the session middleware."""
    case = CaseFactory()
    client = Client()
    client.get(case.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(case.get_absolute_url())
    assert response[EARLY] == "hit"
    assert len(queries) == 1  # the data version
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")


def test_a_kept_connection_the_database_dropped_is_opened_anew_by_the_version_query():
    """The version query is the kept connection's health check too (defections/cache.py): a
    connection the server ended is replaced, and the page still answers."""
    case = CaseFactory()
    client = Client()
    client.get(case.get_absolute_url())
    assert connection.connection is not None  # kept between requests (CONN_MAX_AGE)
    dropped = connection.connection.get_backend_pid()
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
    finally:
        other.close()
    close_old_connections()  # what a server does as each request starts; the test client leaves it out
    with CaptureQueriesContext(connection) as queries:
        response = client.get(case.get_absolute_url())
    assert response.status_code == 200 and response[EARLY] == "hit"
    # The version only: asked on the dropped connection (failed, and logged), then on the new one.
    assert 1 <= len(queries) <= 2
    assert all("defections_dataversion" in query["sql"] for query in queries.captured_queries)
    assert connection.connection.get_backend_pid() != dropped
