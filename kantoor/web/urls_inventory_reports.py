"""The stock report pages (kantoor.web.views.inventory_reports), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
