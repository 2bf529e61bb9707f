"""Template filters of the public pages that depend on the page's language: a person's name
(the Cyrillic one on a Russian page, when the reader is shown it: defections/names.py), an
agency's, a text's first words, a form's label."""

from django import template
from django.template.defaultfilters import truncatewords
from django.utils.html import format_html

from defections import choices, languages
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


def agency_label(agency) -> str:
    """An agency as its page names it, "Federal Security Service (FSB)", in the page's
    language (plain text: for titles and sentences)."""
    name = languages.text(agency, "name")
    return f"{name} ({agency.acronym})" if agency.acronym else str(name)


@register.filter
def agency_name(agency) -> str:
    """agency_label as markup: marked with its language when it stands in for the page's."""
    if agency is None:
        return ""
    name = languages.text(agency, "name")
    if not name.fallback:
        return agency_label(agency)
    return format_html('<span class="untranslated" lang="{}">{}</span>', name.lang, agency_label(agency))
