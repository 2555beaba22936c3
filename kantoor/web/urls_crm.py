"""The crm pages (kantoor.web.views.crm, crm_leads and crm_pipeline), included by
kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import crm, crm_leads, crm_pipeline

urlpatterns: list[URLPattern] = [*crm_leads.urlpatterns, *crm_pipeline.urlpatterns, *crm.urlpatterns]
