"""What the company buys: requests for quotation that become purchase orders, their lines,
and the supplier bill lines made from them (the billed side of the three-way match; the
received side is the stock moves whose `origin_line` names the order line)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kantoor.catalog.models import Product, Uom
from kantoor.core.models import Company
from kantoor.finance.models import Invoice, Tax
from kantoor.inventory.models import Warehouse
from kantoor.parties.models import Party


class OrderState(models.TextChoices):
    DRAFT = "draft", _("Request for quotation")
    SENT = "sent", _("RFQ sent")
    CONFIRMED = "confirmed", _("Purchase order")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# The workflow as data: one service per transition (see services.py).
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (OrderState.DRAFT, OrderState.SENT),
        (OrderState.SENT, OrderState.SENT),  # sent again (a reminder, a corrected RFQ)
        (OrderState.DRAFT, OrderState.CONFIRMED),
        (OrderState.SENT, OrderState.CONFIRMED),
        (OrderState.CONFIRMED, OrderState.DONE),
        (OrderState.DRAFT, OrderState.CANCELLED),
        (OrderState.SENT, OrderState.CANCELLED),
        (OrderState.CONFIRMED, OrderState.CANCELLED),
    }
)
# An RFQ may still be edited; after confirmation the order is the contract with the supplier.
EDITABLE_STATES = (OrderState.DRAFT, OrderState.SENT)


def origin_line_of(line_id: int) -> str:
    """How a stock move names the order line it fulfils (Move.origin_line)."""
    return f"purchasing.orderline:{line_id}"


class PurchaseOrder(models.Model):
    """A request for quotation to a supplier and, once confirmed, the purchase order: what
    is bought, at what price, delivered where (a warehouse, or straight to a customer)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    supplier = models.ForeignKey(
        Party, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=OrderState.choices, default=OrderState.DRAFT)
    order_date = models.DateField(_("order date"))
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    # Drop-shipping: the supplier delivers to this customer; the goods never enter stock.
    dropship_customer = models.ForeignKey(
        Party,
        verbose_name=_("deliver to customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    amount_untaxed = models.DecimalField(_("untaxed"), max_digits=20, decimal_places=2, default=0)
    amount_tax = models.DecimalField(_("tax"), max_digits=20, decimal_places=2, default=0)
    amount_total = models.DecimalField(_("total"), max_digits=20, decimal_places=2, default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("purchase order")
        ordering = ("-order_date", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "number"], name="purchase_order_number_unique"),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "state"], name="purchase_order_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_rfq(self) -> bool:
        return self.state in (OrderState.DRAFT, OrderState.SENT)

    @property
    def is_dropship(self) -> bool:
        return self.dropship_customer_id is not None

    def can_transition_to(self, state: str) -> bool:
        return (self.state, state) in TRANSITIONS


class PurchaseOrderLine(models.Model):
    """A product ordered: a quantity in its purchase unit at a unit price in the order's
    currency, less a discount, with the purchase tax that applies."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveIntegerField(default=1)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    uom = models.ForeignKey(Uom, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6)
    discount = models.DecimalField(_("discount %"), max_digits=7, decimal_places=4, default=0)
    tax = models.ForeignKey(
        Tax, verbose_name=_("tax"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    amount_untaxed = models.DecimalField(_("amount"), max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("purchase order line")
        ordering = ("order", "sequence", "id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="purchase_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount__gte=0, discount__lte=100), name="purchase_line_discount_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.sequence}"

    @property
    def origin_line(self) -> str:
        return origin_line_of(self.pk)


class PurchaseBillLine(models.Model):
    """A supplier bill line made from an order line: line `sequence` of `invoice` bills (part
    of) the order line, in the order line's unit. Linked by position rather than by the bill
    line's row, because finance writes a draft's lines anew when it is edited (a corrected
    price keeps its link); a deleted draft bill takes its links with it."""

    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="bill_links")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("billed purchase line")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["invoice", "sequence"], name="purchase_bill_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} → {self.invoice_id}/{self.sequence}"
