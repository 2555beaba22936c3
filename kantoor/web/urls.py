from django.urls import path

from kantoor.web import (
    urls_activities,
    urls_catalog,
    urls_crm,
    urls_inventory,
    urls_inventory_reports,
    urls_inventory_settings,
    urls_manufacturing,
    urls_purchasing,
    urls_sales,
)
from kantoor.web.views import (
    auth,
    finance_settings,
    invoice_documents,
    invoices,
    ledger,
    organisation,
    parties,
    payments,
    reports,
    shell,
    vat_aging,
)

app_name = "web"

urlpatterns = [
    path("", shell.home, name="home"),
    path("search/", shell.search, name="search"),
    path("language/", shell.set_language, name="set-language"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.logout, name="logout"),
    path("password/change/", auth.password_change, name="password-change"),
    path("password/change/done/", auth.password_change_done, name="password-change-done"),
    path("password/reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", auth.password_reset_done, name="password-reset-done"),
    path("password/reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password-reset-confirm"),
    path("password/reset/complete/", auth.password_reset_complete, name="password-reset-complete"),
    path("parties/", parties.party_list, name="party-list"),
    path("parties/new/", parties.party_create, name="party-create"),
    path("parties/picker/", parties.party_picker, name="party-picker"),
    path("parties/<int:party_id>/", parties.party_detail, name="party-detail"),
    path("parties/<int:party_id>/edit/", parties.party_edit, name="party-edit"),
    path("parties/<int:party_id>/archive/", parties.party_archive, name="party-archive"),
    path("parties/<int:party_id>/merge/", parties.party_merge, name="party-merge"),
    path("settings/company/", organisation.company_edit, name="company-edit"),
    path("settings/users/", organisation.user_list, name="user-list"),
    path("settings/users/new/", organisation.user_create, name="user-create"),
    path("settings/teams/", organisation.team_list, name="team-list"),
    path("settings/teams/new/", organisation.team_create, name="team-create"),
    path("settings/teams/<int:team_id>/", organisation.team_edit, name="team-edit"),
]

# Finance's pages: each module keeps its own routes (under finance/).
urlpatterns += ledger.urlpatterns + reports.urlpatterns + invoices.urlpatterns + payments.urlpatterns
urlpatterns += vat_aging.urlpatterns + invoice_documents.urlpatterns
urlpatterns += finance_settings.urlpatterns

# Each app's pages in a file of their own, so apps add pages without touching this list.
for app_urls in (
    urls_catalog,
    urls_inventory,
    urls_inventory_reports,
    urls_inventory_settings,
    urls_purchasing,
    urls_manufacturing,
    urls_activities,
    urls_sales,
    urls_crm,
):
    urlpatterns += app_urls.urlpatterns
