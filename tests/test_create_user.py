"""`manage.py create_user`: a researcher's or an editor's account that signs in to the admin
with exactly its role's permissions; bad roles, taken names and weak passwords are clear
errors; the password is never echoed."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client

from defections.permissions import allowed_statuses
from tests.factories import CaseFactory
from tests.test_admin_support import ensure_groups

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def groups():
    ensure_groups()


def admin_client(username, password) -> Client | None:
    """Sign in through the admin's login form, as a person does (and as django-axes watches)."""
    client = Client()
    answer = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return client if answer.status_code == 302 and answer.url == "/admin/" else None


def create(*args, **options):
    call_command("create_user", *args, stdout=open(os.devnull, "w"), **options)


@pytest.mark.parametrize("role,group,publishes", [("editor", "Editor", True),
                                                   ("researcher", "Researcher", False)])
def test_the_account_signs_in_to_the_admin_with_exactly_its_role(role, group, publishes):
    create("--username", "ana", "--role", role, "--email", "ana@example.org", "--password", PASSWORD)
    user = User.objects.get(username="ana")
    assert user.is_staff and not user.is_superuser and user.email == "ana@example.org"
    assert [g.name for g in user.groups.all()] == [group]
    role_perms = {f"{p.content_type.app_label}.{p.codename}"
                  for p in Group.objects.get(name=group).permissions.select_related("content_type")}
    assert user.get_all_permissions() == role_perms

    assert admin_client("ana", "a wrong password") is None
    client = admin_client("ana", PASSWORD)
    assert client is not None
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/defections/case/").status_code == 200

    # The one door: an editor may publish a draft, a researcher only submit it.
    draft = CaseFactory(status="draft")
    statuses = allowed_statuses(user, draft)
    assert ("published" in statuses) is publishes
    assert "review" in statuses
    published = CaseFactory(status="published")
    assert user.has_perm("defections.change_case", published) is publishes


def test_the_password_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CREATE_USER_PASSWORD", PASSWORD)
    create("--username", "ben", "--role", "researcher")
    assert admin_client("ben", PASSWORD) is not None


def test_an_unknown_role_is_a_clear_error():
    with pytest.raises(CommandError, match="Unknown role 'admin': the roles are editor and researcher"):
        create("--username", "cy", "--role", "admin", "--password", PASSWORD)
    assert not User.objects.filter(username="cy").exists()


def test_an_existing_name_is_refused_unless_updated():
    create("--username", "dee", "--role", "researcher", "--password", PASSWORD)
    with pytest.raises(CommandError, match="exists: pass --update"):
        create("--username", "dee", "--role", "editor", "--password", PASSWORD)
    assert [g.name for g in User.objects.get(username="dee").groups.all()] == ["Researcher"]

    create("--username", "dee", "--role", "editor", "--password", PASSWORD + "!", "--update")
    user = User.objects.get(username="dee")
    assert [g.name for g in user.groups.all()] == ["Editor"]  # one role, not both
    assert user.check_password(PASSWORD + "!")


@pytest.mark.parametrize("weak,reason", [("short", "too short"), ("123456789012", "entirely numeric"),
                                         ("password1234", "too common")])
def test_a_weak_password_is_refused(weak, reason):
    with pytest.raises(CommandError, match=f"The password is refused: .*{reason}"):
        create("--username", "eve", "--role", "editor", "--password", weak)
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.django_db(transaction=True)
def test_the_prompt_asks_twice_and_never_echoes(django_db_setup):
    """Run as a user would, against the test database, with the password typed on stdin."""
    from django.conf import settings

    ensure_groups()
    name = settings.DATABASES["default"]["NAME"]
    env = {**os.environ, "EMBEDDED_DB_NAME": name}
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path="/" + name).geturl()
    env.pop("CREATE_USER_PASSWORD", None)
    command = [sys.executable, "manage.py", "create_user", "--username", "fay", "--role", "editor"]

    def run(typed):
        # A new session has no terminal: getpass reads stdin (and warns that it could echo).
        return subprocess.run(command, cwd=ROOT, env=env, input=typed, capture_output=True,
                              text=True, timeout=120, start_new_session=True)

    differ = run(f"{PASSWORD}\nsomething else\n")
    assert differ.returncode != 0 and "The two passwords differ" in differ.stderr
    done = run(f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert User.objects.get(username="fay").check_password(PASSWORD)
