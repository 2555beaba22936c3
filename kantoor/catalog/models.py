"""What the company sells, buys and keeps: products and services, their units of measure,
categories, prices per customer and per supplier."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kantoor.catalog.errors import UomIncompatibleError
from kantoor.core.models import Company
from kantoor.parties.models import Party, Tag

# Quantities keep four decimals everywhere (stock, orders, invoices); prices six.
QUANTITY_PLACES = 4
QUANTITY = Decimal("0.0001")


class UomCategory(models.Model):
    """A family of units that convert into each other (units, weight, length, volume, time)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("unit category")
        ordering = ("name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="uom_category_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Uom(models.Model):
    """A unit of measure: `ratio` reference units of its category make one of it (the
    reference unit has ratio 1: kg 1, g 0.001, t 1000); quantities in it are rounded to
    `rounding` (1 for pieces, 0.001 for kilograms)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(UomCategory, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    ratio = models.DecimalField(_("ratio to the reference unit"), max_digits=20, decimal_places=10)
    rounding = models.DecimalField(_("rounding"), max_digits=10, decimal_places=4, default=Decimal("0.0001"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit of measure")
        ordering = ("category", "ratio")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="uom_code_unique"),
            models.CheckConstraint(condition=Q(ratio__gt=0), name="uom_ratio_positive"),
            models.CheckConstraint(condition=Q(rounding__gt=0), name="uom_rounding_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    def round(self, quantity: Decimal) -> Decimal:
        """`quantity` rounded to this unit's precision (half up), with four decimals."""
        steps = (quantity / self.rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return (steps * self.rounding).quantize(QUANTITY)


class CostingMethod(models.TextChoices):
    AVERAGE = "average", _("Average cost")
    FIFO = "fifo", _("First in, first out")


class StockValuation(models.TextChoices):
    """When stock value reaches the ledger: with every move (perpetual), or by the
    accountant's closing entry at the end of a period (periodic: moves post nothing)."""

    PERPETUAL = "perpetual", _("Perpetual (booked with every move)")
    PERIODIC = "periodic", _("Periodic (booked at period end)")


class ProductCategory(models.Model):
    """A group of products that share a costing method (and, in inventory, stock accounts)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    costing_method = models.CharField(
        _("costing method"), max_length=10, choices=CostingMethod.choices, default=CostingMethod.AVERAGE
    )
    stock_valuation = models.CharField(
        _("stock valuation"), max_length=10, choices=StockValuation.choices, default=StockValuation.PERPETUAL
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ("name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="product_category_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ProductKind(models.TextChoices):
    STOCKABLE = "stockable", _("Stockable product")
    CONSUMABLE = "consumable", _("Consumable")
    SERVICE = "service", _("Service")


class Tracking(models.TextChoices):
    NONE = "none", _("Not tracked")
    LOT = "lot", _("By lot")
    SERIAL = "serial", _("By serial number")


class Product(models.Model):
    """A product or service the company sells, buys, keeps or makes. Quantities in stock
    are in its `uom`; it is bought in `purchase_uom` (same unit category)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("SKU"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    kind = models.CharField(
        _("kind"), max_length=12, choices=ProductKind.choices, default=ProductKind.STOCKABLE
    )
    tracking = models.CharField(_("tracking"), max_length=8, choices=Tracking.choices, default=Tracking.NONE)
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    uom = models.ForeignKey(Uom, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    purchase_uom = models.ForeignKey(
        Uom, verbose_name=_("purchase unit"), on_delete=models.PROTECT, related_name="+"
    )
    barcode = models.CharField(_("barcode (EAN)"), max_length=14, blank=True, default="")
    list_price = models.DecimalField(_("list price"), max_digits=20, decimal_places=6, default=0)
    cost = models.DecimalField(_("cost"), max_digits=20, decimal_places=6, default=0)
    allows_negative_stock = models.BooleanField(_("allows negative stock"), default=False)
    # Sold without stock at hand, the customer waiting for a backorder (else confirming refuses).
    allows_backorder = models.BooleanField(_("can be sold on backorder"), default=True)
    is_sold = models.BooleanField(_("can be sold"), default=True)
    is_purchased = models.BooleanField(_("can be purchased"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        ordering = ("sku",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "sku"], name="product_sku_unique"),
            models.UniqueConstraint(
                fields=["company", "barcode"], condition=~Q(barcode=""), name="product_barcode_unique"
            ),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_list_price_not_negative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"[{self.sku}] {self.name}"

    @property
    def is_storable(self) -> bool:
        """Kept in stock with quantities and value (consumables move without being counted)."""
        return self.kind == ProductKind.STOCKABLE


class ProductTranslation(models.Model):
    """A product's name and description in another language (documents in the party's language)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")

    class Meta:
        verbose_name = _("product translation")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["product", "language"], name="product_translation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ({self.language})"


class PriceList(models.Model):
    """Prices for one party, or for the customers with a tag (a customer group), in one
    currency, valid between two dates. The most specific list that has a price wins:
    the party's, then its groups' (lowest `priority` first), then the list price."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    party = models.ForeignKey(
        Party, verbose_name=_("customer"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    customer_group = models.ForeignKey(
        Tag,
        verbose_name=_("customer group"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.PositiveIntegerField(_("priority"), default=10)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("price list")
        ordering = ("priority", "name")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="price_list_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="price_list_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    """The unit price (or discount on the list price) of a product from `min_quantity` on."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    min_quantity = models.DecimalField(_("from quantity"), max_digits=18, decimal_places=4, default=0)
    price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6, null=True, blank=True)
    discount = models.DecimalField(_("discount %"), max_digits=7, decimal_places=4, null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("price list item")
        ordering = ("product", "min_quantity")
        constraints: ClassVar = [
            # Exactly one of a fixed price and a discount.
            models.CheckConstraint(
                condition=(
                    Q(price__isnull=False, discount__isnull=True)
                    | Q(price__isnull=True, discount__isnull=False)
                ),
                name="price_list_item_price_or_discount",
            ),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="price_list_item_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.product_id} ≥ {self.min_quantity}"


class SupplierPrice(models.Model):
    """What a supplier charges for a product from `min_quantity` on, and how long it takes to deliver."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="supplier_prices")
    supplier = models.ForeignKey(
        Party, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="+"
    )
    supplier_sku = models.CharField(_("supplier's code"), max_length=60, blank=True, default="")
    currency = models.CharField(_("currency"), max_length=3)
    price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6)
    min_quantity = models.DecimalField(_("from quantity"), max_digits=18, decimal_places=4, default=0)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=0)
    priority = models.PositiveIntegerField(_("priority"), default=10)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplier price")
        ordering = ("product", "priority", "min_quantity")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(price__gte=0), name="supplier_price_not_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="supplier_price_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.supplier_id}"


def uom_convert(quantity: Decimal, from_uom: Uom, to_uom: Uom, *, rounded: bool = True) -> Decimal:
    """`quantity` in `from_uom` expressed in `to_uom` (rounded to its precision unless not
    `rounded`); units of different categories refuse with UomIncompatibleError."""
    if from_uom.pk == to_uom.pk:
        return quantity
    if from_uom.category_id != to_uom.category_id:
        raise UomIncompatibleError(
            _("%(from)s cannot be converted into %(to)s: they measure different things.")
            % {"from": from_uom.code, "to": to_uom.code}
        )
    converted = quantity * from_uom.ratio / to_uom.ratio
    return to_uom.round(converted) if rounded else converted
