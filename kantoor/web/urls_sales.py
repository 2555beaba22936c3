"""The sales pages (kantoor.web.views.sales), included by kantoor.web.urls."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
