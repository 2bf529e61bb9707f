"""Template filters of the public pages that depend on the page's language.

A person is named on a Russian page by the Cyrillic name the reader is shown, else by the
Latin name. Only a record that came through `visibility.redact` (it carries `withheld`) is
trusted to show its Cyrillic name: an at-risk person's or a withheld one is blank there,
and a record that skipped the door is named in Latin rather than risk showing it.
"""

from django import template
from django.utils.html import format_html

from defections import languages

register = template.Library()


def shown_native(person) -> str:
    if person is None or getattr(person, "withheld", None) is None:
        return ""
    if "native_name" in person.withheld or getattr(person, "redacted", False):
        return ""
    return person.native_name or ""


@register.filter
def person_name(person) -> str:
    """The name to call person by on this page."""
    if person is None:
        return ""
    native = shown_native(person) if languages.current() == "ru" else ""
    return native or person.name


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
    from django.template.defaultfilters import truncatewords

    value = languages.text(record, field)
    if not value:
        return ""
    short = truncatewords(value, words)
    if not value.fallback:
        return short
    return format_html('<span class="untranslated" lang="{}">{}</span>', value.lang, short)
