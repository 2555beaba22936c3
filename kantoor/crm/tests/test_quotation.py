"""A quotation made from an opportunity: drafted in sales for the opportunity's customer,
naming the opportunity as its origin, by the opportunity's owner and team."""

from __future__ import annotations

import pytest

from kantoor.crm import selectors, services
from kantoor.crm.errors import OpportunityStateError
from kantoor.crm.tests.conftest import nothing_written
from kantoor.parties.services import party_create
from kantoor.sales.tests.quote_support import books, warehouse

__all__ = ["books", "warehouse"]


def test_quotation_from_an_opportunity(rep, sales_team, stages, warehouse):
    customer = party_create(actor=rep, kind="organisation", name="Hotel Zeezicht", roles=["customer"])
    deal = services.opportunity_create(actor=rep, name="Buffet", party=customer.pk, expected_revenue="900")
    quotation = services.opportunity_quotation_create(actor=rep, opportunity_id=deal.pk)
    assert (quotation.customer_id, quotation.origin, quotation.salesperson_id, quotation.team_id) == (
        customer.pk,
        f"crm.opportunity:{deal.pk}",
        rep.pk,
        sales_team.pk,
    )
    assert quotation.state == "draft"
    assert [q.pk for q in selectors.opportunity_quotations(rep, deal)] == [quotation.pk]
    services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    with nothing_written(), pytest.raises(OpportunityStateError):
        services.opportunity_quotation_create(actor=rep, opportunity_id=deal.pk)
