from csp.decorators import csp_update
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.routers import APIRootView, DefaultRouter

from defections.api import views
from defections.api.analysis import AnalysisView
from defections.api.changes import ChangesView
from defections.api.languages import PARAMETER, LanguageMixin, from_header, normalize
from defections.api.parsers import JSONParser
from defections.api.serializers import TokenRequestSerializer

app_name = "api"



class RootView(LanguageMixin, APIRootView):
    """The API's index, answering in the request's language like the rest."""


router = DefaultRouter()
router.APIRootView = RootView
router.register("cases", views.CaseViewSet, basename="case")
router.register("people", views.PersonViewSet, basename="person")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("sources", views.SourceViewSet, basename="source")
router.register("periods", views.PeriodViewSet, basename="period")
router.register("affiliations", views.AffiliationViewSet, basename="affiliation")



class TokenView(LanguageMixin, ObtainAuthToken):
    """DRF's token view, answering in the request's language like the rest."""


class SchemaView(LanguageMixin, SpectacularAPIView):
    """The OpenAPI schema in the request's language (?lang=, else Accept-Language): the
    generator runs and renders with it active, so every lazily translated text follows."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        with patched_settings(self.custom_settings):
            return self._get_schema_response(request)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other address under /api/v1/ (a bad id such as 0.5): a 404 in JSON, like the rest."""
    language = normalize(request.GET.get(PARAMETER)) or from_header(request)
    with translation.override(language):
        response = JsonResponse({"detail": gettext("Not found.")}, status=404)
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


urlpatterns = [
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("analysis/", AnalysisView.as_view(), name="analysis"),
    path("changes/", ChangesView.as_view(), name="changes"),
    # DRF's token view names its own parsers: ours for JSON, so its bounds hold here too.
    path("auth/token/", TokenView.as_view(parser_classes=[JSONParser, FormParser, MultiPartParser],
                                                 serializer_class=TokenRequestSerializer),
         name="token"),
    path("schema/", SchemaView.as_view(), name="schema"),
    # The split view serves its script as a file, so the Content Security Policy still forbids
    # inline scripts here; Swagger UI's page does need its inline <style>.
    path("docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("", include(router.urls)),
    re_path(r"", not_found),
]
