"""What the company sells: quotations that become sales orders, their lines, the invoice
lines made from them, the customer's sales terms (credit limit, price list, payment term),
return authorisations and sales targets. The delivered side of an order line is the stock
moves whose `origin_line` names it; the invoiced side is `SalesInvoiceLine`."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kantoor.catalog.models import PriceList, Product, Uom
from kantoor.core.models import Company, Team
from kantoor.core.policy import ScopeFields
from kantoor.finance.models import Invoice, PaymentTerm, Tax
from kantoor.inventory.models import Transfer, Warehouse
from kantoor.parties.models import Party


class OrderState(models.TextChoices):
    DRAFT = "draft", _("Quotation")
    SENT = "sent", _("Quotation sent")
    DECLINED = "declined", _("Declined")
    CONFIRMED = "confirmed", _("Sales order")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# The workflow as data: one service per transition (see services.py).
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (OrderState.DRAFT, OrderState.SENT),
        (OrderState.SENT, OrderState.SENT),  # sent again (a new version, a reminder)
        (OrderState.SENT, OrderState.DECLINED),
        (OrderState.DECLINED, OrderState.DRAFT),  # revised after a refusal
        (OrderState.DRAFT, OrderState.CONFIRMED),
        (OrderState.SENT, OrderState.CONFIRMED),
        (OrderState.CONFIRMED, OrderState.DONE),
        (OrderState.DRAFT, OrderState.CANCELLED),
        (OrderState.SENT, OrderState.CANCELLED),
        (OrderState.DECLINED, OrderState.CANCELLED),
        (OrderState.CONFIRMED, OrderState.CANCELLED),
    }
)
# A quotation may still be edited; after confirmation the order is the contract.
EDITABLE_STATES = (OrderState.DRAFT, OrderState.SENT, OrderState.DECLINED)


class InvoicingPolicy(models.TextChoices):
    ORDER = "order", _("On order (what is ordered)")
    DELIVERY = "delivery", _("On delivery (what is delivered)")


def origin_line_of(line_id: int) -> str:
    """How a stock move names the order line it fulfils (Move.origin_line)."""
    return f"sales.orderline:{line_id}"


class SalesSettings(models.Model):
    """A company's sales defaults: the tax on lines that name none, where goods leave from,
    how long a quotation holds, the payment term, the invoicing policy, and the discount a
    sales rep may give without a manager's approval."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    default_tax = models.ForeignKey(
        Tax, verbose_name=_("default tax"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_term = models.ForeignKey(
        PaymentTerm,
        verbose_name=_("payment term"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invoicing_policy = models.CharField(
        _("invoicing policy"),
        max_length=10,
        choices=InvoicingPolicy.choices,
        default=InvoicingPolicy.DELIVERY,
    )
    quote_validity_days = models.PositiveIntegerField(_("quotation valid for (days)"), default=30)
    discount_limit = models.DecimalField(
        _("discount a rep may give (%)"), max_digits=7, decimal_places=4, default=10
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sales settings")

    def __str__(self) -> str:
        return f"sales settings {self.company_id}"


class CustomerTerms(models.Model):
    """What sales agreed with one customer: a credit limit (open receivables plus confirmed,
    not yet invoiced orders may not exceed it without a manager), a price list, a payment
    term and an invoicing policy that override the company's defaults."""

    policy_scope = ScopeFields(company="company", owner="party__owner", team="party__team")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    party = models.OneToOneField(Party, on_delete=models.CASCADE, related_name="sales_terms")
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    price_list = models.ForeignKey(
        PriceList,
        verbose_name=_("price list"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_term = models.ForeignKey(
        PaymentTerm,
        verbose_name=_("payment term"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invoicing_policy = models.CharField(
        _("invoicing policy"), max_length=10, choices=InvoicingPolicy.choices, blank=True, default=""
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("customer terms")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0), name="customer_credit_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"terms of {self.party_id}"


class SalesOrder(models.Model):
    """A quotation to a customer and, once confirmed, the sales order: what is sold, at what
    price, delivered from which warehouse, invoiced on order or on delivery."""

    # A sales rep works on their own quotations and sees the team's (core.policy caps).
    policy_scope = ScopeFields(company="company", owner="salesperson", team="team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    customer = models.ForeignKey(
        Party, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=OrderState.choices, default=OrderState.DRAFT)
    # The quotation's version: raised when a sent (or declined) quotation is changed.
    revision = models.PositiveIntegerField(_("version"), default=1)
    order_date = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    price_list = models.ForeignKey(
        PriceList,
        verbose_name=_("price list"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_term = models.ForeignKey(
        PaymentTerm,
        verbose_name=_("payment term"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    invoicing_policy = models.CharField(
        _("invoicing policy"),
        max_length=10,
        choices=InvoicingPolicy.choices,
        default=InvoicingPolicy.DELIVERY,
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer_reference = models.CharField(_("customer reference"), max_length=120, blank=True, default="")
    # Where the order came from (an opportunity "crm.opportunity:12"), for the timeline and reports.
    origin = models.CharField(_("origin"), max_length=120, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    amount_untaxed = models.DecimalField(_("untaxed"), max_digits=20, decimal_places=2, default=0)
    amount_tax = models.DecimalField(_("tax"), max_digits=20, decimal_places=2, default=0)
    amount_total = models.DecimalField(_("total"), max_digits=20, decimal_places=2, default=0)
    # Staff only: untaxed amount less the cost of the lines (company currency costs converted).
    amount_margin = models.DecimalField(_("margin"), max_digits=20, decimal_places=2, default=0)
    # The largest line discount, and who approved it when it is above the rep's allowance.
    max_discount = models.DecimalField(_("largest discount %"), max_digits=7, decimal_places=4, default=0)
    discount_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The customer's answer on the public page: name and time of whoever accepted or declined.
    answered_by_name = models.CharField(_("answered by"), max_length=200, blank=True, default="")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True, default="")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sales order")
        ordering = ("-order_date", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "number"], name="sales_order_number_unique"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["company", "state"], name="sales_order_state"),
            models.Index(fields=["customer", "state"], name="sales_order_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_quotation(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    def can_transition_to(self, state: str) -> bool:
        return (self.state, state) in TRANSITIONS


class SalesOrderLine(models.Model):
    """A product sold: a quantity in its unit at a unit price in the order's currency, less
    a discount, with the sales tax that applies. An optional line is offered on the
    quotation but not part of its total until the customer (or the rep) takes it."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
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
    is_optional = models.BooleanField(_("optional"), default=False)
    # Cost per unit of the line (company currency) when it was priced: the margin's basis.
    unit_cost = models.DecimalField(_("unit cost"), max_digits=20, decimal_places=6, default=0)
    amount_untaxed = models.DecimalField(_("amount"), max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("sales order line")
        ordering = ("order", "sequence", "id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount__gte=0, discount__lte=100), name="sales_line_discount_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.sequence}"

    @property
    def origin_line(self) -> str:
        return origin_line_of(self.pk)


class QuoteRevision(models.Model):
    """A quotation as it was sent, kept when it is changed afterwards: the customer may
    refer to any version they received."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quotation version")
        ordering = ("order", "revision")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["order", "revision"], name="quote_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.revision}"


class SalesInvoiceLine(models.Model):
    """A customer invoice line made from an order line: line `sequence` of `invoice` invoices
    (part of) the order line, in the order line's unit. By position, as purchasing's bill
    lines: finance writes a draft's lines anew when it is edited."""

    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="invoice_links")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("invoiced sales line")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["invoice", "sequence"], name="sales_invoice_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} → {self.invoice_id}/{self.sequence}"


class ReturnState(models.TextChoices):
    DRAFT = "draft", _("Requested")
    APPROVED = "approved", _("Approved")
    RECEIVED = "received", _("Received")
    CREDITED = "credited", _("Credited")
    CANCELLED = "cancelled", _("Cancelled")


class ReturnAuthorisation(models.Model):
    """A customer's return agreed by the company (RMA): the goods come back on a return
    receipt, and what was invoiced of them is credited."""

    policy_scope = ScopeFields(company="company", owner="order__salesperson", team="order__team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="returns")
    state = models.CharField(
        _("state"), max_length=10, choices=ReturnState.choices, default=ReturnState.DRAFT
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    receipt = models.ForeignKey(
        Transfer,
        verbose_name=_("return receipt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    credit_note = models.ForeignKey(
        Invoice,
        verbose_name=_("credit note"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("return authorisation")
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "number"], name="sales_return_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    authorisation = models.ForeignKey(ReturnAuthorisation, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("return line")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_return_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.authorisation_id}: {self.order_line_id} × {self.quantity}"


class SalesTarget(models.Model):
    """What a salesperson or a team should sell (untaxed, company currency) in one month."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    month = models.DateField(_("month"))  # the first day of the month
    amount = models.DecimalField(_("target"), max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = _("sales target")
        ordering = ("month", "id")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="sales_target_user_or_team",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_target_amount"),
            models.UniqueConstraint(fields=["company", "user", "month"], name="sales_target_user_month"),
            models.UniqueConstraint(fields=["company", "team", "month"], name="sales_target_team_month"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id or self.team_id} {self.month}: {self.amount}"
