"""The stock accounts page (kantoor.web.views.inventory_settings), included by kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import inventory_settings

urlpatterns: list[URLPattern] = [*inventory_settings.urlpatterns]
