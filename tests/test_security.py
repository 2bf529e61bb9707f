"""Production settings, headers, login lockout and the health check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[1]


def clean_environment(**env):
    """This machine's environment, less what the browser tests set for themselves."""
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**base, **env}


def manage(*args, **env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=clean_environment(**env))


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_ENV="production",
                    SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="cases.example.org",
                    DEBUG="1")  # DEBUG cannot be turned on in production
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr.strip() == ""


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in clean_environment().items() if k != "SECRET_KEY"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**env, "DJANGO_ENV": "production"})
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


@pytest.mark.parametrize("url", ["/", "/cases/", "/api/v1/cases/", "/admin/login/"])
def test_protective_headers(client, db, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_error_pages_show_no_internals(client, db):
    response = client.get("/cases/999999999/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Not found" in body
    assert "Traceback" not in body and "SECRET_KEY" not in body and "settings" not in body.lower()


def test_health_check(client, db):
    response = client.get("/healthz/", HTTP_HOST="10.0.0.9")  # a probe calls by address
    assert response.status_code == 200 and response.content == b"ok\n"


def test_weak_passwords_are_refused():
    for weak in ["short", "password1234", "123456789012"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("a long and unusual phrase 42")


def test_admin_login_locks_out_after_repeated_failures(client, db, settings):
    user = get_user_model().objects.create_user("editor", password="right horse battery staple",
                                                 is_staff=True)
    url = "/admin/login/?next=/admin/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": user.username, "password": "wrong guess"})
        assert response.status_code == 200  # the form, with its error
    response = client.post(url, {"username": user.username, "password": "wrong guess"})
    assert response.status_code == 429  # the last allowed failure locks
    locked = client.post(url, {"username": user.username, "password": "right horse battery staple"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The lock is on this username from this address: others can still log in.
    get_user_model().objects.create_user("other", password="another long passphrase", is_staff=True)
    response = client.post(url, {"username": "other", "password": "another long passphrase"})
    assert response.status_code == 302


def test_api_token_is_refused_once_locked_out(client, db, settings):
    get_user_model().objects.create_user("api", password="right horse battery staple")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "api", "password": "nope"},
                    content_type="application/json")
    response = client.post("/api/v1/auth/token/", {"username": "api",
                                                   "password": "right horse battery staple"},
                           content_type="application/json")
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
