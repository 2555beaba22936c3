"""The inventory pages (kantoor.web.views.inventory), included by kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import inventory

urlpatterns: list[URLPattern] = [*inventory.urlpatterns]
