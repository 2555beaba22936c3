"""The catalog pages (kantoor.web.views.catalog), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
