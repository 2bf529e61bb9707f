"""What to call a person in the reader's language: on a Russian page or citation the Cyrillic
name the reader is shown, else the Latin name.

Only a record that came through `redaction.redact` (it carries `withheld`) is trusted with
its Cyrillic name: an at-risk person's or a withheld one is blank there, and a record that
skipped the door is named in Latin rather than risk showing it.
"""

from defections import languages


def shown_native(person) -> str:
    """The Cyrillic name, if the door let the reader see it."""
    if person is None or getattr(person, "withheld", None) is None:
        return ""
    if "native_name" in person.withheld or getattr(person, "redacted", False):
        return ""
    return person.native_name or ""


def display_name(person, lang: str | None = None) -> str:
    """The name to call person by in lang (the current language by default)."""
    if person is None:
        return ""
    lang = languages.normalize(lang) or languages.current()
    return (shown_native(person) if lang == "ru" else "") or person.name
