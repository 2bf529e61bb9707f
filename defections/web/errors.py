"""The site's own error pages: in the address's language, with the header and footer, and
in development too.

Django's own handler renders 500.html without a request, so the page had no language, no
switch and no publisher. This one renders it with the request, and falls back to Django's
when even that fails (the page must never raise).

With DEBUG on (`make run`), Django answers a missing page with its technical 404, which
says nothing a reader needs and overflows a phone. `SiteErrorPages` answers the public
pages' 404s with the site's own page instead, as production does; DEBUG_ERROR_PAGES=0
brings Django's back. The admin and the API keep theirs.
"""

from django.conf import settings
from django.http import Http404, HttpResponseServerError
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import get_language_from_path
from django.views import defaults

# Addresses whose errors are not the site's pages (after the language prefix, if any).
NOT_PUBLIC = ("/admin/", "/api/", "/static/")


def server_error(request):
    try:
        return HttpResponseServerError(render_to_string("500.html", request=request))
    except Exception:  # noqa: BLE001 - the last resort must answer
        return defaults.server_error(request)


def is_public(path: str) -> bool:
    lang = get_language_from_path(path)
    bare = path[len(lang) + 1:] if lang and path.startswith(f"/{lang}/") else path
    return not bare.startswith(NOT_PUBLIC)


class SiteErrorPages:
    """In development (DEBUG), a public page that is not found gets the site's 404 page,
    not Django's technical one (DEBUG_ERROR_PAGES, on by default). Placed last, so the
    language is known; a missing address is resolved here first, as Django's technical
    page would answer it before any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def applies(self, request) -> bool:
        return (settings.DEBUG and getattr(settings, "DEBUG_ERROR_PAGES", True)
                and is_public(request.path_info))

    def __call__(self, request):
        if self.applies(request):
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return defaults.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and self.applies(request):
            return defaults.page_not_found(request, exception)
        return None
