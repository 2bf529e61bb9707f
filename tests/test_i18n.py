"""The Russian interface: the catalogue is complete, compiled and current, every public page
under /ru/ speaks Russian, and the language switch keeps the reader's place and filters.

A page "speaks Russian" when no English msgid of ours appears in its text, outside elements
that declare another language (a record's text shown untranslated, a source's own title).
"""

import re
import shutil
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import polib
import pytest
from django.conf import settings

from defections.models import Case

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"
MAX_PAGES = 160
# Words that are the same in both languages' interface (names of formats and standards).
SAME_IN_BOTH = {"API", "CSV", "JSON", "Atom", "BibTeX", "RIS", "CSL-JSON", "Wikidata", "SQLite", "OpenAPI"}


def catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE / "django.po"))


def test_every_message_is_translated():
    untranslated = [entry.msgid for entry in catalogue()
                    if "fuzzy" in entry.flags or not entry.translated()]
    assert not untranslated, untranslated[:20]


def test_the_compiled_catalogue_is_the_catalogue():
    """django.mo (what the site reads) holds exactly django.po: `make messages` was run."""
    po, mo = catalogue(), polib.mofile(str(CATALOGUE / "django.mo"))

    def entries(catalogue):
        return {(entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
                for entry in catalogue
                if entry.msgid and (entry.msgstr or any(entry.msgstr_plural.values()))}

    assert entries(mo) == entries(po)


def test_the_catalogue_holds_every_string_of_the_sources(tmp_path):
    """A string marked in the code but missing from django.po would show in English: gather
    the strings afresh from a copy of the sources (GNU gettext, as `make messages` does)."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed: apt-get install gettext")
    root = Path(settings.BASE_DIR)
    for part in ["defections", "templates", "static"]:
        shutil.copytree(root / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale").mkdir()
    run = subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "ru", "-v0", "--no-location"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    fresh = polib.pofile(str(tmp_path / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    ours = {(entry.msgctxt, entry.msgid) for entry in catalogue()}
    missing = sorted(entry.msgid for entry in fresh if (entry.msgctxt, entry.msgid) not in ours)
    assert not missing, f"run `make messages` and translate: {missing[:20]}"


# --- the pages -------------------------------------------------------------------------------


class Text(HTMLParser):
    """The text a reader meets: data and the attributes read aloud or shown, leaving out
    scripts, styles, code (a parameter such as `contested=true` is the same in both
    languages) and elements in another language than the page's."""

    SHOWN = ("title", "alt", "placeholder", "aria-label")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self, lang: str):
        super().__init__()
        self.lang, self.stack, self.parts = lang, [], []

    def excluded(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        foreign = "lang" in attrs and not (attrs["lang"] or "").startswith(self.lang) and tag != "html"
        skip = foreign or tag in ("script", "style", "code")
        if not (self.excluded() or skip):
            self.parts += [attrs[name] for name in self.SHOWN if attrs.get(name)]
            if tag == "meta" and attrs.get("name") == "description":
                self.parts.append(attrs.get("content") or "")
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.excluded():
            self.parts.append(data)


def shown_text(html: str, lang: str = "ru") -> str:
    parser = Text(lang)
    parser.feed(html)
    text = re.sub(r"https?://\S+", " ", " ".join(parser.parts))  # an address is no sentence
    return " ".join(text.split())


def english_phrases() -> list[tuple[str, re.Pattern]]:
    """Each of our msgids translated to something else, as the literal phrases a page would show."""
    phrases = {}
    for entry in catalogue():
        if not entry.msgid or entry.msgstr == entry.msgid:
            continue
        for part in re.split(r"%\([^)]*\)[sdf]|%[sdf]|\{[^}]*\}|<[^>]+>|&[a-z]+;|\n", entry.msgid):
            part = part.strip(" .,:;()–—-“”\"'?!·/")
            if sum(ch.isalpha() for ch in part) < 3 or part in SAME_IN_BOTH:
                continue
            phrases[part] = re.compile(rf"(?<![A-Za-z]){re.escape(part)}(?![A-Za-z])")
    return sorted(phrases.items())


def russian_links(html: str) -> set[str]:
    found = set()
    for href in re.findall(r'href="([^"]+)"', html):
        href = href.replace("&amp;", "&").split("#")[0]
        path = urlsplit(href).path
        if not href.startswith("/ru/") or path.startswith("/ru/admin/") or "." in path.rsplit("/", 1)[-1]:
            continue
        if len(parse_qsl(urlsplit(href).query)) <= 1:
            found.add(href)
    return found


def crawl_russian(client) -> dict[str, str]:
    pages, queue = {}, deque(["/ru/"])
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        if "html" not in response["Content-Type"]:
            continue
        pages[url] = response.content.decode()
        queue.extend(sorted(russian_links(pages[url]) - pages.keys()))
    return pages


def untranslated(html: str, phrases) -> list[str]:
    text = shown_text(html)
    return [phrase for phrase, pattern in phrases if pattern.search(text)]


@pytest.fixture
def bilingual(seeded):
    """The seed, and one retracted case with its notice in both languages."""
    case = Case.objects.public().order_by("pk").first()
    Case.objects.filter(pk=case.pk).update(status="retracted", retraction_note="Shown in error.",
                                            retraction_note_ru="Опубликовано по ошибке.")
    return case


def test_every_public_page_in_russian_speaks_russian(client, bilingual):
    phrases = english_phrases()
    assert len(phrases) > 200  # the catalogue was read
    pages = crawl_russian(client)
    assert len(pages) >= 50, len(pages)
    for prefix in ["/ru/cases/", "/ru/people/", "/ru/agencies/", "/ru/sources/", "/ru/about/",
                   "/ru/analysis/", "/ru/data/"]:
        assert any(url.startswith(prefix) for url in pages), prefix
    leaks = {url: found for url, html in pages.items() if (found := untranslated(html, phrases))}
    assert not leaks, leaks


@pytest.mark.parametrize(("url", "status"), [
    ("/ru/no-such-page/", 404), ("/ru/cases/999999/", 404), ("/ru/cases/?year_min=abc", 400),
    ("/ru/cases/?form=nonsense", 400), ("/ru/people/999999/", 404),
])
def test_error_pages_in_russian_speak_russian(client, seeded, url, status):
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert not untranslated(html, english_phrases())


def test_a_retraction_notice_in_russian(client, bilingual):
    response = client.get(f"/ru/cases/{bilingual.pk}/")
    assert response.status_code == 410
    html = response.content.decode()
    assert "Опубликовано по ошибке." in html and "Shown in error." not in html
    assert not untranslated(html, english_phrases())


def test_the_switch_keeps_the_page_and_its_filters(client, seeded):
    query = "form=geographic&year_min=1950&sort=date"
    english = client.get(f"/cases/?{query}")
    assert english.status_code == 200
    html = english.content.decode()
    switch = re.search(r'<a href="([^"]+)" hreflang="ru"', html)
    assert switch, "no switch to Russian"
    target = switch.group(1).replace("&amp;", "&")
    assert urlsplit(target).path == "/ru/cases/"
    assert sorted(parse_qsl(urlsplit(target).query)) == sorted(parse_qsl(query))
    russian = client.get(target)
    assert russian.status_code == 200
    assert '<html lang="ru">' in russian.content.decode()
    ids = [case.pk for case in english.context["page"]]
    assert ids and [case.pk for case in russian.context["page"]] == ids
    back = re.search(r'<a href="([^"]+)" hreflang="en"', russian.content.decode()).group(1)
    assert back.replace("&amp;", "&") == f"/cases/?{query}"


def test_alternates_name_both_languages(client, seeded):
    path = Case.objects.public().first().get_absolute_url()
    for url in [path, f"/ru{path}"]:
        html = client.get(url).content.decode()
        alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', html))
        assert alternates["en"].endswith(path)
        assert alternates["ru"].endswith(f"/ru{path}")
        assert alternates["x-default"] == alternates["en"]


def test_english_stays_where_it_was(client, seeded):
    """English readers keep every address, in English whatever their browser asks for."""
    for url in ["/", "/cases/", "/about/", "/people/", "/data/"]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 200, url
        assert response["Content-Language"] == "en"
        html = response.content.decode()
        assert '<html lang="en">' in html
        assert "Cases" in shown_text(html, "en")


def test_a_record_text_keeps_its_language_in_the_cache():
    """A cached page part may hold a record's text: unpickled, it still says what it is."""
    import pickle

    from defections.languages import Text

    kept = pickle.loads(pickle.dumps(Text("Шпион", "ru", True)))
    assert (kept, kept.lang, kept.fallback, type(kept)) == ("Шпион", "ru", True, Text)


def test_a_role_reads_in_russian_and_is_withheld_in_both(client, seeded):
    from defections.withholding import Withholding

    case = Case.objects.public().exclude(role="").order_by("pk").first()
    Case.objects.filter(pk=case.pk).update(role="Deputy minister", role_ru="Замминистра")
    path = case.get_absolute_url()
    assert "Замминистра" in client.get(f"/ru{path}").content.decode()
    english = client.get(path).content.decode()
    assert "Deputy minister" in english and "Замминистра" not in english
    Withholding.objects.create(case=case, field="role", reason="Safety")
    for url in [path, f"/ru{path}", "/api/v1/cases/?lang=all"]:
        html = client.get(url).content.decode()
        assert "Замминистра" not in html and "Deputy minister" not in html, url
    found = client.get("/ru/cases/", {"q": "Замминистра"}).context["page"]
    assert case.pk not in [shown.pk for shown in found]


def test_the_server_error_page_speaks_the_address_language(rf, settings):
    from django.urls import get_resolver
    from django.utils import translation

    settings.PUBLISHER_NAME = "Example Publisher"
    handler = get_resolver().resolve_error_handler(500)
    with translation.override("ru"):
        response = handler(rf.get("/ru/cases/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="ru">' in html and "Example Publisher" in html
    assert 'hreflang="en"' in html  # the switch, to the same address in English
    assert not untranslated(html, english_phrases())
