"""Template context every page shares: the publisher and the licences for the footer, and the
page's address in each language (the switch and the hreflang alternates)."""

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language_info

from defections import languages
from defections import publisher as core


def publisher(request):
    return {"publisher": core.publisher(), "data_licence": core.DATA_LICENCE,
            "code_licence": core.CODE_LICENCE}


def languages_of(request):
    """[{code, name, url, current}] for this page: the same address and query string in each
    language, so a switch keeps the filters and a permalink works in either."""
    # One leading slash: "//host/…" would be a link to another site.
    here = "/" + request.get_full_path().lstrip("/")
    now = languages.current()
    return [{"code": code, "name": get_language_info(code)["name_local"],
             "url": translate_url(here, code), "current": code == now}
            for code, _name in settings.LANGUAGES]


def language_switch(request):
    return {"languages": languages_of(request), "language": languages.current()}
