"""The activities pages (kantoor.web.views.activities), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
