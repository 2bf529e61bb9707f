"""/cases/ says which filters are in use: a count of them, a removable chip for each (in the
reader's language), "clear all", a title and heading naming what is filtered, and errors
naming each filter by its label."""

import html as htmllib
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

URL = "/cases/"


def chips(response) -> list[tuple[str, str]]:
    """(text, href) of each chip, in order."""
    page = response.content.decode()
    found = re.findall(r'<a class="chip" href="([^"]*)"[^>]*>(.*?)</a>', page, re.S)
    return [(" ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", text)).split()), htmllib.unescape(href))
            for href, text in found]


def pairs(href: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(urlsplit(href).query, keep_blank_values=True))


def title(response) -> str:
    return htmllib.unescape(re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1]).strip()


def heading(response) -> str:
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)[1]
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", h1)).split())


def test_every_filter_in_use_is_counted_years_too(client, seeded):
    response = client.get(URL, {"form": "geographic", "year_min": 1950, "year_max": 2025})
    page = response.content.decode()
    assert "(3 in use)" in page
    assert len(chips(response)) == 3


def test_the_count_and_the_chips_agree(client, seeded):
    query = "form=geographic&form=articulated&agency=mid&year_min=2000&q=war&contested=true"
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert f"({len(chips(response))} in use)" in response.content.decode()
    assert len(chips(response)) == 6  # two forms, agency, year, search, contested


def test_each_chip_names_its_filter_and_links_to_the_list_without_it(client, seeded):
    query = [("form", "geographic"), ("form", "articulated"), ("agency", "mid"), ("year_min", "2000"),
             ("year_max", "2025"), ("q", "war"), ("ordering", "-date")]
    response = client.get(URL, query + [("page", "1")])
    found = dict(chips(response))
    assert set(found) == {"Form: Geographic", "Form: Articulated",
                          "Agency: Ministry of Foreign Affairs (MID)", "From year: 2000",
                          "To year: 2025", "Search: war"}
    for text, href in found.items():
        assert urlsplit(href).path == URL
        removed = [pair for pair in query if pair not in pairs(href)]
        assert len(removed) == 1, (text, href)  # exactly that one filter goes, the page too
        assert "page" not in dict(pairs(href))
        assert ("ordering", "-date") in pairs(href)
        assert client.get(href).status_code == 200
    assert dict(pairs(found["Form: Geographic"])) == {**dict(query), "form": "articulated"}


def test_clear_all_drops_every_filter_and_keeps_the_order(client, seeded):
    response = client.get(URL, {"form": "geographic", "year_min": 2000, "ordering": "name"})
    page = response.content.decode()
    clear = re.search(r'<a class="clear-all" href="([^"]*)"', page)
    assert clear and pairs(htmllib.unescape(clear[1])) == [("ordering", "name")]
    assert not chips(client.get(URL)) and 'class="clear-all"' not in client.get(URL).content.decode()


def test_chips_in_russian(client, seeded):
    response = client.get("/ru/cases/", {"form": "geographic", "year_min": 2000})
    found = dict(chips(response))
    assert set(found) == {"Форма: Отъезд из страны", "Год с: 2000"}
    assert all(urlsplit(href).path == "/ru/cases/" for href in found.values())
    assert "(применено 2)" in response.content.decode()


def test_a_chip_for_an_agency_by_id_and_invalid_values_get_none(client, seeded):
    from defections.models import Agency

    mid = Agency.objects.get(slug="mid")
    response = client.get(URL, {"agency_id": mid.pk, "year_min": "abc"})
    assert response.status_code == 400
    assert [text for text, _ in chips(response)] == ["Agency: Ministry of Foreign Affairs (MID)"]


@pytest.mark.parametrize(("query", "expected"), [
    ("", "Cases"),
    ("form=geographic&agency=mid&year_min=1950", "Geographic defections from MID since 1950"),
    ("form=final&year_max=1991", "Final defections up to 1991"),
    ("form=articulated&year_min=2022&year_max=2022", "Articulated defections in 2022"),
    ("year_min=2022&year_max=2024&q=war", "Cases matching “war” in 2022–2024"),
    ("form=geographic&form=final", "Cases · Form: Geographic, Final"),
    ("agency=mid&motive=unknown&verification=reported&destination_country=US&response=psychiatric",
     "Cases from MID · Destination country: United States of America · Motives: Unknown · 2 more filters"),
])
def test_the_title_and_heading_say_what_is_filtered(client, seeded, query, expected):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert heading(response) == expected
    assert title(response) == f"{expected} — Defection case database"


def test_the_title_in_russian(client, seeded):
    response = client.get("/ru/cases/", {"form": "geographic", "agency": "mid", "year_min": 1950})
    assert heading(response) == "Случаи отъезда из страны (МИД) с 1950 г."
    assert title(response).startswith("Случаи отъезда из страны (МИД) с 1950 г. — ")


@pytest.mark.parametrize(("query", "label"), [
    ("year_min=abc", "From year"), ("year_max=x", "To year"), ("form=nope", "Form"),
    ("agency=no-such-agency", "Agency"), ("year_min=2025&year_max=2020", "To year"),
])
def test_the_error_box_names_each_filter_by_its_label(client, seeded, query, label):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    box = re.search(r'<div class="errors"[^>]*>(.*?)</div>', response.content.decode(), re.S)[1]
    text = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", box)).split())
    assert f"{label}: " in text
    name = query.split("=")[0]
    assert f"<code lang=\"en\">{name}</code>" not in box and "year_min)" not in text


def test_the_error_box_in_russian(client, seeded):
    response = client.get("/ru/cases/", {"year_min": "abc"})
    box = re.search(r'<div class="errors"[^>]*>(.*?)</div>', response.content.decode(), re.S)[1]
    assert "Год с: Введите целое число." in " ".join(re.sub(r"<[^>]+>", "", box).split())


# --- in a browser: the chips wrap inside the filter column, on a phone and a desktop ----------

MANY = ("form=geographic&form=articulated&agency=mid&year_min=2000&year_max=2025&q=war"
        "&motive=unknown&verification=reported&destination_country=US&contested=true")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 375])
def test_chips_wrap_and_never_overflow(page, width):
    from django.core.management import call_command

    from tests.browser import screenshot

    call_command("load_seed", verbosity=0)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{page.base_url}{URL}?{MANY}")
    chip_links = page.locator("a.chip")
    assert chip_links.count() == 10
    boxes = [chip_links.nth(i).bounding_box() for i in range(chip_links.count())]
    row = page.locator(".chips ul").bounding_box()
    assert all(box["x"] >= row["x"] - 0.5 and box["x"] + box["width"] <= row["x"] + row["width"] + 0.5
               for box in boxes), (row, boxes)
    assert len({round(box["y"]) for box in boxes}) > 1  # they wrap onto more lines
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, f"filter-chips-{width}")
    # A chip takes its one filter away.
    page.locator("a.chip", has_text="Agency:").click()
    page.wait_for_load_state()
    assert "agency=" not in page.url and "form=geographic" in page.url
    assert page.locator("a.chip").count() == 9
    page.locator("a.clear-all").click()
    page.wait_for_load_state()
    assert page.locator("a.chip").count() == 0 and page.locator("h1").inner_text() == "Cases"
