"""The inventory pages (kantoor.web.views.inventory), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
