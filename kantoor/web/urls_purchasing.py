"""The purchasing pages (kantoor.web.views.purchasing), included by kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import purchasing

urlpatterns: list[URLPattern] = list(purchasing.urlpatterns)
