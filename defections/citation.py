"""How to cite a case or a release: one CSL-JSON item, and BibTeX, RIS and meta tags from it.

The item is built only from what the public is shown: a case must come through the door
(`visible_to` + `redaction.redact`), so an at-risk person's case is cited by name, form
and year alone, and a withheld date is not in its title. The author is the publisher, as
an institution; the version is the latest release's. BibTeX values are LaTeX-escaped
(specials and braces) with UTF-8 left as it is, which biber and bibtexparser read; every
value is one line (RIS allows no line breaks inside a value). A citation is written in the
reader's language (the page's: /ru/… cites in Russian), the record's text in it or marked
as the other's.
"""

import json
import re
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.utils import dateformat
from django.utils.translation import gettext as _

from defections import languages, publisher, releases
from defections.models import CaseEvent
from defections.names import display_name

BIBTEX_LANGUAGES = {"en": "english", "ru": "russian"}  # biblatex's (babel's) names
# CSL type -> (RIS type, BibTeX entry type). A case is a record in a database (CSL
# "entry"), a release a dataset; BibTeX's @misc is the type both BibTeX and biblatex read
# with a URL, a version and an access date.
TYPES = {"entry": ("DBASE", "misc"), "dataset": ("DATA", "misc")}


def published(queryset):
    """Cases with `first_published`: when each was first saved as published (the change
    history keeps it; the case row does not), in the same query."""
    first = (CaseEvent.objects.filter(pgh_obj_id=OuterRef("pk"), status="published")
             .order_by("pgh_created_at").values("pgh_created_at")[:1])
    return queryset.annotate(first_published=Subquery(first))


def one_line(text) -> str:
    return " ".join(str(text).split())


def parts(day) -> dict:
    return {"date-parts": [[day.year, day.month, day.day]]}


def latest_version() -> str | None:
    listed = releases.listed()
    return listed[0]["version"] if listed else None


def _item(**fields) -> dict:
    """A CSL item of the fields that have a value, every text on one line."""
    item = {}
    for key, value in fields.items():
        if value in (None, "", []):
            continue
        item[key.replace("_", "-")] = one_line(value) if isinstance(value, str) else value
    return item


def licence_label() -> str:
    return _("Licence:")


def licence_text(licence: dict) -> str:
    return f"{licence['title']} ({licence['url']})"


def case_title(case) -> str:
    """What the case page's heading says: the shown name, the form and the shown date."""
    when = f", {case.date}" if case.date else ""
    return _("%(name)s: %(form)s defection") % {
        "name": display_name(case.person), "form": case.get_form_display().lower()} + when


def long_date(day) -> str:
    """"22 June 1941", "22 июня 1941"."""
    return dateformat.format(day, _("j F Y"))


def shown_dates(case) -> tuple:
    """(first published, last changed) of a case as the public is shown it: neither of an
    at-risk person's case, whose change times are not public."""
    if getattr(case, "redacted", False):
        return None, None
    return getattr(case, "first_published", None), case.updated_at


def for_case(case, url: str, accessed: date) -> dict:
    """The CSL item of a case as its reader was shown it (case: already redacted)."""
    name = publisher.publisher()["name"]
    issued, changed = shown_dates(case)
    note = _("Record %(id)s") % {"id": case.pk} + (
        _("; last changed %(day)s") % {"day": long_date(changed)} if changed else "")
    summary = "" if getattr(case, "redacted", False) else languages.text(case, "summary")
    if getattr(summary, "fallback", False):
        summary = ""  # the item is in the reader's language: another language's text is no abstract of it
    return _item(
        id=f"defection-case-{case.pk}", type="entry", title=case_title(case),
        author=[{"literal": name}], publisher=name, container_title=_(publisher.TITLE),
        version=latest_version(), issued=parts(issued) if issued else None,
        accessed=parts(accessed), URL=url, number=str(case.pk), note=note,
        abstract=str(summary), language=languages.current(),
        license=licence_text(publisher.DATA_LICENCE))


def for_release(manifest: dict) -> dict:
    """The CSL item of a release (its manifest); its address is the site's /data/ page as
    the release names it (as its datapackage.json's homepage does)."""
    url = f"{manifest['base_url'].rstrip('/')}/data/"
    name = (manifest.get("publisher") or publisher.publisher())["name"]
    created = datetime.fromisoformat(manifest["created_at"])
    licence = manifest.get("licence") or publisher.DATA_LICENCE
    version = manifest["version"]
    return _item(
        id=f"defection-dataset-{version}", type="dataset",
        title=manifest.get("title") or _(publisher.TITLE), author=[{"literal": name}],
        publisher=name, version=version, issued=parts(created), URL=url,
        note=_("Release %(version)s") % {"version": version}, language=languages.current(),
        license=licence_text(licence))


# --- the formats --------------------------------------------------------------------------


def _day(value: dict | None) -> date | None:
    return date(*value["date-parts"][0]) if value else None


def csl_json(item: dict) -> str:
    """A CSL-JSON file: an array of items."""
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
         "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}
SPECIAL = re.compile("|".join(re.escape(c) for c in LATEX))


def latex(text: str) -> str:
    return SPECIAL.sub(lambda m: LATEX[m.group()], text)


def bibtex(item: dict) -> str:
    """A BibTeX entry; the author and title in double braces, kept as written."""
    issued, accessed = _day(item.get("issued")), _day(item.get("accessed"))
    kind = TYPES[item["type"]][1]
    fields = [
        ("author", "{" + latex(item["author"][0]["literal"]) + "}"),
        ("title", "{" + latex(item["title"]) + "}"),
        ("howpublished", latex(item.get("container-title", _("Dataset")))),
        ("publisher", latex(item["publisher"])),
        ("year", str(issued.year) if issued else None),
        ("date", issued.isoformat() if issued else None),
        ("version", latex(item.get("version", ""))),
        ("url", item.get("URL")),  # verbatim in biblatex and the url package
        ("urldate", accessed.isoformat() if accessed else None),
        ("abstract", latex(item.get("abstract", ""))),
        ("note", latex(f"{item['note']}. {licence_label()} {item['license']}")),
        ("language", BIBTEX_LANGUAGES.get(item.get("language"), "english")),
    ]
    body = ",\n".join(f"  {key} = {{{value}}}" for key, value in fields if value)
    return f"@{kind}{{{item['id']},\n{body}\n}}\n"


def ris(item: dict) -> str:
    """An RIS record: one `TAG  - value` a line, from TY to ER."""
    issued, accessed = _day(item.get("issued")), _day(item.get("accessed"))
    lines = [
        ("TY", TYPES[item["type"]][0]),
        ("ID", item["id"]),
        ("AU", item["author"][0]["literal"]),
        ("TI", item["title"]),
        ("T2", item.get("container-title")),
        ("DB", item.get("container-title")),
        ("PB", item["publisher"]),
        ("PY", str(issued.year) if issued else None),
        ("DA", f"{issued:%Y/%m/%d}" if issued else None),
        ("ET", item.get("version")),
        ("UR", item.get("URL")),
        ("Y2", f"{accessed:%Y/%m/%d}" if accessed else None),
        ("AB", item.get("abstract")),
        ("N1", item["note"]),
        ("N1", f"{licence_label()} {item['license']}"),
        ("LA", item.get("language")),
    ]
    body = "".join(f"{tag}  - {one_line(value)}\r\n" for tag, value in lines if value)
    return body + "ER  - \r\n"


FORMATS = {  # fmt in the URL -> (render, content type, file extension)
    "bib": (bibtex, "application/x-bibtex", "bib"),
    "ris": (ris, "application/x-research-info-systems", "ris"),
    "json": (csl_json, "application/vnd.citationstyles.csl+json", "json"),
}


# --- the case page ------------------------------------------------------------------------


def text(item: dict, changed=None) -> str:
    """The citation as a sentence, up to the URL (the page adds the link and access date)."""
    issued = _day(item.get("issued"))
    title = _("“%(title)s.”") % {"title": item["title"]}
    bits = [f"{item['author'][0]['literal']}. {title} {item.get('container-title', '')}".strip(),
            _("record %(id)s") % {"id": item["number"]} if "number" in item else None,
            _("version %(version)s") % {"version": item["version"]} if "version" in item else None]
    dates = "; ".join(d for d in [
        _("first published %(day)s") % {"day": long_date(issued)} if issued else None,
        _("last changed %(day)s") % {"day": long_date(changed)} if changed else None] if d)
    sentence = ", ".join(b for b in bits if b) + "."
    return f"{sentence} {dates[:1].upper()}{dates[1:]}." if dates else sentence


def meta(item: dict) -> list[tuple[str, str]]:
    """Highwire Press and Dublin Core tags (what Zotero's Embedded Metadata reads)."""
    issued = _day(item.get("issued"))
    author = item["author"][0]["literal"]
    tags = [
        ("citation_title", item["title"]), ("citation_author", author),
        ("citation_publisher", item["publisher"]),
        ("citation_date", f"{issued:%Y/%m/%d}" if issued else None),
        ("citation_publication_date", f"{issued:%Y/%m/%d}" if issued else None),
        ("citation_public_url", item.get("URL")), ("citation_abstract_html_url", item.get("URL")),
        ("citation_language", item.get("language")), ("citation_abstract", item.get("abstract")),
        ("DC.title", item["title"]), ("DC.creator", author), ("DC.publisher", item["publisher"]),
        ("DC.date", issued.isoformat() if issued else None), ("DC.identifier", item.get("URL")),
        ("DC.rights", item["license"]), ("DC.type", "Dataset"),
        ("DC.language", item.get("language")), ("DC.description", item.get("abstract")),
    ]
    return [(name, value) for name, value in tags if value]


def case_page(case, url: str, accessed: date) -> dict:
    """What the case page's "Cite this record" and <head> show (case: already redacted)."""
    item = for_case(case, url, accessed)
    return {"item": item, "text": text(item, shown_dates(case)[1]), "meta": meta(item)}
