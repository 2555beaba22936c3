"""`kantoor stock reorder`: run the reorder check (kantoor.inventory.reordering) for every
company, or one; meant for cron or a scheduler, e.g. every hour."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from kantoor.core.models import Company
from kantoor.inventory.reordering import reorder_check


class Command(BaseCommand):
    help = _(
        "Stock maintenance. `reorder` proposes purchases or production for products below their minimum."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reorder = sub.add_parser(
            "reorder",
            help=_(
                "Compare each active reorder rule's forecast with its minimum and propose "
                "(StockBelowMinimum) what brings it back to the maximum."
            ),
        )
        reorder.add_argument("--company", type=int, default=None, help=_("Only this company (id)."))

    def handle(self, *args: Any, **options: Any) -> None:
        companies = Company.objects.order_by("pk").values_list("pk", flat=True)
        if options["company"] is not None:
            companies = companies.filter(pk=options["company"])
        total = 0
        for company_id in companies:
            for proposal in reorder_check(company_id=company_id):
                total += 1
                self.stdout.write(
                    _(
                        "company %(company)s: rule %(rule)s proposes %(quantity)s of product "
                        "%(product)s (%(route)s)"
                    )
                    % {
                        "company": company_id,
                        "rule": proposal.rule_id,
                        "quantity": f"{proposal.quantity.normalize():f}",
                        "product": proposal.product_id,
                        "route": proposal.route,
                    }
                )
        self.stdout.write(self.style.SUCCESS(_("Reorder check done: %d proposal(s).") % total))
