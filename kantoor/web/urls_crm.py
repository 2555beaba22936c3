"""The crm pages (kantoor.web.views.crm), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
