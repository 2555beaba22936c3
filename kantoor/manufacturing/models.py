"""What the company makes and how: work centres (where the work is done and what an hour
costs), bills of materials (the components, by-products and operations of a product) and
production orders (a quantity of a product made from its components in a warehouse)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kantoor.catalog.models import Product, Uom
from kantoor.core.models import Company
from kantoor.inventory.models import Transfer, TransferState, Warehouse


class WorkCentre(models.Model):
    """A place where production work is done (a workbench, an assembly line), with the
    hours it can work a day and what an hour of its work costs (in company currency)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    capacity = models.DecimalField(_("capacity (hours per day)"), max_digits=6, decimal_places=2, default=8)
    cost_per_hour = models.DecimalField(_("cost per hour"), max_digits=12, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("work centre")
        ordering = ("code",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="work_centre_code_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="work_centre_capacity"),
            models.CheckConstraint(condition=Q(cost_per_hour__gte=0), name="work_centre_cost"),
        ]

    def __str__(self) -> str:
        return self.code


class BillOfMaterials(models.Model):
    """How `quantity` `uom` of a product is made: the components it consumes, the
    by-products it yields besides and the operations (hours at work centres) it takes."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4, default=1)
    uom = models.ForeignKey(Uom, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bill of materials")
        verbose_name_plural = _("bills of materials")
        ordering = ("code",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="bom_code_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class BomComponent(models.Model):
    """A component a BOM consumes: `quantity` `uom` for the BOM's quantity, plus
    `scrap_percent` more for what is lost in making it."""

    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="components")
    product = models.ForeignKey(
        Product, verbose_name=_("component"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    uom = models.ForeignKey(Uom, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    scrap_percent = models.DecimalField(_("scrap %"), max_digits=7, decimal_places=4, default=0)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("component")
        ordering = ("sequence", "id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_component_quantity"),
            models.CheckConstraint(
                condition=Q(scrap_percent__gte=0, scrap_percent__lt=100), name="bom_component_scrap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bom_id}: {self.quantity} × {self.product_id}"


class BomByProduct(models.Model):
    """Something a BOM yields besides its product (offcuts, a second grade), carrying
    `cost_share` percent of the production's cost."""

    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="by_products")
    product = models.ForeignKey(
        Product, verbose_name=_("by-product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    uom = models.ForeignKey(Uom, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    cost_share = models.DecimalField(_("cost share %"), max_digits=7, decimal_places=4, default=0)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("by-product")
        ordering = ("sequence", "id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_by_product_quantity"),
            models.CheckConstraint(
                condition=Q(cost_share__gte=0, cost_share__lte=100), name="bom_by_product_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bom_id}: {self.quantity} × {self.product_id}"


class BomOperation(models.Model):
    """A step of making a BOM's quantity: `hours` of work at a work centre."""

    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="operations")
    work_centre = models.ForeignKey(
        WorkCentre, verbose_name=_("work centre"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("operation"), max_length=100)
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=4)
    sequence = models.PositiveIntegerField(_("sequence"), default=10)

    class Meta:
        verbose_name = _("operation")
        ordering = ("sequence", "id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="bom_operation_hours"),
        ]

    def __str__(self) -> str:
        return f"{self.bom_id}: {self.name}"


class ProductionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ProductionOrder(models.Model):
    """An order to make `quantity` `uom` of a product after its BOM in a warehouse: confirmed,
    its components are reserved on the component transfer; each production run consumes
    its share of them and brings the goods made into stock at the components' value plus
    the work. Done when the whole quantity is made."""

    TRANSITIONS: ClassVar[set[tuple[str, str]]] = {
        (ProductionState.DRAFT, ProductionState.CONFIRMED),
        (ProductionState.CONFIRMED, ProductionState.IN_PROGRESS),
        (ProductionState.CONFIRMED, ProductionState.DONE),
        (ProductionState.IN_PROGRESS, ProductionState.IN_PROGRESS),
        (ProductionState.IN_PROGRESS, ProductionState.DONE),
        (ProductionState.DRAFT, ProductionState.CANCELLED),
        (ProductionState.CONFIRMED, ProductionState.CANCELLED),
        (ProductionState.IN_PROGRESS, ProductionState.CANCELLED),
    }

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    bom = models.ForeignKey(
        BillOfMaterials, verbose_name=_("bill of materials"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    uom = models.ForeignKey(Uom, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=ProductionState.choices, default=ProductionState.DRAFT
    )
    scheduled_date = models.DateField(_("scheduled date"))
    # Where it comes from: "" (by hand) or the reorder rule that asked for it.
    origin = models.CharField(_("origin"), max_length=60, blank=True, default="")
    produced_quantity = models.DecimalField(_("produced"), max_digits=18, decimal_places=4, default=0)
    # The open transfer of the components still to consume (a backorder after each run).
    component_transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    output_transfers = models.ManyToManyField(Transfer, blank=True, related_name="+")
    hours_worked = models.DecimalField(_("hours worked"), max_digits=12, decimal_places=4, default=0)
    components_cost = models.DecimalField(_("components cost"), max_digits=20, decimal_places=2, default=0)
    work_cost = models.DecimalField(_("work cost"), max_digits=20, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("production order")
        ordering = ("-scheduled_date", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "number"], name="production_order_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="production_order_quantity"),
            models.CheckConstraint(
                condition=Q(produced_quantity__gte=0, produced_quantity__lte=models.F("quantity")),
                name="production_order_produced",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "state"], name="production_order_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def cost(self) -> Decimal:
        """What the goods made so far cost: the components consumed plus the work."""
        return Decimal(self.components_cost) + Decimal(self.work_cost)

    @property
    def remaining_quantity(self) -> Decimal:
        return Decimal(self.quantity) - Decimal(self.produced_quantity)

    @property
    def availability(self) -> str:
        """ "ready" when the components of a confirmed order are all reserved, "waiting" when
        some are not, "" otherwise."""
        transfer = self.component_transfer
        if self.state not in (ProductionState.CONFIRMED, ProductionState.IN_PROGRESS) or transfer is None:
            return ""
        if transfer.state == TransferState.READY:
            return "ready"
        if transfer.state == TransferState.WAITING:
            return "waiting"
        return ""
