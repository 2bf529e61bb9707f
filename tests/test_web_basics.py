"""What browsers and crawlers ask of every site (issue 18, item 6): an icon, and robots.txt."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon_every_page_names(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"] == static("favicon.svg")
    icon = finders.find("favicon.svg")  # what collectstatic serves there
    assert icon and open(icon).read().startswith("<svg")
    assert f'<link rel="icon" href="{answer["Location"]}"' in client.get("/").content.decode()


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_the_feed(client):
    answer = client.get("/robots.txt")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    lines = answer.content.decode().splitlines()
    assert {"User-agent: *", "Disallow: /admin/", "Disallow: /api/v1/changes/"} <= set(lines)
