"""The server-error page in the address's language, with the site's header and footer.

Django's own handler renders 500.html without a request, so the page had no language, no
switch and no publisher. This one renders it with the request, and falls back to Django's
when even that fails (the page must never raise).
"""

from django.http import HttpResponseServerError
from django.template.loader import render_to_string
from django.views import defaults


def server_error(request):
    try:
        return HttpResponseServerError(render_to_string("500.html", request=request))
    except Exception:  # noqa: BLE001 - the last resort must answer
        return defaults.server_error(request)
