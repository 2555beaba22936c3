"""The stock report pages (kantoor.web.views.inventory_reports), included by kantoor.web.urls."""

from django.urls import URLPattern, path

from kantoor.web.views import inventory_reports

urlpatterns: list[URLPattern] = [
    path("inventory/reports/on-hand/", inventory_reports.stock_on_hand, name="stock-on-hand"),
    path("inventory/reports/valuation/", inventory_reports.stock_valuation, name="stock-valuation"),
]
