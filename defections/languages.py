"""The record's two languages: which texts researchers write in both, and which one a reader gets.

English is kept in the field's own column (`summary`), Russian beside it in the same row
(`summary_ru`): the list queries, the search vector and the history stay one row per record.
A reader asking for one language gets the other when the first is missing, marked as such
(`Text.fallback`), never silently.
"""

from __future__ import annotations

from django.utils import translation

DEFAULT = "en"
CODES = ("en", "ru")

# The texts researchers write, by model name: each has an English and a Russian column.
TRANSLATED = {
    "Case": ("role", "summary", "narrative", "retraction_note"),
    "Person": ("bio",),
    "Agency": ("name", "description"),
    "Affiliation": ("role",),
    "Period": ("name", "description"),
    "Motive": ("name", "description"),
    "Response": ("description",),
    "Withholding": ("reason",),
}


def column(field: str, lang: str) -> str:
    """The column holding field in lang: `summary` (English), `summary_ru` (Russian)."""
    return field if lang == DEFAULT else f"{field}_{lang}"


def columns(field: str) -> tuple[str, ...]:
    """Every column of a translated field, English first."""
    return tuple(column(field, lang) for lang in CODES)


def translated_fields(model) -> tuple[str, ...]:
    return TRANSLATED.get(model.__name__ if isinstance(model, type) else type(model).__name__, ())


def normalize(code: str | None) -> str | None:
    """A language code we serve ("ru-RU" -> "ru"), or None."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code in CODES else None


def current() -> str:
    """The language being served now (set from the URL by LocaleMiddleware, or by the API)."""
    return normalize(translation.get_language()) or DEFAULT


class Text(str):
    """A record's text as served: `lang` is the language it is written in, `fallback` whether it
    stands in for the language asked (which has no text yet)."""

    lang: str
    fallback: bool

    def __new__(cls, value: str, lang: str, fallback: bool = False):
        text = super().__new__(cls, value)
        text.lang, text.fallback = lang, fallback
        return text

    def __reduce__(self):  # kept in the cache whole, its language and fallback with it
        return Text, (str(self), self.lang, self.fallback)


def text(record, field: str, lang: str | None = None) -> Text:
    """record's field in lang (the current language by default), else in the other language."""
    lang = normalize(lang) or current()
    for candidate in (lang, *(code for code in CODES if code != lang)):
        name = column(field, candidate)
        value = (record.get(name) if isinstance(record, dict) else getattr(record, name, "")) or ""
        if value:
            return Text(value, candidate, candidate != lang)
    return Text("", lang)
