"""The README's API examples, run as written (bash and curl) against a live server on the
seeded database: no answer is a 5xx or an unexpected 4xx, and nothing they write is public."""

import re
import subprocess
from pathlib import Path

from django.core.management import call_command

from defections.models import Affiliation, Case, Person, Source
from tests.test_admin_support import ensure_groups

pytest_plugins = ["tests.test_api_fixtures"]  # a generous anonymous rate limit
README = Path(__file__).resolve().parents[1] / "README.md"
PASSWORD = "an-invented-password-4821"
CREATE_USER = ".venv/bin/python manage.py create_user --role editor --username editor"
EXPECTED_ERRORS = {"form=lateral": 400}  # the documented error


def api_blocks() -> list[str]:
    text = README.read_text()
    section = text[text.index("## The API (`/api/v1/`)"):text.index("## The researchers' admin")]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_the_readme_api_examples_run_as_written(transactional_db, live_server, version_row, tmp_path):
    call_command("load_seed", verbosity=0)
    blocks = api_blocks()
    assert CREATE_USER in [block.strip() for block in blocks]
    ensure_groups()  # made by a migration; an earlier transactional test may have flushed them
    call_command("create_user", role="editor", username="editor", password=PASSWORD)
    published = set(Case.objects.filter(status="published").values_list("pk", flat=True))
    script = "\n".join(block for block in blocks if block.strip() != CREATE_USER)
    # Every curl call reports its status and address on stderr.
    wrapped = ("set -euo pipefail\n"
               "curl() { command curl -w '%{stderr}STATUS %{http_code} %{url_effective}\\n' \"$@\"; }\n"
               + script.replace("http://localhost:8000", live_server.url))
    run = subprocess.run(["bash", "-c", wrapped], input=PASSWORD + "\n", capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    statuses = re.findall(r"^STATUS (\d+) (\S+)$", run.stderr, flags=re.M)
    assert len(statuses) >= 20
    for code, url in statuses:
        expected = next((c for part, c in EXPECTED_ERRORS.items() if part in url), None)
        assert int(code) < 400 or int(code) == expected, (code, url, run.stdout[-2000:])
    # What the examples wrote: the invented person's drafts, a career, sources; nothing published.
    person = Person.objects.get(name="Ivan Primerov (invented example)")
    assert set(Case.objects.filter(status="published").values_list("pk", flat=True)) == published
    assert person.cases.filter(status="draft").count() == 2  # the third one was deleted
    assert Affiliation.objects.filter(person=person, role="Lieutenant").exists()
    assert Source.objects.filter(url="https://example.org/invented-article").exists()
    assert (tmp_path / "cases.csv").read_text().startswith("id,api_url,")
