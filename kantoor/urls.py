"""Composition root of URLs: the web UI, the API at /api/v1/ and the admin."""

from django.contrib import admin
from django.urls import include, path

from kantoor.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("kantoor.web.urls")),
]
