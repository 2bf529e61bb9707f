import pytest
from django.core.management import call_command


@pytest.fixture
def seeded(db):
    call_command("load_seed", verbosity=0)
