"""CSV cells that a spreadsheet would run as formulas (CSV injection).

A cell starting with = + - @ tab or CR is a formula to Excel and LibreOffice, and a case's
text is anyone's. OWASP's rule: start such a cell with ' (shown as text, not as a quote).
Every CSV we write goes through cell(); the admin import reads with uncell(), so an export
imports back exactly. A cell that already starts with quotes before a formula character
gets one more, so that uncell() can tell it from one we quoted.
"""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """text, quoted with ' if a spreadsheet would take it for a formula."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def uncell(text: str) -> str:
    """What cell() was given: one leading ' off a quoted formula."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START) else text
