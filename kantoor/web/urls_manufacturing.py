"""The manufacturing pages (kantoor.web.views.manufacturing), included by kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import manufacturing

urlpatterns: list[URLPattern] = list(manufacturing.urlpatterns)
