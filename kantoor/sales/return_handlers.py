"""Reactions of customer returns to inventory: a done return receipt of an RMA marks it
received and credits what was invoiced of the returned goods (see returns.py)."""

from __future__ import annotations

from kantoor.core.services import system_actor
from kantoor.inventory.events import GoodsReceived
from kantoor.sales import returns


def on_return_received(event: GoodsReceived) -> None:
    """GoodsReceived of a return receipt whose origin is an RMA number: the RMA becomes
    received, and credited by a draft credit note made by the system actor when goods of it
    were invoiced. Receipts of anything else (purchases, returns made in inventory) pass."""
    if not event.origin or event.company_id is None:
        return
    returns.return_receive(actor=system_actor(event.company_id), transfer_id=event.transfer_id)
