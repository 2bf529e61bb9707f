"""Template tags for the texts researchers write in two languages (defections/languages.py).

`{% translated case "summary" %}` shows the text in the page's language, or the other
language's text marked as such, with its own `lang` so screen readers read it right.
`{{ case|text:"summary" }}` is the plain text, for attributes and titles.
"""

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import format_html
from django.utils.translation import gettext as _

from defections import languages

register = template.Library()


@register.filter
def text(record, field: str) -> str:
    return languages.text(record, field)


@register.simple_tag
def translated(record, field: str, paragraphs: bool = False, element: str = "span"):
    """The text in the page's language; in the other language, marked, when it has none."""
    value = languages.text(record, field)
    if not value:
        return ""
    body = linebreaks_filter(value, autoescape=True) if paragraphs else value
    if paragraphs:
        element = "div"
    if not value.fallback:
        return format_html("<{0}>{1}</{0}>", element, body) if paragraphs else body
    note = _("Not yet translated; shown in English.") if value.lang == "en" else \
        _("Not yet translated; shown in Russian.")
    return format_html('<{0} class="untranslated" lang="{1}">{2}</{0}> '
                       '<small class="untranslated-note">({3})</small>', element, value.lang, body, note)
