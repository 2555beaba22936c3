"""`kantoor ledger verify`: check the hash chains, balances, numbering and trial balance."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kantoor.core import registry
from kantoor.core.models import Company
from kantoor.finance.verify import Problem, ledger_verify


class Command(BaseCommand):
    help = _("Ledger maintenance. `verify` recomputes the chains, balances, numbering and trial balance.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help=_(
                "Recompute every journal's hash chain, every posted entry's balance, gapless numbering "
                "and the trial balance; name what is wrong and exit with status 1."
            ),
        )
        verify.add_argument("--company", type=int, default=None, help=_("Only this company (id)."))

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_verify(company_id=options["company"])
        # The apps above finance check what they keep against the ledger (stock value = the
        # stock accounts' balance…): registered in their apps.py, since finance may not import them.
        companies = Company.objects.order_by("pk").values_list("pk", flat=True)
        if options["company"] is not None:
            companies = companies.filter(pk=options["company"])
        for company_id in companies:
            for name, check in registry.verify_checks().items():
                problems += [Problem(company_id, name, "", message) for message in check(company_id)]
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(_("The ledger has %d problem(s).") % len(problems), returncode=1)
        self.stdout.write(
            self.style.SUCCESS(_("The ledger is intact: chains, balances and numbering check out."))
        )
