from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

# The site and the admin in each language: English at the unprefixed addresses (no link
# breaks), Russian under /ru/. The API chooses by ?lang= or Accept-Language instead.
urlpatterns = [
    path("api/v1/", include("defections.api.urls")),
    *i18n_patterns(
        path("admin/", admin.site.urls),
        path("", include("defections.web.urls")),
        prefix_default_language=False,
    ),
]

handler500 = "defections.web.errors.server_error"
