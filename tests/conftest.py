import pytest
from django.core.management import call_command

pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests run without collectstatic: serve static files unhashed, from the project."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def seeded(db):
    call_command("load_seed", verbosity=0)
