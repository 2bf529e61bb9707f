"""Template filters of the public pages that depend on the page's language: a person's name
(the Cyrillic one on a Russian page, when the reader is shown it: defections/names.py), an
agency's, a text's first words, a form's label."""

import re

from django import template
from django.template.defaultfilters import truncatewords
from django.utils.html import format_html
from django.utils.translation import get_language_info, pgettext

from defections import choices, languages
from defections.facets import agency_label
from defections.names import display_name

register = template.Library()


@register.filter
def person_name(person) -> str:
    """The name to call person by on this page (defections/names.py)."""
    return display_name(person)


@register.filter
def other_name(person) -> str:
    """The person's name in the other script, when it differs from person_name and is shown
    (the Latin name on a Russian page that names them in Cyrillic)."""
    if person is None:
        return ""
    shown = person_name(person)
    return person.name if shown != person.name else ""


@register.simple_tag
def excerpt(record, field: str, words: int = 40):
    """The first words of a translated text, marked with its language when it stands in for
    the page's (as {% translated %} marks a whole text)."""
    value = languages.text(record, field)
    if not value:
        return ""
    short = truncatewords(value, words)
    if not value.fallback:
        return short
    return format_html('<span class="untranslated" lang="{}">{}</span>', value.lang, short)


@register.filter
def form_label(value: str) -> str:
    """A form's label from its code (a retraction notice keeps the code alone)."""
    return str(dict(choices.Form.choices).get(value, value))



@register.filter
def agency_name(agency) -> str:
    """agency_label as markup: marked with its language when it stands in for the page's."""
    if agency is None:
        return ""
    name = languages.text(agency, "name")
    if not name.fallback:
        return agency_label(agency)
    return format_html('<span class="untranslated" lang="{}">{}</span>', name.lang, agency_label(agency))


def agency_short(agency) -> str:
    """An agency in a word where there is one: its acronym (on a Russian page its native
    name, "КГБ", when it has an acronym), else its name in the page's language."""
    if agency is None:
        return ""
    if agency.acronym:
        return agency.native_name if languages.current() == "ru" and agency.native_name else agency.acronym
    return str(languages.text(agency, "name"))


@register.filter
def case_label(case) -> str:
    """What a case is, for a link to it: "Geographic defection, 1954, KGB" (the form, the
    years of the date shown, the agency), from a record that came through the door, so a
    withheld date or an at-risk person's agency is blank there and left out here."""
    parts = [pgettext("case label", "%(form)s defection") % {"form": case.get_form_display()}]
    if case.date_start:
        first, last = case.date_start.year, (case.date_end or case.date_start).year
        parts.append(str(first) if first == last else f"{first}–{last}")
    if case.agency_id and case.agency:
        parts.append(agency_short(case.agency))
    return ", ".join(parts)


@register.filter
def by_source(citations) -> list:
    """Citations grouped under their source, each source once, in the order first cited:
    [(source, [citation, …]), …]."""
    groups: dict = {}
    for citation in citations:
        groups.setdefault(citation.source_id, (citation.source, []))[1].append(citation)
    return list(groups.values())


@register.filter
def language_name(code: str) -> str:
    """A language's name in the page's language ("English", "английский") from its ISO code;
    the code itself when Django does not know it."""
    try:
        name = str(get_language_info(code)["name_translated"])
    except KeyError:
        return code
    return name.lower() if languages.current() == "ru" else name


# Outer and inner quotation marks by the page's language.
QUOTES = {"ru": ("«", "»", "„", "“"), "en": ("“", "”", "‘", "’")}
INNER = re.compile(r'"([^"]*)"|“([^”]*)”|«([^»]*)»')


@register.filter
def quoted(value: str) -> str:
    """value in the page's quotation marks, the quotes inside it turned into the inner ones:
    “a ‘b’ c” in English, «a „b“ c» in Russian."""
    if not value:
        return ""
    start, end, inner_start, inner_end = QUOTES.get(languages.current(), QUOTES["en"])
    inner = INNER.sub(lambda m: f"{inner_start}{next(g for g in m.groups() if g is not None)}{inner_end}",
                      str(value))
    return f"{start}{inner}{end}"
