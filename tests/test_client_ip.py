"""The client's address, for the API throttle and the login lockout alike (PROXY_COUNT).

Without a proxy (PROXY_COUNT=0) X-Forwarded-For is the client's own text and is ignored.
Behind N proxies the address is the N-th from the right of X-Forwarded-For: the one the
outermost proxy appended, not a left-most one that the client wrote itself.
"""

from pathlib import Path

import pytest
from django.conf import settings as conf
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from defections.client_ip import client_ip

PROXY = "10.0.0.2"  # what REMOTE_ADDR is behind the proxy
ALICE, BOB = "203.0.113.5", "198.51.100.7"
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "right horse battery staple"


def forwarded(*addresses) -> dict:
    return {"HTTP_X_FORWARDED_FOR": ", ".join(addresses)} if addresses else {}


@pytest.mark.parametrize(("count", "remote", "header", "expected"), [
    (0, ALICE, (), ALICE),
    (0, ALICE, ("1.2.3.4",), ALICE),                       # no proxy: the header is the client's
    (1, PROXY, (ALICE,), ALICE),
    (1, PROXY, ("1.2.3.4", ALICE), ALICE),                 # a spoofed entry, then the real one
    (1, PROXY, ("1.2.3.4", "5.6.7.8", BOB), BOB),
    (2, PROXY, ("1.2.3.4", ALICE, "10.0.0.1"), ALICE),     # two proxies: the second from the right
    (1, PROXY, (), PROXY),                                 # not through the proxy: its own address
    (2, PROXY, (ALICE,), PROXY),                           # fewer entries than proxies
    (1, PROXY, ("not an address",), PROXY),
    (1, PROXY, ("2001:db8::1",), "2001:db8::1"),
])
def test_client_ip(settings, count, remote, header, expected):
    settings.PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **forwarded(*header))
    assert client_ip(request) == expected


@pytest.fixture
def strict_throttle(monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    cache.clear()
    yield
    cache.clear()


def statuses(client, *headers) -> list[int]:
    return [client.get("/api/v1/periods/", REMOTE_ADDR=remote, **forwarded(*xff)).status_code
            for remote, xff in headers]


def test_rotating_x_forwarded_for_does_not_reset_the_throttle(client, db, settings, strict_throttle):
    settings.PROXY_COUNT = 0
    codes = statuses(client, *[(ALICE, (f"192.0.2.{n}",)) for n in range(5)])
    assert codes == [200, 200, 200, 429, 429]


def test_behind_a_proxy_each_client_has_its_own_rate(client, db, settings, strict_throttle):
    settings.PROXY_COUNT = 1
    # Alice varies the entries she writes herself; the proxy appends her real address.
    alice = statuses(client, *[(PROXY, (f"192.0.2.{n}", ALICE)) for n in range(4)])
    assert alice == [200, 200, 200, 429]
    assert statuses(client, (PROXY, (BOB,))) == [200]


def test_one_setting_drives_both():
    assert api_settings.NUM_PROXIES == conf.PROXY_COUNT
    assert conf.AXES_CLIENT_IP_CALLABLE == "defections.client_ip.client_ip"
    assert conf.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["defections.api.throttling.AnonRateThrottle"]


def fail_logins(client, times, remote, *xff):
    for _ in range(times):
        client.post(LOGIN, {"username": "admin", "password": "wrong guess"},
                    REMOTE_ADDR=remote, **forwarded(*xff))


def log_in(client, remote, *xff) -> int:
    return client.post(LOGIN, {"username": "admin", "password": PASSWORD},
                       REMOTE_ADDR=remote, **forwarded(*xff)).status_code


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_user("admin", password=PASSWORD, is_staff=True)


def test_behind_a_proxy_one_client_cannot_lock_out_another(client, settings, admin_user):
    settings.PROXY_COUNT = 1
    fail_logins(client, settings.AXES_FAILURE_LIMIT, PROXY, ALICE)
    assert log_in(client, PROXY, ALICE) == 429
    assert log_in(client, PROXY, BOB) == 302  # another client behind the same proxy


def test_behind_a_proxy_a_client_cannot_choose_its_key(client, settings, admin_user):
    settings.PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail_logins(client, 1, PROXY, f"192.0.2.{n}", ALICE)
    assert log_in(client, PROXY, "192.0.2.99", ALICE) == 429


def test_without_a_proxy_x_forwarded_for_is_ignored_by_the_lockout(client, settings, admin_user):
    settings.PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail_logins(client, 1, ALICE, f"192.0.2.{n}")
    assert log_in(client, ALICE, BOB) == 429
    assert log_in(client, BOB) == 302


def test_the_api_token_lockout_is_per_client_behind_a_proxy(client, settings, admin_user):
    settings.PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "admin", "password": "nope"},
                    content_type="application/json", REMOTE_ADDR=PROXY, **forwarded(f"192.0.2.{n}", ALICE))
    right = {"username": "admin", "password": PASSWORD}
    alice = client.post("/api/v1/auth/token/", right, content_type="application/json",
                        REMOTE_ADDR=PROXY, **forwarded(ALICE))
    assert "token" not in alice.json()
    bob = client.post("/api/v1/auth/token/", right, content_type="application/json",
                      REMOTE_ADDR=PROXY, **forwarded(BOB))
    assert bob.status_code == 200 and bob.json()["token"]


def test_compose_runs_behind_one_proxy_that_alone_reaches_the_app():
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["web"]["environment"]["PROXY_COUNT"] == "1"
    # Only Caddy is published; the app is reached through it alone (tests/test_deploy_compose.py).
    assert "ports" not in services["web"] and services["caddy"]["ports"]
