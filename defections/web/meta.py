"""Template tags for a page's description to search engines and link previews.

A Django block renders once, but a page's title and description are wanted twice: in
<title> and <meta name="description">, and again in the Open Graph tags. `block_text`
renders a block of the page (the child's, else the base's) once more, as one line.
"""

from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def block_text(context, name: str) -> str:
    """The page's block `name` rendered again (autoescaped as it was), whitespace collapsed."""
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
    block = blocks.get_block(name) if blocks else None
    if block is None:
        return ""
    with context.push(block=block):
        rendered = block.nodelist.render(context)
    return mark_safe(" ".join(rendered.split()))  # noqa: S308 - rendered by the template engine


@register.simple_tag
def og_locale(code: str) -> str:
    """The Open Graph locale of a language code (ru: ru_RU)."""
    return {"en": "en_GB", "ru": "ru_RU"}.get(code, code)
