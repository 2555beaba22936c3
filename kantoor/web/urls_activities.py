"""The activities pages (kantoor.web.views.activities), included by kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import activities

urlpatterns: list[URLPattern] = list(activities.urlpatterns)
