"""A cache shared by the workers (CACHE_URL=file://…, defections/cache.py).

Two gunicorn servers, separate processes on one test database and one cache folder: a page
one of them computed is an early hit in the other, a committed write makes both miss and
show it, and what a staff session saw is never given to a reader. In-process: nothing is
kept in the shared store inside a transaction, and a CACHE_URL that cannot be read stops
the start naming it.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import transaction
from django.test import Client

from defections.models import Case
from defections.settings import cache_settings
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]
EARLY = "X-Early-Cache"


@pytest.fixture(autouse=True)
def _version_row(version_row):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, cookie: str | None = None) -> tuple[int, dict, str]:
    """GET with one Host for both servers, as behind the one proxy of a site (the address as
    asked is part of the key)."""
    headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def two_servers(tmp_path):
    """Two single-worker gunicorn servers sharing tmp_path/cache; their base URLs."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_SETTINGS_MODULE="tests.shared_cache_settings", DEBUG="1",
               CACHE_URL=f"file://{tmp_path / 'cache'}",
               EMBEDDED_DB_NAME=settings.DATABASES["default"]["NAME"], ALLOWED_HOSTS="127.0.0.1")
    if env.get("DATABASE_URL"):
        from urllib.parse import urlsplit

        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(
            path="/" + settings.DATABASES["default"]["NAME"]).geturl()
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([sys.executable, "-m", "gunicorn", "defections.wsgi", "--workers", "1",
                                 "--bind", f"127.0.0.1:{port}", "--no-control-socket"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, server in zip(urls, servers, strict=True):
            deadline = time.time() + 120
            while True:
                try:
                    fetch(url + "/healthz/")
                    break
                except OSError:
                    assert server.poll() is None, server.stderr.read().decode()[-2000:]
                    assert time.time() < deadline, "the server did not start"
                    time.sleep(0.3)
        yield urls
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def test_two_servers_share_an_answer_and_a_write_makes_both_miss(two_servers):
    first, second = two_servers
    case = CaseFactory(summary="Kept once for both.")
    path = case.get_absolute_url()
    status, headers, body = fetch(first + path)
    assert status == 200 and EARLY not in headers and "Kept once for both." in body
    # The second server never computed this page: its early hit came from the shared store.
    status, headers, again = fetch(second + path)
    assert status == 200 and headers[EARLY] == "hit" and again == body
    Case.objects.filter(pk=case.pk).update(summary="Changed after the write.")
    # The second server computes the page anew under the new version; the first, which kept
    # the old page in its own memory too, is given the new one from the shared store.
    status, headers, body = fetch(second + path)
    assert EARLY not in headers
    assert "Changed after the write." in body and "Kept once for both." not in body
    status, headers, again = fetch(first + path)
    assert headers[EARLY] == "hit" and again == body


def test_a_staff_view_on_one_server_is_never_given_to_a_reader_on_the_other(two_servers):
    first, second = two_servers
    CaseFactory(summary="Published.")
    draft = CaseFactory(summary="Draft only.", status="draft")
    editor = User.objects.create_user("editor-shared", password="x" * 16, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(editor)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    for _ in range(2):
        status, headers, body = fetch(first + "/cases/", cookie)
        assert status == 200 and EARLY not in headers and draft.person.name in body
    for url in (second, first):
        status, headers, body = fetch(url + "/cases/")
        assert status == 200 and draft.person.name not in body
    status, headers, body = fetch(second + "/cases/")
    assert headers[EARLY] == "hit" and draft.person.name not in body
    status, headers, body = fetch(second + "/cases/", cookie)  # and never given to staff
    assert EARLY not in headers and draft.person.name in body


@pytest.fixture
def shared_folder(settings, tmp_path):
    folder = tmp_path / "cache"
    settings.CACHES = {**settings.CACHES, "pages": cache_settings(f"file://{folder}")}
    yield folder
    caches["default"].clear()


def test_a_page_is_read_from_the_shared_store_when_this_process_has_not_kept_it(shared_folder):
    case = CaseFactory()
    client = Client()
    client.get(case.get_absolute_url())
    assert any(shared_folder.iterdir())
    caches["default"].clear()  # as another process: nothing in its own memory
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")  # answered early, from the folder


def test_nothing_is_kept_in_the_shared_store_inside_a_transaction(shared_folder):
    case = CaseFactory()
    with transaction.atomic():
        for url in (case.get_absolute_url(), "/cases/", "/api/v1/stats/", "/"):
            assert Client().get(url).status_code == 200
    assert not shared_folder.exists() or not any(shared_folder.iterdir())


@pytest.mark.parametrize("url", ["memcached://x", "file://relative/path", "nonsense"])
def test_a_cache_url_that_cannot_be_read_stops_the_start_naming_it(url):
    with pytest.raises(RuntimeError, match="CACHE_URL"):
        cache_settings(url)


def test_the_cache_urls_that_can_be_read():
    assert cache_settings("locmem://")["BACKEND"].endswith("LocMemCache")
    assert cache_settings("file:///var/cache/defections")["LOCATION"] == "/var/cache/defections"
    assert cache_settings("redis://cache:6379/0")["BACKEND"].endswith("RedisCache")
