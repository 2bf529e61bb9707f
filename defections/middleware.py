"""While PostgreSQL is unreachable, answer 503 with a clear page instead of a 500.

Django opens a new connection on the next request (CONN_HEALTH_CHECKS), so the site
recovers by itself when the database is back.
"""

from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

RETRY_AFTER_SECONDS = 10


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        close_old_connections()
        message = _("The database is unavailable for a moment. Please try again shortly.")
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            page = render_to_string("503.html", {"message": message}, request=request)
            response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class HealthCheckMiddleware:
    """/healthz/ for load balancers and docker: answered first, before the host check and the
    HTTPS redirect (a probe calls by IP, over plain HTTP), 200 when the database answers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz/":
            return self.get_response(request)
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except (OperationalError, InterfaceError):
            close_old_connections()
            return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        return HttpResponse("ok\n", content_type="text/plain")
