"""docker-compose: Caddy answers on the published ports and is the only way in; the app
gets the database password as it is, whatever its characters; and the production settings,
behind that proxy, serve pages over HTTPS and redirect plain HTTP."""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "p@ss:w/o%rd#?&x y$"
KEY = secrets.token_urlsafe(60)


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def required_compose() -> list[str]:
    """The compose command; CI must have it (a failure there), elsewhere the test is skipped."""
    command = compose_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is missing: .ci/run installs it")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    return command


@pytest.fixture(scope="module")
def compose():
    """The file as docker compose itself reads it, with the variables a deployment sets."""
    command = required_compose()
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "SECRET_KEY": KEY, "POSTGRES_PASSWORD": PASSWORD}
    done = subprocess.run([*command, "-f", "docker-compose.yml", "config"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def ports(service) -> set[tuple[str, str]]:
    """(published, target) pairs, from either syntax compose writes."""
    found = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.add((str(port["published"]), str(port["target"])))
        else:
            *_, published, target = str(port).split(":")
            found.add((published, target))
    return found


def test_compose_refuses_to_start_without_the_secrets():
    command = required_compose()
    done = subprocess.run([*command, "-f", "docker-compose.yml", "config"], cwd=ROOT,
                          env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD" in done.stderr or "set SECRET_KEY" in done.stderr


def test_caddy_is_the_only_way_in(compose):
    services = compose["services"]
    assert set(services) == {"db", "web", "caddy"}
    assert ports(services["caddy"]) == {("80", "80"), ("443", "443")}
    assert not ports(services["web"]) and not ports(services["db"])
    assert services["caddy"]["image"] == "caddy:2"
    assert any(v.endswith(":/etc/caddy/Caddyfile:ro") for v in services["caddy"]["volumes"])
    # What the Caddyfile proxies to is the app's port, and the site is SITE_ADDRESS.
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "{$SITE_ADDRESS:localhost} {" in caddyfile
    assert services["caddy"]["environment"]["SITE_ADDRESS"] == "localhost"
    web = services["web"]["environment"]
    assert web["DJANGO_ENV"] == "production" and str(web["PROXY_COUNT"]) == "1"
    assert web["ALLOWED_HOSTS"] == "localhost"


def test_the_password_reaches_the_app_as_it_is(compose):
    web = compose["services"]["web"]["environment"]
    assert "DATABASE_URL" not in web
    # compose writes a literal $ as $$ in what it prints; the container gets one $.
    assert web["DATABASE_PASSWORD"].replace("$$", "$") == PASSWORD
    assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == web["DATABASE_PASSWORD"]
    assert web["DATABASE_HOST"] == "db"


def settings_of(env: dict) -> dict:
    """The settings a process started with these variables reads (no database needed)."""
    code = ("import json, defections.settings as s; print(json.dumps({'db': s.DATABASES['default'], "
            "'redirect': getattr(s, 'SECURE_SSL_REDIRECT', False), "
            "'proxy_header': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), 'proxies': s.PROXY_COUNT}))")
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_settings_take_the_database_as_parts_with_any_password():
    read = settings_of({"DATABASE_HOST": "db", "DATABASE_NAME": "defections",
                        "DATABASE_USER": "defections", "DATABASE_PASSWORD": PASSWORD,
                        "DJANGO_ENV": "production", "SECRET_KEY": KEY, "PROXY_COUNT": "1"})
    db = read["db"]
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db", "5432", "defections", "defections")
    assert db["PASSWORD"] == PASSWORD
    assert read["redirect"] is True and read["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert read["proxies"] == 1


@pytest.mark.django_db
def test_production_pages_answer_behind_the_proxy_and_redirect_plain_http(tmp_path, django_db_setup):
    """DEBUG off, static files collected into a fresh STATIC_ROOT, as in the image."""
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_ENV="production", SECRET_KEY=KEY, PROXY_COUNT="1", ALLOWED_HOSTS="localhost",
               STATIC_ROOT=str(tmp_path / "static"), EMBEDDED_DB_NAME=name)
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path="/" + name).geturl()
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert collect.returncode == 0, collect.stderr
    code = """
import django, json
django.setup()
from django.test import Client
c = Client()
behind = c.get("/about/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https",
               HTTP_X_FORWARDED_FOR="203.0.113.7")
plain = c.get("/about/", HTTP_HOST="localhost")
print(json.dumps([behind.status_code, behind.content.decode(), plain.status_code, plain.get("Location")]))
"""
    env["DJANGO_SETTINGS_MODULE"] = "defections.settings"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status, page, plain_status, location = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 200, page[:2000]
    assert "/static/" in page and ".css" in page
    assert (plain_status, location) == (301, "https://localhost/about/")
