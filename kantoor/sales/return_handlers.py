"""Reactions of customer returns to inventory: a done return receipt of an RMA marks it
received and credits what was invoiced of the returned goods (see returns.py), and the
return lands on the customer's timeline."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from kantoor.core.services import system_actor
from kantoor.inventory.events import GoodsReceived
from kantoor.parties.services import timeline_entry_add
from kantoor.sales import returns


def on_return_received(event: GoodsReceived) -> None:
    """GoodsReceived of a return receipt whose origin is an RMA number: the RMA becomes
    received, and credited by a draft credit note made by the system actor when goods of it
    were invoiced. Receipts of anything else (purchases, returns made in inventory) pass."""
    if not event.origin or event.company_id is None:
        return
    with transaction.atomic():
        rma = returns.return_receive(actor=system_actor(event.company_id), transfer_id=event.transfer_id)
        if rma is None:
            return
        timeline_entry_add(
            party_id=rma.order.customer_id,
            kind="sales.return_received",
            title=gettext_noop("Goods returned"),
            body=f"{rma.number} — {rma.order.number}"
            + (f" — {rma.credit_note}" if rma.credit_note_id is not None else ""),
            actor_id=event.actor_id,
            event=event,
        )
