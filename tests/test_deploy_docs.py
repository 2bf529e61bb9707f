"""The project documents itself: docs/codebook.md states every coded value with the
definition the code uses, and nothing sends a reader to a folder they do not have."""

import re
from pathlib import Path

import pytest
from django.db import models

from defections import choices, seed
from defections.dates import Precision

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = (ROOT / "docs" / "codebook.md").read_text()
ENUMS = [value for value in vars(choices).values()
         if isinstance(value, type) and issubclass(value, models.TextChoices)
         and value is not models.TextChoices] + [Precision]


def test_every_enum_of_the_codebook_is_checked():
    assert {enum.__name__ for enum in ENUMS} >= {"Form", "Verification", "Status", "Rank", "Precision"}


@pytest.mark.parametrize("enum", ENUMS, ids=lambda enum: enum.__name__)
def test_every_coded_value_is_in_docs_with_its_definition(enum):
    for value, label in enum.choices:
        row = f"| `{value}` | {label} | {enum.definitions[value]} |"
        assert row in CODEBOOK, f"docs/codebook.md lacks or differs from: {row}"


def test_the_seed_vocabularies_are_in_docs():
    for slug, name, description in seed.MOTIVES:
        assert f"| `{slug}` | {name} | {description} |" in CODEBOOK
    for slug, name, *_ in seed.PERIODS:
        assert f"| `{slug}` | {name} |" in CODEBOOK


def test_no_reader_is_sent_to_a_folder_they_lack():
    files = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("templates/**/*.html"),
             *ROOT.glob("defections/**/*.py")]
    pattern = re.compile(r"DESIGN\.md|shared folder|design brief|product brief|\.\./shared", re.I)
    offenders = [str(path.relative_to(ROOT)) for path in files if pattern.search(path.read_text())]
    assert offenders == []


def test_the_readme_links_to_docs_that_exist():
    readme = (ROOT / "README.md").read_text()
    links = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    assert {"docs/architecture.md", "docs/codebook.md"} <= links
    assert all((ROOT / link).exists() for link in links)
    for doc in ROOT.glob("docs/*.md"):
        for link in re.findall(r"\]\(([^)#:]+)", doc.read_text()):
            assert (doc.parent / link).exists(), f"{doc.name} links to a missing {link}"
