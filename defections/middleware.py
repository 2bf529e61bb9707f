"""Middleware of our own: the 503 while PostgreSQL is unreachable, the health check, the
read replica each request reads from, and cached public pages answered early.

While the database is down, Django opens a new connection on the next request
(CONN_HEALTH_CHECKS), so the site recovers by itself when the database is back.
"""

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from defections import routers
from defections.cache import current_version, keep, kept, key_for

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


class ReadReplicaMiddleware:
    """Gives each request the database it reads from (defections/routers.py): a read replica
    for a public read, the primary for anyone signed in, holding a token or pinned; and pins
    a browser to the primary for REPLICA_PIN_SECONDS after a request of its wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not routers.replicas():
            return self.get_response(request)
        public = (request.method in ("GET", "HEAD")
                  and settings.SESSION_COOKIE_NAME not in request.COOKIES
                  and routers.PIN_COOKIE not in request.COOKIES
                  and "HTTP_AUTHORIZATION" not in request.META)
        token = routers.begin(public)
        try:
            response = self.get_response(request)
            if routers.wrote():
                response.set_cookie(routers.PIN_COOKIE, "1", max_age=settings.REPLICA_PIN_SECONDS,
                                    httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
            if response.streaming:  # its body is read after this returns: in this scope too
                response.streaming_content = routers.streamed_in_scope(response.streaming_content)
        finally:
            routers.end(token)
        return response


class EarlyPageCacheMiddleware:
    """A cached public page answered before the session, auth and CSRF middleware.

    Only for a request that can only be the public's: GET or HEAD, no cookie at all (no
    session, no CSRF token, no pin), no Authorization header, not the API or the admin.
    The key is the page cache's (defections/cache.py): the data version read now, the day,
    the language taken from the URL (/ru/), the address as asked. What is kept is the answer
    as the middleware below this one finished it (language, Vary, X-Frame-Options, CSP), filled
    only from a page the page cache itself served to an anonymous reader with no cookie set;
    the middleware above (SecurityMiddleware) adds its headers to an early answer as to any.
    With a shared cache (CACHE_URL), a page one worker kept is a hit in every other.
    """

    SKIP = ("/api/", "/admin/", "/ru/admin/")
    HEADER = "X-Early-Cache"  # only with settings.EARLY_CACHE_MARK (the tests)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.method not in ("GET", "HEAD") or request.META.get("HTTP_COOKIE")
                or "HTTP_AUTHORIZATION" in request.META or request.path_info.startswith(self.SKIP)):
            return self.get_response(request)
        try:
            version = current_version()
        except (OperationalError, InterfaceError):
            return self.get_response(request)  # the normal way answers 503
        if version is None:
            return self.get_response(request)
        key = self.key(request, version)
        answer = kept(key)
        if answer is not None:
            status, headers, content = answer
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            if getattr(settings, "EARLY_CACHE_MARK", False):
                response[self.HEADER] = "hit"
            return response
        request.data_version = version  # the page cache keys by the same version
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (getattr(response, "public_page", False) and not response.streaming and not response.cookies
                and user is not None and not user.is_authenticated and not routers.wrote()):
            keep(key, (response.status_code, list(response.items()), response.content))
        return response

    @staticmethod
    def key(request, version: int) -> str:
        """Keyed by the language the URL asks for (/ru/), before LocaleMiddleware sets it."""
        language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        return key_for("early", request.build_absolute_uri(), version, language)
