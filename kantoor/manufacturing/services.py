"""Writes of manufacturing: work centres, bills of materials and production orders from
draft through confirmation (components reserved) and production runs to done.

Every function owns its transaction, checks the policy (`manufacturing.manage_production`;
the stock side also needs `inventory.manage_stock`), locks the order it changes, refuses
bad input with a DomainError naming the problem (nothing is written then), records an
audit row and publishes its events through the outbox. The stock moves and their value
are inventory's: a production order calls production_transfer_create, transfer_confirm,
transfer_reserve, production_record and transfer_cancel in its own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.errors import UomIncompatibleError
from kantoor.catalog.models import QUANTITY, Product, ProductKind, Tracking, Uom, uom_convert
from kantoor.core import audit, outbox, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import User
from kantoor.core.numbering import number_allocate
from kantoor.core.services import require_version
from kantoor.core.validation import unique_or_field_error
from kantoor.inventory import reports as stock_reports
from kantoor.inventory import services as stock
from kantoor.inventory.models import LocationUsage, Move, MoveState, Transfer, TransferState, Warehouse
from kantoor.manufacturing.errors import (
    BomCycleError,
    BomInvalidError,
    ProductionInvalidError,
    ProductionStateError,
    WorkCentreInvalidError,
)
from kantoor.manufacturing.events import ProductionDone, ProductionOrderConfirmed
from kantoor.manufacturing.models import (
    BillOfMaterials,
    BomByProduct,
    BomComponent,
    BomOperation,
    ProductionOrder,
    ProductionState,
    WorkCentre,
)
from kantoor.manufacturing.selectors import (
    MAX_DEPTH,
    Exploded,
    bom_for_product,
    boms_for_products,
    explode,
    round_down,
)

VIEW = "manufacturing.view_production"
MANAGE = "manufacturing.manage_production"
CENT = Decimal("0.01")
OPEN_TRANSFER = (TransferState.DRAFT, TransferState.WAITING, TransferState.READY)


@dataclass(frozen=True)
class ComponentIn:
    """A component of a BOM: `quantity` in `uom_id` (default: the product's unit) for the
    BOM's quantity, and the percentage lost in making it."""

    product_id: int
    quantity: Decimal | int | str
    uom_id: int | None = None
    scrap_percent: Decimal | int | str = 0


@dataclass(frozen=True)
class ByProductIn:
    """A by-product of a BOM and the percentage of the production's cost it carries."""

    product_id: int
    quantity: Decimal | int | str
    uom_id: int | None = None
    cost_share: Decimal | int | str = 0


@dataclass(frozen=True)
class OperationIn:
    """An operation of a BOM: `hours` at a work centre for the BOM's quantity."""

    work_centre_id: int
    name: str
    hours: Decimal | int | str
    sequence: int | None = None


@dataclass(frozen=True)
class HoursIn:
    """Hours worked at a work centre in one production run."""

    work_centre_id: int
    hours: Decimal | int | str


def _decimal(
    value: Any,
    field: str,
    error: type[DomainError],
    *,
    positive: bool = False,
    places: int = 4,
    below: Decimal | None = None,
) -> Decimal:
    """`value` as a Decimal of at most `places` decimals: above zero when `positive`, zero
    or more otherwise, and under `below` (inclusive) when given."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise error(_("Enter a number."), field_errors={field: [_("Enter a number.")]}) from None
    if not number.is_finite() or number >= Decimal(10) ** 12:
        raise error(_("Enter a number."), field_errors={field: [_("Enter a number.")]})
    if positive and number <= 0:
        raise error(_("Enter a number above zero."), field_errors={field: [_("Enter a number above zero.")]})
    if number < 0:
        raise error(_("Enter zero or more."), field_errors={field: [_("Enter zero or more.")]})
    if below is not None and number > below:
        message = _("Enter at most %s.") % below
        raise error(message, field_errors={field: [message]})
    if number != number.quantize(Decimal(1).scaleb(-places)):
        message = _("Enter at most %d decimals.") % places
        raise error(message, field_errors={field: [message]})
    return number


# ----------------------------------------------------------------------------- work centres


def _work_centre_fields(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "code" in values:
        code = str(values["code"] or "").strip().upper()
        if not code or len(code) > 20 or " " in code:
            errors["code"] = [_("Enter a code of at most 20 characters, without spaces.")]
        clean["code"] = code
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 100:
            errors["name"] = [_("Enter a name of at most 100 characters.")]
        clean["name"] = name
    for field, places in (("capacity", 2), ("cost_per_hour", 2)):
        if field in values:
            try:
                clean[field] = _decimal(values[field], field, WorkCentreInvalidError, places=places)
            except WorkCentreInvalidError as error:
                errors.update(error.field_errors)
    if "capacity" in clean and clean["capacity"] > 24:
        errors["capacity"] = [_("A day has at most 24 hours.")]
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    if errors:
        raise WorkCentreInvalidError(_("Please correct the marked fields."), field_errors=errors)
    return clean


@transaction.atomic
def work_centre_create(
    *,
    actor: User,
    code: str,
    name: str,
    capacity: Decimal | int | str = 8,
    cost_per_hour: Decimal | int | str = 0,
) -> WorkCentre:
    """A work centre with its daily capacity and hourly cost; the code is unique in the company."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    clean = _work_centre_fields(
        {"code": code, "name": name, "capacity": capacity, "cost_per_hour": cost_per_hour}
    )
    exists = lambda: _("Work centre %s exists already.") % clean["code"]  # noqa: E731
    if WorkCentre.objects.filter(company_id=company_id, code=clean["code"]).exists():
        raise WorkCentreInvalidError(exists(), field_errors={"code": [exists()]})
    with unique_or_field_error("code", exists):
        centre = WorkCentre.objects.create(company_id=company_id, **clean)
    audit.record(
        actor=actor,
        obj=centre,
        action="manufacturing.work_centre_create",
        changes={key: [None, str(value)] for key, value in clean.items()},
    )
    return centre


@transaction.atomic
def work_centre_update(
    *, actor: User, work_centre_id: int, version: int | None = None, **fields: Any
) -> WorkCentre:
    """Change a work centre's code, name, capacity, hourly cost or activity (`fields`);
    runs already recorded keep the cost they were valued at."""
    policy.require(actor, MANAGE)
    centre = _work_centre(actor, work_centre_id, lock=True)
    require_version(centre, version)
    unknown = set(fields) - {"code", "name", "capacity", "cost_per_hour", "is_active"}
    if unknown:
        raise WorkCentreInvalidError(
            _("Unknown fields: %s.") % ", ".join(sorted(unknown)),
            field_errors={name: [_("Unknown field.")] for name in sorted(unknown)},
        )
    clean = _work_centre_fields(fields)
    if (
        "code" in clean
        and WorkCentre.objects.filter(company_id=centre.company_id, code=clean["code"])
        .exclude(pk=centre.pk)
        .exists()
    ):
        message = _("Work centre %s exists already.") % clean["code"]
        raise WorkCentreInvalidError(message, field_errors={"code": [message]})
    changes = {
        key: [str(getattr(centre, key)), str(value)]
        for key, value in clean.items()
        if getattr(centre, key) != value
    }
    if changes:
        for key, value in clean.items():
            setattr(centre, key, value)
        centre.version += 1
        centre.save()
        audit.record(actor=actor, obj=centre, action="manufacturing.work_centre_update", changes=changes)
    return centre


def _work_centre(actor: User, work_centre_id: Any, *, lock: bool = False) -> WorkCentre:
    rows = WorkCentre.objects.select_for_update() if lock else WorkCentre.objects.all()
    centre = (
        rows.filter(pk=work_centre_id, company_id=policy.actor_company_id(actor)).first()
        if isinstance(work_centre_id, int)
        else None
    )
    if centre is None:
        raise NotFoundError(_("Not found."))
    return centre


# ----------------------------------------------------------------------------- bills of materials


@dataclass
class _BomLines:
    components: list[BomComponent]
    by_products: list[BomByProduct]
    operations: list[BomOperation]


def _unit(product: Product, uom_id: int | None, uoms: dict[int, Uom], field: str, label: str) -> Uom:
    """The line's unit (default the product's), of the product's unit category."""
    if uom_id is None or uom_id == product.uom_id:
        return product.uom
    uom = uoms.get(uom_id)
    if uom is None:
        raise BomInvalidError(_("%s: unknown unit.") % label, field_errors={field: [_("Unknown unit.")]})
    try:
        uom_convert(Decimal(1), uom, product.uom)
    except UomIncompatibleError as error:
        raise BomInvalidError(f"{label}: {error.message}", field_errors={field: [error.message]}) from None
    return uom


def _bom_lines(
    company_id: int,
    product: Product,
    components: Sequence[ComponentIn],
    by_products: Sequence[ByProductIn],
    operations: Sequence[OperationIn],
) -> _BomLines:
    """The checked lines of a BOM for `product` (not saved)."""
    if not components:
        raise BomInvalidError(
            _("Add at least one component."), field_errors={"components": [_("Add at least one component.")]}
        )
    ids = {c.product_id for c in components} | {b.product_id for b in by_products}
    products = {
        p.pk: p
        for p in Product.objects.select_related("uom").filter(
            company_id=company_id, pk__in=[pk for pk in ids if isinstance(pk, int)]
        )
    }
    uom_ids = [c.uom_id for c in components if isinstance(c.uom_id, int)]
    uom_ids += [b.uom_id for b in by_products if isinstance(b.uom_id, int)]
    uoms = {u.pk: u for u in Uom.objects.filter(company_id=company_id, pk__in=uom_ids)}
    lines = _BomLines([], [], [])

    def line_product(product_id: Any, field: str, label: str) -> Product:
        found = products.get(product_id)
        if found is None:
            raise BomInvalidError(
                _("%s: unknown product.") % label, field_errors={field: [_("Unknown product.")]}
            )
        if not found.is_active:
            message = _("%(label)s: product %(sku)s is archived.") % {"label": label, "sku": found.sku}
            raise BomInvalidError(message, field_errors={field: [message]})
        if found.kind == ProductKind.SERVICE:
            message = _("%(label)s: %(sku)s is a service, not goods.") % {"label": label, "sku": found.sku}
            raise BomInvalidError(message, field_errors={field: [message]})
        return found

    for index, line in enumerate(components):
        field, label = f"components.{index}", _("Component %d") % (index + 1)
        part = line_product(line.product_id, f"{field}.product_id", label)
        lines.components.append(
            BomComponent(
                product=part,
                quantity=_decimal(line.quantity, f"{field}.quantity", BomInvalidError, positive=True),
                uom=_unit(part, line.uom_id, uoms, f"{field}.uom_id", label),
                scrap_percent=_decimal(
                    line.scrap_percent, f"{field}.scrap_percent", BomInvalidError, below=Decimal("99.9999")
                ),
                sequence=index + 1,
            )
        )
    for index, by_line in enumerate(by_products):
        field, label = f"by_products.{index}", _("By-product %d") % (index + 1)
        made = line_product(by_line.product_id, f"{field}.product_id", label)
        if made.pk == product.pk:
            message = _("%s: the product itself is not a by-product.") % label
            raise BomInvalidError(message, field_errors={f"{field}.product_id": [message]})
        if made.tracking == Tracking.SERIAL:
            message = _("%(label)s: %(sku)s has serial numbers; a by-product cannot.") % {
                "label": label,
                "sku": made.sku,
            }
            raise BomInvalidError(message, field_errors={f"{field}.product_id": [message]})
        lines.by_products.append(
            BomByProduct(
                product=made,
                quantity=_decimal(by_line.quantity, f"{field}.quantity", BomInvalidError, positive=True),
                uom=_unit(made, by_line.uom_id, uoms, f"{field}.uom_id", label),
                cost_share=_decimal(
                    by_line.cost_share, f"{field}.cost_share", BomInvalidError, below=Decimal(100)
                ),
                sequence=index + 1,
            )
        )
    if sum((b.cost_share for b in lines.by_products), Decimal(0)) > 100:
        message = _("The by-products' cost shares add up to more than 100 %.")
        raise BomInvalidError(message, field_errors={"by_products": [message]})
    centres = {
        c.pk: c
        for c in WorkCentre.objects.filter(
            company_id=company_id,
            pk__in=[o.work_centre_id for o in operations if isinstance(o.work_centre_id, int)],
        )
    }
    for index, operation in enumerate(operations):
        field = f"operations.{index}"
        centre = centres.get(operation.work_centre_id)
        if centre is None or not centre.is_active:
            raise BomInvalidError(
                _("Operation %d: unknown work centre.") % (index + 1),
                field_errors={f"{field}.work_centre_id": [_("Unknown work centre.")]},
            )
        name = str(operation.name or "").strip()
        if not name or len(name) > 100:
            raise BomInvalidError(
                _("Operation %d: enter a name of at most 100 characters.") % (index + 1),
                field_errors={f"{field}.name": [_("Enter a name of at most 100 characters.")]},
            )
        lines.operations.append(
            BomOperation(
                work_centre=centre,
                name=name,
                hours=_decimal(operation.hours, f"{field}.hours", BomInvalidError),
                sequence=operation.sequence if operation.sequence is not None else (index + 1) * 10,
            )
        )
    return lines


def _cycle(company_id: int, product: Product, component_ids: list[int], bom_id: int | None) -> list[int]:
    """The product ids of a path from `product` back to itself through the components of
    the active BOMs (this BOM's `component_ids` instead of what it had), or []."""
    edges: dict[int, set[int]] = defaultdict(set)
    rows = BomComponent.objects.filter(bom__company_id=company_id, bom__is_active=True)
    if bom_id is not None:
        rows = rows.exclude(bom_id=bom_id)
    for made, part in rows.values_list("bom__product_id", "product_id"):
        edges[made].add(part)
    edges[product.pk] |= set(component_ids)
    # Depth first from the product; a path that reaches it again is a cycle.
    stack: list[tuple[int, list[int]]] = [(product.pk, [product.pk])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for part in sorted(edges.get(node, ())):
            if part == product.pk:
                return [*path, part]
            if part not in seen:
                seen.add(part)
                stack.append((part, [*path, part]))
    return []


def _require_no_cycle(company_id: int, product: Product, lines: _BomLines, bom_id: int | None) -> None:
    path = _cycle(company_id, product, [c.product.pk for c in lines.components], bom_id)
    if path:
        skus = dict(Product.objects.filter(pk__in=path).values_list("pk", "sku"))
        named = " → ".join(skus[pk] for pk in path)
        message = _("The bill of materials contains itself: %s.") % named
        raise BomCycleError(message, field_errors={"components": [message]}, extra={"path": named})


def _bom_lines_save(bom: BillOfMaterials, lines: _BomLines) -> None:
    for component in lines.components:
        component.bom = bom
    for by_product in lines.by_products:
        by_product.bom = bom
    for operation in lines.operations:
        operation.bom = bom
    BomComponent.objects.bulk_create(lines.components)
    BomByProduct.objects.bulk_create(lines.by_products)
    BomOperation.objects.bulk_create(lines.operations)


def _bom_head(
    company_id: int, product_id: Any, code: Any, name: Any, quantity: Any, uom_id: Any
) -> dict[str, Any]:
    product = (
        Product.objects.select_related("uom").filter(pk=product_id, company_id=company_id).first()
        if isinstance(product_id, int)
        else None
    )
    if product is None:
        raise BomInvalidError(_("Unknown product."), field_errors={"product_id": [_("Unknown product.")]})
    if product.kind == ProductKind.SERVICE:
        message = _("%s is a service: services are not made from components.") % product.sku
        raise BomInvalidError(message, field_errors={"product_id": [message]})
    code, name = str(code or "").strip().upper(), str(name or "").strip()
    errors: dict[str, list[str]] = {}
    if not code or len(code) > 40 or " " in code:
        errors["code"] = [_("Enter a code of at most 40 characters, without spaces.")]
    if len(name) > 200:
        errors["name"] = [_("Enter a name of at most 200 characters.")]
    if errors:
        raise BomInvalidError(_("Please correct the marked fields."), field_errors=errors)
    uoms = (
        {u.pk: u for u in Uom.objects.filter(company_id=company_id, pk=uom_id)}
        if isinstance(uom_id, int)
        else {}
    )
    return {
        "product": product,
        "code": code,
        "name": name or product.name,
        "quantity": _decimal(quantity, "quantity", BomInvalidError, positive=True),
        "uom": _unit(product, uom_id, uoms, "uom_id", _("Unit")),
    }


@transaction.atomic
def bom_create(
    *,
    actor: User,
    product_id: int,
    code: str,
    components: Sequence[ComponentIn],
    name: str = "",
    quantity: Decimal | int | str = 1,
    uom_id: int | None = None,
    by_products: Sequence[ByProductIn] = (),
    operations: Sequence[OperationIn] = (),
) -> BillOfMaterials:
    """A bill of materials: how `quantity` (in `uom_id`, default the product's unit) of a
    product is made. Refused when a line's unit measures something else than its product,
    or when the product would contain itself, directly or through a component's own BOM
    (the message names the path: "TABLE → LEG → TABLE")."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    head = _bom_head(company_id, product_id, code, name, quantity, uom_id)
    if BillOfMaterials.objects.filter(company_id=company_id, code=head["code"]).exists():
        message = _("Bill of materials %s exists already.") % head["code"]
        raise BomInvalidError(message, field_errors={"code": [message]})
    lines = _bom_lines(company_id, head["product"], components, by_products, operations)
    _require_no_cycle(company_id, head["product"], lines, None)
    with unique_or_field_error("code", lambda: _("Bill of materials %s exists already.") % head["code"]):
        bom = BillOfMaterials.objects.create(company_id=company_id, **head)
    _bom_lines_save(bom, lines)
    audit.record(
        actor=actor,
        obj=bom,
        action="manufacturing.bom_create",
        changes={
            "code": [None, bom.code],
            "product": [None, head["product"].sku],
            "quantity": [None, str(bom.quantity)],
            "components": [None, len(lines.components)],
            "by_products": [None, len(lines.by_products)],
            "operations": [None, len(lines.operations)],
        },
    )
    return bom


@transaction.atomic
def bom_update(
    *,
    actor: User,
    bom_id: int,
    version: int | None = None,
    code: str | None = None,
    name: str | None = None,
    quantity: Decimal | int | str | None = None,
    uom_id: int | None = None,
    is_active: bool | None = None,
    components: Sequence[ComponentIn] | None = None,
    by_products: Sequence[ByProductIn] | None = None,
    operations: Sequence[OperationIn] | None = None,
) -> BillOfMaterials:
    """Change a BOM: the given fields, and its components, by-products or operations
    (each list, when given, replaces the old one). Orders confirmed already keep the
    components they reserved. The same checks as bom_create (cycles, units)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    bom = (
        BillOfMaterials.objects.select_for_update()
        .select_related("product", "uom")
        .filter(pk=bom_id, company_id=company_id)
        .first()
        if isinstance(bom_id, int)
        else None
    )
    if bom is None:
        raise NotFoundError(_("Not found."))
    require_version(bom, version)
    head = _bom_head(
        company_id,
        bom.product_id,
        bom.code if code is None else code,
        bom.name if name is None else name,
        bom.quantity if quantity is None else quantity,
        bom.uom_id if uom_id is None else uom_id,
    )
    if BillOfMaterials.objects.filter(company_id=company_id, code=head["code"]).exclude(pk=bom.pk).exists():
        message = _("Bill of materials %s exists already.") % head["code"]
        raise BomInvalidError(message, field_errors={"code": [message]})
    old: dict[str, Any] = {
        "components": [
            ComponentIn(c.product_id, c.quantity, c.uom_id, c.scrap_percent) for c in bom.components.all()
        ],
        "by_products": [
            ByProductIn(b.product_id, b.quantity, b.uom_id, b.cost_share) for b in bom.by_products.all()
        ],
        "operations": [
            OperationIn(o.work_centre_id, o.name, o.hours, o.sequence) for o in bom.operations.all()
        ],
    }
    lines = _bom_lines(
        company_id,
        head["product"],
        old["components"] if components is None else components,
        old["by_products"] if by_products is None else by_products,
        old["operations"] if operations is None else operations,
    )
    active = bom.is_active if is_active is None else bool(is_active)
    if active:
        _require_no_cycle(company_id, head["product"], lines, bom.pk)
    changes: dict[str, Any] = {}
    for key in ("code", "name", "quantity", "uom"):
        if getattr(bom, key) != head[key]:
            changes[key] = [str(getattr(bom, key)), str(head[key])]
            setattr(bom, key, head[key])
    if bom.is_active != active:
        changes["is_active"] = [bom.is_active, active]
        bom.is_active = active
    for key, given in (("components", components), ("by_products", by_products), ("operations", operations)):
        if given is not None:
            changes[key] = [len(old[key]), len(getattr(lines, key))]
    bom.components.all().delete()
    bom.by_products.all().delete()
    bom.operations.all().delete()
    _bom_lines_save(bom, lines)
    bom.version += 1
    bom.save()
    audit.record(actor=actor, obj=bom, action="manufacturing.bom_update", changes=changes)
    return bom


def bom_explode(
    *, actor: User, bom_id: int, quantity: Decimal | int | str, uom_id: int | None = None
) -> list[Exploded]:
    """The components `quantity` (in `uom_id`, default the BOM's unit) of a BOM needs, in
    each component's stock unit, scrap included and rounded up. One level: a sub-assembly
    is a component here, made by its own production order."""
    policy.require(actor, VIEW)
    company_id = policy.actor_company_id(actor)
    bom = (
        BillOfMaterials.objects.select_related("uom", "product__uom")
        .filter(pk=bom_id, company_id=company_id)
        .first()
        if isinstance(bom_id, int)
        else None
    )
    if bom is None:
        raise NotFoundError(_("Not found."))
    amount = _decimal(quantity, "quantity", BomInvalidError, positive=True)
    if uom_id is not None and uom_id != bom.uom_id:
        uoms = {u.pk: u for u in Uom.objects.filter(company_id=company_id, pk=uom_id)}
        uom = _unit(bom.product, uom_id, uoms, "uom_id", _("Unit"))
        amount = uom_convert(amount, uom, bom.uom, rounded=False)
    return explode(bom, amount)


# ----------------------------------------------------------------------------- production orders


def _locked_order(actor: User, order_id: Any) -> ProductionOrder:
    policy.require(actor, MANAGE)
    order = (
        ProductionOrder.objects.select_for_update(of=("self",))
        .select_related("product__uom", "uom", "bom__uom", "component_transfer")
        .filter(pk=order_id, company_id=policy.actor_company_id(actor))
        .first()
        if isinstance(order_id, int)
        else None
    )
    if order is None:
        raise NotFoundError(_("Not found."))
    return order


def _require_transition(order: ProductionOrder, target: str) -> None:
    if (order.state, target) not in ProductionOrder.TRANSITIONS:
        raise ProductionStateError(
            _("Production order %(number)s is %(state)s: it cannot become %(target)s.")
            % {
                "number": order.number,
                "state": ProductionState(order.state).label,
                "target": ProductionState(target).label,
            }
        )


def _order_insert(
    *,
    company_id: int,
    bom: BillOfMaterials,
    quantity: Decimal,
    uom: Uom,
    warehouse: Warehouse,
    scheduled_date: dt.date,
    origin: str,
    created_by: User | None,
) -> ProductionOrder:
    number = number_allocate(company_id=company_id, code="manufacturing.MO", on=scheduled_date, prefix="MO")
    return ProductionOrder.objects.create(
        company_id=company_id,
        number=number,
        product=bom.product,
        bom=bom,
        quantity=quantity,
        uom=uom,
        warehouse=warehouse,
        scheduled_date=scheduled_date,
        origin=origin[:60],
        created_by=created_by,
    )


@transaction.atomic
def production_order_create(
    *,
    actor: User,
    warehouse_id: int,
    quantity: Decimal | int | str,
    bom_id: int | None = None,
    product_id: int | None = None,
    uom_id: int | None = None,
    scheduled_date: dt.date | None = None,
    origin: str = "",
) -> ProductionOrder:
    """A draft order to make `quantity` (in `uom_id`, default the product's unit) of the
    product of `bom_id` — or of `product_id` after its active BOM — in a warehouse. The
    number is taken now (MO-<year>-00001)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    bom = None
    if bom_id is not None:
        bom = (
            BillOfMaterials.objects.select_related("product__uom", "uom")
            .filter(pk=bom_id, company_id=company_id)
            .first()
            if isinstance(bom_id, int)
            else None
        )
        if bom is None or not bom.is_active:
            raise ProductionInvalidError(
                _("Choose an active bill of materials."),
                field_errors={"bom_id": [_("Choose an active bill of materials.")]},
            )
        if product_id is not None and product_id != bom.product_id:
            message = _("Bill of materials %s makes another product.") % bom.code
            raise ProductionInvalidError(message, field_errors={"bom_id": [message]})
    elif isinstance(product_id, int):
        bom = bom_for_product(company_id, product_id)
        if bom is None:
            message = _("The product has no active bill of materials.")
            raise ProductionInvalidError(message, field_errors={"product_id": [message]})
    else:
        message = _("Choose a product or a bill of materials.")
        raise ProductionInvalidError(message, field_errors={"bom_id": [message]})
    warehouse = (
        Warehouse.objects.filter(pk=warehouse_id, company_id=company_id, is_active=True).first()
        if isinstance(warehouse_id, int)
        else None
    )
    if warehouse is None:
        raise ProductionInvalidError(
            _("Unknown warehouse."), field_errors={"warehouse_id": [_("Unknown warehouse.")]}
        )
    amount = _decimal(quantity, "quantity", ProductionInvalidError, positive=True)
    product = bom.product
    if uom_id is not None and uom_id != product.uom_id:
        uoms = {u.pk: u for u in Uom.objects.filter(company_id=company_id, pk=uom_id)}
        try:
            uom = _unit(product, uom_id, uoms, "uom_id", _("Unit"))
        except BomInvalidError as error:
            raise ProductionInvalidError(error.message, field_errors=error.field_errors) from None
    else:
        uom = product.uom
    if product.tracking == Tracking.SERIAL and uom_convert(amount, uom, product.uom) % 1:
        message = _("%s has serial numbers: make whole units.") % product.sku
        raise ProductionInvalidError(message, field_errors={"quantity": [message]})
    order = _order_insert(
        company_id=company_id,
        bom=bom,
        quantity=amount,
        uom=uom,
        warehouse=warehouse,
        scheduled_date=scheduled_date or timezone.localdate(),
        origin=str(origin or "").strip(),
        created_by=actor,
    )
    audit.record(
        actor=actor,
        obj=order,
        action="manufacturing.production_order_create",
        changes={
            "number": [None, order.number],
            "bom": [None, bom.code],
            "quantity": [None, str(amount)],
            "warehouse": [None, warehouse.code],
        },
    )
    return order


def _in_bom_unit(order: ProductionOrder, quantity: Decimal) -> Decimal:
    return uom_convert(quantity, order.uom, order.bom.uom, rounded=False)


@transaction.atomic
def production_order_confirm(
    *, actor: User, order_id: int, version: int | None = None, make_components: bool = False
) -> ProductionOrder:
    """Confirm a draft order: its components (after the BOM as it is now, scrap included)
    go on a production transfer from the warehouse's stock, which is confirmed at once so
    the stock there is reserved. Publishes ProductionOrderConfirmed.

    With `make_components`, every component that has an active BOM of its own and whose
    forecast in the warehouse (on hand + incoming − outgoing, this order's need counted)
    falls short of this order's need gets a child order for the shortfall (never more than
    the need), origin = this order's number, confirmed the same way — so its own missing
    sub-assemblies are made in turn. All in this transaction: when any order is refused,
    nothing is written. This order waits for those components until the children are
    produced (check availability then reserves them)."""
    order = _locked_order(actor, order_id)
    require_version(order, version)
    _confirm(actor, order, make_components=make_components, depth=0)
    return order


def _confirm(actor: User, order: ProductionOrder, *, make_components: bool, depth: int) -> None:
    _require_transition(order, ProductionState.CONFIRMED)
    needed = explode(order.bom, _in_bom_unit(order, order.quantity))
    transfer = stock.production_transfer_create(
        actor=actor,
        warehouse_id=order.warehouse_id,
        components=[
            stock.MoveIn(product_id=item.product.pk, quantity=item.quantity, origin_line=item.origin_line)
            for item in needed
        ],
        origin=order.number,
        scheduled_date=order.scheduled_date,
    )
    transfer = stock.transfer_confirm(actor=actor, transfer_id=transfer.pk)
    order.component_transfer = transfer
    order.state = ProductionState.CONFIRMED
    order.version += 1
    order.save(update_fields=["component_transfer", "state", "version"])
    audit.record(
        actor=actor,
        obj=order,
        action="manufacturing.production_order_confirm",
        changes={
            "state": [ProductionState.DRAFT, ProductionState.CONFIRMED],
            "transfer": [None, transfer.number],
        },
    )
    outbox.publish(
        ProductionOrderConfirmed(
            company_id=order.company_id,
            order_id=order.pk,
            number=order.number,
            product_id=order.product_id,
            quantity=str(order.quantity),
            availability=order.availability,
            actor_id=actor.pk,
        )
    )
    if make_components:
        _make_missing(actor, order, needed, depth)


def _shortfalls(order: ProductionOrder, needed: Sequence[Exploded]) -> list[tuple[BillOfMaterials, Decimal]]:
    """Per component of a confirmed order that has an active BOM: that BOM and how much of
    the order's need its forecast in the warehouse does not cover (the order's own
    component moves are outgoing in it already), in the component's stock unit."""
    need: dict[int, Decimal] = defaultdict(Decimal)
    for item in needed:
        need[item.product.pk] += item.quantity
    boms = boms_for_products(order.company_id, need)
    if not boms:
        return []
    forecasts = stock_reports.forecast(
        company_id=order.company_id, product_ids=list(boms), warehouse_id=order.warehouse_id
    )
    missing = []
    for product_id, quantity in need.items():  # in the order of the BOM's lines
        bom = boms.get(product_id)
        if bom is None:
            continue
        short = min(quantity, max(Decimal(0), -forecasts[product_id].forecast))
        if bom.product.tracking == Tracking.SERIAL:
            short = short.quantize(Decimal(1), rounding=ROUND_CEILING)
        if short > 0:
            missing.append((bom, short))
    return missing


def _make_missing(actor: User, order: ProductionOrder, needed: Sequence[Exploded], depth: int) -> None:
    """A confirmed child order (origin: `order`'s number) for each component `order` lacks
    that has a BOM of its own, each making what it lacks in turn."""
    missing = _shortfalls(order, needed)
    if missing and depth >= MAX_DEPTH:
        message = _("The bill of materials %(code)s nests more than %(depth)d levels deep.") % {
            "code": order.bom.code,
            "depth": MAX_DEPTH,
        }
        raise ProductionInvalidError(message)
    for bom, quantity in missing:
        product = bom.product
        child = _order_insert(
            company_id=order.company_id,
            bom=bom,
            quantity=quantity,
            uom=product.uom,
            warehouse=order.warehouse,
            scheduled_date=order.scheduled_date,
            origin=order.number,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            obj=child,
            action="manufacturing.production_order_create",
            changes={
                "number": [None, child.number],
                "bom": [None, bom.code],
                "quantity": [None, str(quantity)],
                "warehouse": [None, order.warehouse.code],
                "origin": [None, order.number],
            },
        )
        child = ProductionOrder.objects.select_related(
            "product__uom", "uom", "bom__uom", "warehouse", "component_transfer"
        ).get(pk=child.pk)
        _confirm(actor, child, make_components=True, depth=depth + 1)


def _open_component_transfer(order: ProductionOrder) -> Transfer:
    transfer = order.component_transfer
    if transfer is None or transfer.state not in OPEN_TRANSFER:
        raise ProductionStateError(_("Production order %s has no components left to reserve.") % order.number)
    return transfer


@transaction.atomic
def production_order_check_availability(*, actor: User, order_id: int) -> ProductionOrder:
    """Try again to reserve the components of a confirmed order (stock may have come in)."""
    order = _locked_order(actor, order_id)
    if order.state not in (ProductionState.CONFIRMED, ProductionState.IN_PROGRESS):
        raise ProductionStateError(_("Only a confirmed order reserves its components."))
    transfer = stock.transfer_reserve(actor=actor, transfer_id=_open_component_transfer(order).pk)
    order.component_transfer = transfer
    return order


def _hours(
    order: ProductionOrder, factor: Decimal, hours: Sequence[HoursIn] | None
) -> dict[WorkCentre, Decimal]:
    """Hours per work centre of a run: as given, or the BOM's operations × `factor`."""
    worked: dict[WorkCentre, Decimal] = {}
    if hours is None:
        for operation in order.bom.operations.select_related("work_centre").order_by("sequence", "id"):
            centre = operation.work_centre
            worked[centre] = worked.get(centre, Decimal(0)) + (operation.hours * factor).quantize(QUANTITY)
        return worked
    centres = {
        c.pk: c
        for c in WorkCentre.objects.filter(
            company_id=order.company_id,
            pk__in=[h.work_centre_id for h in hours if isinstance(h.work_centre_id, int)],
        )
    }
    for index, item in enumerate(hours):
        found = centres.get(item.work_centre_id)
        if found is None:
            raise ProductionInvalidError(
                _("Unknown work centre."),
                field_errors={f"hours.{index}.work_centre_id": [_("Unknown work centre.")]},
            )
        amount = _decimal(item.hours, f"hours.{index}.hours", ProductionInvalidError)
        worked[found] = worked.get(found, Decimal(0)) + amount
    return worked


def _finished_lots(order: ProductionOrder, quantity: Decimal, lots: Sequence[str]) -> list[str]:
    """The lot names of the goods a run makes: one per unit for serial numbers, one lot
    (default: the order's number) for lots, none otherwise."""
    product = order.product
    names = [str(name or "").strip() for name in lots if str(name or "").strip()]
    if product.tracking == Tracking.NONE:
        if names:
            message = _("%s has no lots or serial numbers.") % product.sku
            raise ProductionInvalidError(message, field_errors={"lots": [message]})
        return []
    if product.tracking == Tracking.LOT:
        if len(names) > 1:
            message = _("Enter one lot for the goods of a run.")
            raise ProductionInvalidError(message, field_errors={"lots": [message]})
        return names or [order.number]
    if quantity % 1 or len(names) != quantity or len(set(names)) != len(names):
        message = _("Enter %(count)s different serial numbers for %(sku)s, one per unit.") % {
            "count": f"{quantity.normalize():f}",
            "sku": product.sku,
        }
        raise ProductionInvalidError(message, field_errors={"lots": [message]})
    return names


def _consumption(
    order: ProductionOrder, transfer: Transfer, produced_after: Decimal, final: bool
) -> list[stock.DoneIn]:
    """What this run consumes of each component: the rest when it finishes the order, else
    its share — the whole order's need × the share produced by the end of this run,
    rounded down, less what earlier runs consumed — taken from the reserved moves first
    (their lots and places are what the reservation picked)."""
    moves = list(
        Move.objects.filter(transfer=transfer)
        .exclude(state__in=[MoveState.DONE, MoveState.CANCELLED])
        .select_related("lot", "product__uom")
        .order_by("id")
    )
    open_by_line: dict[str, list[Move]] = defaultdict(list)
    for move in moves:
        open_by_line[move.origin_line].append(move)
    consumed_by_line: dict[str, Decimal] = defaultdict(Decimal)
    for line, quantity in Move.objects.filter(
        company_id=order.company_id,
        transfer__origin=order.number,
        state=MoveState.DONE,
        destination__usage=LocationUsage.PRODUCTION,
        origin_line__in=list(open_by_line),
    ).values_list("origin_line", "quantity"):
        consumed_by_line[line] += quantity
    done: list[stock.DoneIn] = []
    share = produced_after / order.quantity
    for line, line_moves in open_by_line.items():
        left_open = sum((m.quantity for m in line_moves), Decimal(0))
        if final:
            take = left_open
        else:
            total = consumed_by_line[line] + left_open
            take = round_down(total * share, line_moves[0].product.uom) - consumed_by_line[line]
            take = max(Decimal(0), min(take, left_open))
        # Reserved pieces first: they name the lot and place the reservation picked.
        for move in sorted(line_moves, key=lambda m: (m.state != MoveState.RESERVED, m.pk)):
            if take <= 0:
                break
            piece = min(take, move.quantity)
            if move.lot is None and move.product.tracking != Tracking.NONE and move.product.is_storable:
                # Only the reservation knows which lot or serial number to take.
                raise ProductionStateError(
                    _("%s is not reserved yet: check availability first.") % move.product.sku
                )
            done.append(stock.DoneIn(move_id=move.pk, quantity=piece, lot=move.lot.name if move.lot else ""))
            take -= piece
    return done


@transaction.atomic
def production_order_produce(
    *,
    actor: User,
    order_id: int,
    quantity: Decimal | int | str,
    lots: Sequence[str] = (),
    hours: Sequence[HoursIn] | None = None,
    version: int | None = None,
) -> ProductionOrder:
    """Record a production run of `quantity` (in the order's unit): its share of the
    components is consumed (the rest stays reserved on a backorder), the goods made — and
    the BOM's by-products for that quantity — come into stock valued at the components'
    value plus the work (Σ hours × the work centres' hourly cost; by default the BOM's
    operations for that quantity), shared out by the by-products' cost shares. The order
    is in progress until its whole quantity is made, then done. Publishes ProductionDone."""
    order = _locked_order(actor, order_id)
    require_version(order, version)
    if order.state not in (ProductionState.CONFIRMED, ProductionState.IN_PROGRESS):
        raise ProductionStateError(_("Confirm the order before producing."))
    amount = _decimal(quantity, "quantity", ProductionInvalidError, positive=True)
    remaining = order.remaining_quantity
    if amount > remaining:
        message = _("At most %s is left to make.") % f"{remaining.normalize():f}"
        raise ProductionInvalidError(message, field_errors={"quantity": [message]})
    final = amount == remaining
    product = order.product
    made = uom_convert(amount, order.uom, product.uom)
    if made <= 0:
        message = _("The quantity rounds to zero in the product's unit.")
        raise ProductionInvalidError(message, field_errors={"quantity": [message]})
    names = _finished_lots(order, made, lots)
    factor = _in_bom_unit(order, amount) / order.bom.quantity
    worked = _hours(order, factor, hours)
    work = sum(((h * centre.cost_per_hour).quantize(CENT) for centre, h in worked.items()), Decimal(0))
    transfer = _open_component_transfer(order)
    consumed = _consumption(order, transfer, order.produced_quantity + amount, final)
    if not consumed:
        message = _("This quantity consumes less than one unit of every component: make more at once.")
        raise ProductionInvalidError(message, field_errors={"quantity": [message]})
    line = f"manufacturing.productionorder:{order.pk}"
    if product.tracking == Tracking.SERIAL:
        produced = [
            stock.ProducedIn(product_id=product.pk, quantity=1, lot=n, origin_line=line) for n in names
        ]
    else:
        produced = [
            stock.ProducedIn(
                product_id=product.pk, quantity=made, lot=names[0] if names else "", origin_line=line
            )
        ]
    for by_product in order.bom.by_products.select_related("product__uom", "uom"):
        extra = uom_convert(by_product.quantity * factor, by_product.uom, by_product.product.uom)
        if extra > 0:
            produced.append(
                stock.ProducedIn(
                    product_id=by_product.product_id,
                    quantity=extra,
                    lot=order.number if by_product.product.tracking == Tracking.LOT else "",
                    cost_share=by_product.cost_share,
                    origin_line=f"manufacturing.bombyproduct:{by_product.pk}",
                )
            )
    output = stock.production_record(
        actor=actor, transfer_id=transfer.pk, produced=produced, consumed=consumed, extra_cost=work
    )
    values = list(Move.objects.filter(transfer=output).values_list("product_id", "value"))
    total = sum((value for _p, value in values), Decimal(0))
    goods = sum((value for pk, value in values if pk == product.pk), Decimal(0))
    rest = Transfer.objects.filter(backorder_of_id=transfer.pk).exclude(state=TransferState.CANCELLED).first()
    if final and rest is not None:  # nothing should be left; never keep components reserved for nothing
        stock.transfer_cancel(actor=actor, transfer_id=rest.pk)
        rest = None
    before = order.state
    order.produced_quantity += amount
    order.hours_worked += sum(worked.values(), Decimal(0))
    order.work_cost += work
    order.components_cost += total - work
    order.component_transfer = rest
    order.state = ProductionState.DONE if final else ProductionState.IN_PROGRESS
    if final:
        order.done_at = timezone.now()
    order.version += 1
    order.save()
    order.output_transfers.add(output)
    audit.record(
        actor=actor,
        obj=order,
        action="manufacturing.production_order_produce",
        changes={
            "state": [before, order.state],
            "produced_quantity": [str(order.produced_quantity - amount), str(order.produced_quantity)],
            "output": [None, output.number],
            "work_cost": [None, str(work)],
        },
    )
    outbox.publish(
        ProductionDone(
            company_id=order.company_id,
            order_id=order.pk,
            product_id=product.pk,
            quantity=str(made),
            cost=str(goods),
            actor_id=actor.pk,
        )
    )
    return order


@transaction.atomic
def production_order_cancel(*, actor: User, order_id: int, version: int | None = None) -> ProductionOrder:
    """Cancel an order that is not done: its open component transfer is cancelled (the
    reservations released). Goods made by earlier runs stay in stock."""
    order = _locked_order(actor, order_id)
    require_version(order, version)
    _require_transition(order, ProductionState.CANCELLED)
    transfer = order.component_transfer
    if transfer is not None and transfer.state in OPEN_TRANSFER:
        stock.transfer_cancel(actor=actor, transfer_id=transfer.pk)
    before = order.state
    order.state = ProductionState.CANCELLED
    order.version += 1
    order.save(update_fields=["state", "version"])
    audit.record(
        actor=actor,
        obj=order,
        action="manufacturing.production_order_cancel",
        changes={"state": [before, ProductionState.CANCELLED]},
    )
    return order


def production_order_for_reorder(
    *, company_id: int, product_id: int, warehouse_id: int, quantity: Decimal, origin: str
) -> ProductionOrder | None:
    """A draft order for `quantity` of a product after its active BOM, asked for by the
    reorder check (no user: the system acts); None when the product has no active BOM."""
    bom = bom_for_product(company_id, product_id)
    warehouse = Warehouse.objects.filter(pk=warehouse_id, company_id=company_id).first()
    if bom is None or warehouse is None or quantity <= 0:
        return None
    product = bom.product
    amount = quantity.quantize(QUANTITY)
    if product.tracking == Tracking.SERIAL:
        amount = amount.quantize(Decimal(1), rounding=ROUND_CEILING)
    order = _order_insert(
        company_id=company_id,
        bom=bom,
        quantity=amount,
        uom=product.uom,
        warehouse=warehouse,
        scheduled_date=timezone.localdate(),
        origin=origin,
        created_by=None,
    )
    audit.record(
        actor=None,
        obj=order,
        action="manufacturing.production_order_create",
        changes={"number": [None, order.number], "bom": [None, bom.code], "quantity": [None, str(amount)]},
        company_id=company_id,
    )
    return order
