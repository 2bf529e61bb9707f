"""Under the Content Security Policy, the pages, the admin and the API docs still work."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_content_security_policy(page):
    call_command("load_seed", verbosity=0)
    get_user_model().objects.create_superuser("boss", password="a long admin passphrase")
    violations = []
    page.on("console", lambda msg: violations.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text else None)

    for path in ["/", "/cases/?form=geographic", "/cases/1/", "/agencies/", "/about/"]:
        page.goto(page.base_url + path)
    page.goto(page.base_url + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)  # rendered by its own script

    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a long admin passphrase")
    page.click("input[type=submit]")
    page.goto(page.base_url + "/admin/defections/case/add/")
    page.wait_for_selector("#case_form")
    assert violations == []
