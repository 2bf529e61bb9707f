from django.urls import path

from defections.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
]
