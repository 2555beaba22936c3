"""Finance's step of `kantoor init`: `--chart generic|nl|none` installs a chart of accounts
(default: the Dutch chart for a Dutch company, the generic one otherwise) and opens the
current fiscal year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core.models import Company, User
from kantoor.finance import services
from kantoor.finance.charts import TEMPLATES


def init_arguments(parser: Any) -> None:
    parser.add_argument(
        "--chart",
        choices=[*TEMPLATES, "none"],
        default=None,
        help=_("Chart of accounts: nl (RGS-based), generic, or none (default: nl for a Dutch company)."),
    )


def init_run(company: Company, admin: User, options: Mapping[str, Any]) -> str:
    chart = options.get("chart") or ("nl" if company.country == "NL" else "generic")
    if chart == "none":
        return ""
    services.chart_install(actor=admin, template=chart)
    year = services.fiscal_year_create(actor=admin, year=company.fiscal_year_of(timezone.localdate()))
    return _("Installed the %(chart)s chart of accounts and opened fiscal year %(year)s.") % {
        "chart": TEMPLATES[chart].name,
        "year": year.year,
    }
