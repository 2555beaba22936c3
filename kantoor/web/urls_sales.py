"""The sales pages (kantoor.web.views.sales and sales_returns), included by kantoor.web.urls."""

from django.urls import URLPattern

from kantoor.web.views import sales, sales_returns

urlpatterns: list[URLPattern] = list(sales.urlpatterns) + list(sales_returns.urlpatterns)
