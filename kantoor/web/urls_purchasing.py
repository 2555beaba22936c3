"""The purchasing pages (kantoor.web.views.purchasing), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
