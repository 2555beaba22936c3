"""The manufacturing pages (kantoor.web.views.manufacturing), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
