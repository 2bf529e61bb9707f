"""Marking the words a search matched: full-text hits in the summary, near misses in names.

Both languages: the English summary is marked with the 'english' configuration, the Russian
one (`summary_ru`) with 'russian', and a name's word is marked when it, or its Latin
transliteration, is close to a word of the query or of the query's transliteration
("Bondarev" marks "Бондарев", "Бондарев" marks "Bondarev").
"""

import re
import unicodedata

from django.contrib.postgres.search import SearchHeadline
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from defections import languages
from defections.search import name_variants, text_query, transliterate

# SearchHeadline's markers: characters no summary contains, swapped for <mark> after escaping.
START, STOP = "\u2063[[", "]]\u2063"
NAME_SIMILARITY = 0.3  # pg_trgm's own default threshold
# The annotation holding each language's marked summary, and the configuration reading it.
HEADLINES = {"en": ("headline", "english"), "ru": ("headline_ru", "russian")}


def marked(text: str) -> str:
    """A SearchHeadline result as safe HTML: escaped, with its hits in <mark>."""
    html = escape(text or "").replace(escape(START), "<mark>").replace(escape(STOP), "</mark>")
    return mark_safe(html)


def with_headlines(rows, q: str):
    """rows with their summary's hits for q marked, in each language (see summary_html)."""
    return rows.annotate(**{
        name: SearchHeadline(languages.column("summary", lang), text_query(q, config), config=config,
                             start_sel=START, stop_sel=STOP, highlight_all=True)
        for lang, (name, config) in HEADLINES.items()})


def summary_html(case) -> str:
    """The case's summary in the page's language with its hits marked (rows annotated by
    with_headlines); in the other language, marked as such, when it has none. The summary
    read is the redacted one: a summary the reader may not see is no headline either."""
    summary = languages.text(case, "summary")
    if not summary:
        return ""
    html = marked(getattr(case, HEADLINES[summary.lang][0], None) or summary)
    if not summary.fallback:
        return html
    note = _("Not yet translated; shown in English.") if summary.lang == "en" else \
        _("Not yet translated; shown in Russian.")
    return format_html('<span class="untranslated" lang="{}">{}</span> '
                       '<small class="untranslated-note">({})</small>', summary.lang, html, note)


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two words."""
    ta, tb = _trigrams(_plain(a)), _trigrams(_plain(b))
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def highlight_name(name: str, q: str) -> str:
    """The name as HTML, each word close to a word of q (or its transliteration) in <mark>;
    a Cyrillic word of the name is also compared as its transliteration."""
    words = {w for variant in name_variants(" ".join((q or "").split()))
             for w in re.findall(r"\w+", variant)}
    if not words:
        return escape(name)
    parts = re.split(r"(\w+)", name)
    out = []
    for part in parts:
        if part and re.fullmatch(r"\w+", part) and any(
                similarity(form, w) >= NAME_SIMILARITY for form in {part, transliterate(part)}
                for w in words):
            out.append(f"<mark>{escape(part)}</mark>")
        else:
            out.append(escape(part))
    return mark_safe("".join(out))
