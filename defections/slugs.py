"""Slugs a client need not invent: derived from the name when none is given.

A slug is part of a record's public address and filters (`agency=fsb`), so it is unique:
the name's slug, else that with `-2`, `-3`, … The admin, the API and the CSV import ask here.
"""

from django.utils.text import slugify

from defections.search import transliterate


def unique_slug(model, name: str, field: str = "slug", exclude_pk=None) -> str:
    """The slug of name (Cyrillic transliterated) not yet taken in model."""
    max_length = model._meta.get_field(field).max_length
    base = slugify(transliterate(name))[:max_length].strip("-") or model._meta.model_name
    taken = set(model._default_manager.exclude(pk=exclude_pk)
                .filter(**{f"{field}__startswith": base[:max_length - 8]}).values_list(field, flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        suffix = f"-{n}"
        slug = base[:max_length - len(suffix)].rstrip("-") + suffix
    return slug
