"""Marking the words a search matched: full-text hits in the summary, near misses in names."""

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import mark_safe

from defections.search import name_variants

# SearchHeadline's markers: characters no summary contains, swapped for <mark> after escaping.
START, STOP = "\u2063[[", "]]\u2063"
NAME_SIMILARITY = 0.3  # pg_trgm's own default threshold


def marked(text: str) -> str:
    """A SearchHeadline result as safe HTML: escaped, with its hits in <mark>."""
    html = escape(text or "").replace(escape(START), "<mark>").replace(escape(STOP), "</mark>")
    return mark_safe(html)


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
    """The name as HTML, each word close to a word of q (or its transliteration) in <mark>."""
    words = {w for variant in name_variants(" ".join((q or "").split()))
             for w in re.findall(r"\w+", variant)}
    if not words:
        return escape(name)
    parts = re.split(r"(\w+)", name)
    out = []
    for part in parts:
        if part and re.fullmatch(r"\w+", part) and any(
                similarity(part, w) >= NAME_SIMILARITY for w in words):
            out.append(f"<mark>{escape(part)}</mark>")
        else:
            out.append(escape(part))
    return mark_safe("".join(out))
