"""/data/ in Chromium: the JSON-LD block breaks no Content Security Policy, and a download works."""

import io
import json

import pytest
from django.core.management import call_command

from tests.browser import screenshot


@pytest.mark.django_db(transaction=True)
def test_the_data_page_in_a_browser(page, settings, tmp_path, version_row):
    settings.RELEASES_DIR = tmp_path / "releases"
    call_command("load_seed", verbosity=0)
    call_command("release", stdout=io.StringIO())
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.goto(page.base_url + "/data/")
    block = page.locator('script[type="application/ld+json"]').text_content()
    assert json.loads(block)["@type"] == "Dataset"
    with page.expect_download() as download:
        page.click('a[href="/data/1.0/cases.csv"]')
    assert download.value.suggested_filename == "cases.csv"
    assert open(download.value.path(), encoding="utf-8").readline().startswith("id,")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "data-375")
    # An inline script is reported, so silence here means the data block was not blocked.
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('script'),"
                  " {textContent: 'window.ran = 1'}))")
    page.wait_for_timeout(200)
    assert len(violations) == 1 and page.evaluate("window.ran") is None
