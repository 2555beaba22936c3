"""Where the company's goods are and what they are worth: warehouses and locations, stock
moves between them (double entry: every quantity leaves one location and enters another),
the stock on hand per place (quants), lots and serial numbers, transfers and valuation."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kantoor.catalog.models import Product, ProductCategory
from kantoor.core.models import Company
from kantoor.finance.models import Account, JournalEntry
from kantoor.parties.models import Party


class LocationUsage(models.TextChoices):
    """What a location is for. Only internal locations hold the company's own stock; the
    others are the counterparties of the double entry (where goods come from or go to)."""

    VIEW = "view", _("View (groups locations)")
    INTERNAL = "internal", _("Internal (own stock)")
    SUPPLIER = "supplier", _("Suppliers")
    CUSTOMER = "customer", _("Customers")
    PRODUCTION = "production", _("Production")
    INVENTORY = "inventory", _("Inventory loss")
    TRANSIT = "transit", _("Transit")


# Locations whose stock is the company's (goods in transit between its warehouses too):
# moves in or out of them are valued.
OWN_STOCK = (LocationUsage.INTERNAL, LocationUsage.TRANSIT)


class Warehouse(models.Model):
    """A site where the company keeps stock, with its tree of locations: the warehouse's
    view location, and in it stock (storage), input (goods received), packing and output
    (goods to ship)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)
    view_location = models.ForeignKey(
        "Location", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    stock_location = models.ForeignKey(
        "Location", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    input_location = models.ForeignKey(
        "Location", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    output_location = models.ForeignKey(
        "Location", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pack_location = models.ForeignKey(
        "Location", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # 1: goods go straight from stock to the customer; 3: pick (stock → packing), pack
    # (packing → output), ship (output → customer) as three chained transfers.
    delivery_steps = models.PositiveSmallIntegerField(_("delivery steps"), default=1)
    # 1: goods come from the supplier straight into stock; 2: into input, then a put-away
    # (an internal transfer input → stock) made when the receipt is done.
    receipt_steps = models.PositiveSmallIntegerField(
        _("receipt steps"), choices=[(1, "1"), (2, "2")], default=1
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("warehouse")
        ordering = ("code",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="warehouse_code_unique"),
            models.CheckConstraint(condition=Q(delivery_steps__in=[1, 3]), name="warehouse_delivery_steps"),
            models.CheckConstraint(condition=Q(receipt_steps__in=[1, 2]), name="warehouse_receipt_steps"),
        ]

    def __str__(self) -> str:
        return self.code


class Location(models.Model):
    """A place goods can be: a shelf, a zone, a warehouse (a view over its shelves), or a
    counterparty such as the suppliers, the customers, production or inventory loss."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=60)
    # "WH/Stock/Shelf 1": the names from the root down, kept with the row for lists and scans.
    full_name = models.CharField(_("full name"), max_length=255)
    usage = models.CharField(_("usage"), max_length=12, choices=LocationUsage.choices)
    barcode = models.CharField(_("barcode"), max_length=40, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        ordering = ("full_name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "full_name"], name="location_name_unique"),
            models.UniqueConstraint(
                fields=["company", "barcode"], condition=~Q(barcode=""), name="location_barcode_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_own_stock(self) -> bool:
        return self.usage in OWN_STOCK


class Lot(models.Model):
    """A lot or serial number of a tracked product (a serial number names one unit)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("lot / serial number"), max_length=60)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lot / serial number")
        ordering = ("product", "name")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "product", "name"], name="lot_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Quant(models.Model):
    """How much of a product (of one lot) is at one location, and how much of that is
    promised to moves not yet done. Kept by the move services only: quantity always
    equals the done moves into the location minus the done moves out of it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4, default=0)
    reserved_quantity = models.DecimalField(_("reserved"), max_digits=18, decimal_places=4, default=0)

    class Meta:
        verbose_name = _("stock quantity")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["product", "location", "lot"], condition=Q(lot__isnull=False), name="quant_lot_unique"
            ),
            models.UniqueConstraint(
                fields=["product", "location"], condition=Q(lot__isnull=True), name="quant_unique"
            ),
            models.CheckConstraint(condition=Q(reserved_quantity__gte=0), name="quant_reserved_not_negative"),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "location", "product"], name="quant_location")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.quantity}"


class TransferKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    DELIVERY = "delivery", _("Delivery")
    INTERNAL = "internal", _("Internal transfer")
    PICK = "pick", _("Pick")
    PACK = "pack", _("Pack")
    RETURN_IN = "return_in", _("Customer return")
    RETURN_OUT = "return_out", _("Return to supplier")
    ADJUSTMENT = "adjustment", _("Inventory adjustment")
    PRODUCTION = "production", _("Production")


class TransferState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    WAITING = "waiting", _("Waiting for stock")
    READY = "ready", _("Ready")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(models.Model):
    """A document that moves goods: a receipt from a supplier, a delivery to a customer, an
    internal transfer, a return, an inventory adjustment. Done when its moves are done;
    what is not done then goes on to a backorder."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=TransferKind.choices)
    number = models.CharField(_("number"), max_length=40)
    state = models.CharField(
        _("state"), max_length=10, choices=TransferState.choices, default=TransferState.DRAFT
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.ForeignKey(Location, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(
        Location, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("partner"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scheduled_date = models.DateField(_("scheduled date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # Where it comes from: "PO-2026-0012", a sales order, a production order.
    origin = models.CharField(_("origin"), max_length=60, blank=True, default="")
    backorder_of = models.ForeignKey(
        "self",
        verbose_name=_("backorder of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backorders",
    )
    # The next transfer of a multi-step delivery (pick → pack → ship) or a return's original.
    next_transfer = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="previous_transfers"
    )
    return_of = models.ForeignKey(
        "self",
        verbose_name=_("return of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("transfer")
        ordering = ("-scheduled_date", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "number"], name="transfer_number_unique"),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "state", "kind"], name="transfer_state")]

    def __str__(self) -> str:
        return self.number


class MoveState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    WAITING = "waiting", _("Waiting for stock")
    RESERVED = "reserved", _("Reserved")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Move(models.Model):
    """One quantity of one product (of one lot) going from one location to another: the
    double entry of stock. Done moves are final; a correction is a move back. A move of the
    company's own stock into or out of it carries its value (`value`, in company currency)
    and the journal entry that booked that value."""

    # Fewer indexes, fewer pages written per move: the company is the first column of
    # move_product_state, the transfer has move_transfer, and no query looks moves up by
    # their places or entry alone (deleting a location or a draft entry scans the moves).
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="moves", db_index=False
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", db_index=False)
    destination = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", db_index=False)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    state = models.CharField(_("state"), max_length=10, choices=MoveState.choices, default=MoveState.DRAFT)
    date = models.DateField(_("date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # The unit cost the move was valued at (incoming: its purchase price; outgoing: the
    # average or the FIFO layers it consumed) and the total; 0 for moves inside the company.
    unit_cost = models.DecimalField(_("unit cost"), max_digits=20, decimal_places=6, default=0)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2, default=0)
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")
    # The line of the document this move fulfils ("purchasing.orderline:12"), kept through
    # splits and backorders so the document can count what was received or delivered.
    origin_line = models.CharField(max_length=60, blank=True, default="", db_index=True)
    # A return's move points at the move it sends back (its value comes from there).
    origin_move = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="returned_by"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("stock move")
        ordering = ("date", "id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="move_quantity_positive"),
            models.CheckConstraint(condition=~Q(source=models.F("destination")), name="move_changes_place"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["company", "product", "state"], name="move_product_state"),
            models.Index(fields=["transfer"], name="move_transfer"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.quantity} {self.source_id}→{self.destination_id}"


class ValuationLayer(models.Model):
    """A quantity and value added to (positive) or taken from (negative) the company's
    stock of a product by a done move. Σ value per product is the product's stock value;
    incoming layers keep what FIFO has not consumed yet in `remaining_*`."""

    # Looked up by company and product together (layer_product, layer_fifo_open).
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    move = models.ForeignKey(Move, on_delete=models.PROTECT, null=True, blank=True, related_name="layers")
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=20, decimal_places=6)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2)
    remaining_quantity = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    remaining_value = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    description = models.CharField(_("description"), max_length=120, blank=True, default="")

    class Meta:
        verbose_name = _("valuation layer")
        ordering = ("id",)
        indexes: ClassVar = [
            models.Index(fields=["company", "product"], name="layer_product"),
            # FIFO reads the oldest layers with something left, per product.
            models.Index(
                fields=["product", "id"], condition=Q(remaining_quantity__gt=0), name="layer_fifo_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.quantity} = {self.value}"


class ProductValuation(models.Model):
    """The company's stock of a product in total: quantity and value (Σ of its layers),
    kept with every valued move so the average cost is one read and one write."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("product valuation")

    def __str__(self) -> str:
        return f"{self.product_id}: {self.quantity} = {self.value}"


class StockAccounts(models.Model):
    """The accounts a product category's stock moves book to (category null: the company's
    defaults). An empty field falls back to the company default, then to the account with
    the matching role."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    category = models.OneToOneField(
        ProductCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    stock_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cogs_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    difference_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    production_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("stock accounts")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["company"], condition=Q(category__isnull=True), name="stock_accounts_default_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.category_id}"


class ReorderRoute(models.TextChoices):
    BUY = "buy", _("Buy")
    MANUFACTURE = "manufacture", _("Manufacture")


class ReorderRule(models.Model):
    """Keep a product between a minimum and a maximum in a warehouse: when the forecast
    (on hand + incoming − outgoing) falls below the minimum, the scheduled reorder check
    proposes buying or making enough to reach the maximum (StockBelowMinimum)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    min_quantity = models.DecimalField(_("minimum"), max_digits=18, decimal_places=4)
    max_quantity = models.DecimalField(_("maximum"), max_digits=18, decimal_places=4)
    route = models.CharField(
        _("route"), max_length=12, choices=ReorderRoute.choices, default=ReorderRoute.BUY
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The last time the check proposed an order for it (so a proposal is not repeated
    # while the first one is still open).
    last_proposed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("reorder rule")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="reorder_rule_unique"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="reorder_rule_min"),
            models.CheckConstraint(
                condition=Q(max_quantity__gte=models.F("min_quantity")), name="reorder_rule_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.min_quantity}–{self.max_quantity}"


class CountState(models.TextChoices):
    DRAFT = "draft", _("Counting")
    DONE = "done", _("Applied")
    CANCELLED = "cancelled", _("Cancelled")


class InventoryCount(models.Model):
    """A count of the stock at a location (a cycle count of some products, or all of
    them): what the books expect beside what was counted; applying it moves the
    differences to or from inventory loss in one adjustment transfer."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=CountState.choices, default=CountState.DRAFT)
    scheduled_date = models.DateField(_("date"))
    adjustment = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("inventory count")
        ordering = ("-scheduled_date", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "number"], name="inventory_count_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class InventoryCountLine(models.Model):
    """One product (and lot) at one location of a count: expected when the count began,
    counted by the storekeeper (None: not counted yet)."""

    count = models.ForeignKey(InventoryCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    expected_quantity = models.DecimalField(_("expected"), max_digits=18, decimal_places=4, default=0)
    counted_quantity = models.DecimalField(
        _("counted"), max_digits=18, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = _("inventory count line")
        ordering = ("location", "product", "lot")

    def __str__(self) -> str:
        return f"{self.count_id}: {self.product_id} {self.counted_quantity}/{self.expected_quantity}"
