from django.contrib.sitemaps import views as sitemaps
from django.urls import path

from defections.web import agencies, crawlers, sources, views
from defections.web.analysis import analysis_page
from defections.web.citation import case_citation, release_citation
from defections.web.data import data_list, release_file
from defections.web.feeds import case_feed

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("analysis/", analysis_page, name="analysis"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/feed/", case_feed, name="case-feed"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/citation.<str:fmt>/", case_citation, name="case-citation"),
    path("data/", data_list, name="data"),
    path("data/<str:version>/citation.<str:fmt>/", release_citation, name="release-citation"),
    path("data/<str:version>/<str:filename>", release_file, name="release-file"),
    path("people/", views.person_list, name="people-list"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("agencies/", agencies.agency_list, name="agency-list"),
    path("agencies/<int:pk>/", agencies.agency_detail, name="agency-detail"),
    path("sources/", sources.source_list, name="source-list"),
    path("sources/<int:pk>/", sources.source_detail, name="source-detail"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("robots.txt", crawlers.robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemaps.index,
         {"sitemaps": crawlers.SITEMAPS, "sitemap_url_name": "sitemap-section"}, name="sitemap-index"),
    path("sitemap-<section>.xml", sitemaps.sitemap, {"sitemaps": crawlers.SITEMAPS}, name="sitemap-section"),
]
