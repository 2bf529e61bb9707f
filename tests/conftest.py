import os

import pytest
from django.core.management import call_command

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database per run, so that test runs started together do not drop each other's."""
    from django.conf import settings

    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{os.getpid()}"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests run without collectstatic: serve static files unhashed, from the project."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def no_local_releases(settings, tmp_path_factory):
    """Tests see only the releases they make, never a developer's own releases/ folder."""
    settings.RELEASES_DIR = tmp_path_factory.mktemp("releases")


@pytest.fixture(autouse=True)
def english_to_begin_with():
    """Each test starts in English: a request under /ru/ leaves Russian active in this thread
    (LocaleMiddleware activates a language and never deactivates it)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def one_day(monkeypatch):
    """Each test reads one day, the one it began on, unless it travels in time (time_machine: then
    the travelled clock's). Pages name the day they are read (a case's access date; the door reads
    expiries by it, the page cache keys by it): a test comparing answers at two moments, or setting
    an expiry for tomorrow, would otherwise fail across midnight for no fault of the code."""
    import time_machine

    from defections import withholding

    clock, day = withholding.today, withholding.today()
    monkeypatch.setattr(withholding, "today",
                        lambda: clock() if time_machine.escape_hatch.is_travelling() else day)
    return day


@pytest.fixture
def seeded(db):
    call_command("load_seed", verbosity=0)


@pytest.fixture
def version_row(db):
    """The data version row (migration 0006). A transactional test ends by emptying every
    table, that one too, and without it nothing is cached: put it back."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO defections_dataversion (id, version) "
                       "VALUES (1, nextval('defections_data_version_seq')) ON CONFLICT DO NOTHING")
