"""Demo catalog: the assortment of a Dutch wholesaler of office and IT goods — stockable
goods (laptops and printers with serial numbers, toner by lot), consumables and services —
in categories with both costing methods, Dutch translations, supplier prices from the demo's
suppliers and two price lists (a customer group and one customer).

Created through the services as operations and management would; a re-run creates only
what is missing (products by SKU, price lists by name) and sets the same prices again, so
it changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from stdnum import ean

from kantoor.catalog import services
from kantoor.catalog.models import CostingMethod, PriceList, Product, ProductCategory, Uom
from kantoor.core import demo
from kantoor.core.models import Company, User
from kantoor.parties.models import Party, PartyRoleType, Tag


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    name_nl: str
    category: str
    list_price: str
    cost: str
    kind: str = "stockable"
    tracking: str = "none"
    uom: str = "pc"
    purchase_uom: str = ""
    description: str = ""
    has_barcode: bool = True
    allows_negative_stock: bool = False


# Categories and how their stock is valued (FIFO where purchase prices move a lot).
CATEGORIES = [
    ("Office supplies", CostingMethod.AVERAGE),
    ("Paper", CostingMethod.AVERAGE),
    ("IT hardware", CostingMethod.FIFO),
    ("Printing", CostingMethod.FIFO),
    ("Cables and accessories", CostingMethod.AVERAGE),
    ("Furniture", CostingMethod.AVERAGE),
    ("Pantry and cleaning", CostingMethod.AVERAGE),
    ("Services", CostingMethod.AVERAGE),
]
PARENTS = {"Paper": "Office supplies"}

PRODUCTS = [
    DemoProduct(
        "PAP-A4-80",
        "Copier paper A4 80 g, ream of 500",
        "Kopieerpapier A4 80 g, pak à 500",
        "Paper",
        "5.95",
        "3.40",
        purchase_uom="dozen",
    ),
    DemoProduct(
        "PAP-A3-80",
        "Copier paper A3 80 g, ream of 500",
        "Kopieerpapier A3 80 g, pak à 500",
        "Paper",
        "11.50",
        "6.90",
    ),
    DemoProduct(
        "PAP-A4-RC",
        "Recycled paper A4 80 g, ream of 500",
        "Gerecycled papier A4 80 g, pak à 500",
        "Paper",
        "6.45",
        "3.85",
        purchase_uom="dozen",
    ),
    DemoProduct(
        "PAP-ROLL-57",
        "Receipt rolls 57 mm, box of 50",
        "Kassarollen 57 mm, doos à 50",
        "Paper",
        "24.95",
        "14.20",
    ),
    DemoProduct(
        "PEN-BP-BL",
        "Ballpoint pen blue, box of 50",
        "Balpen blauw, doos à 50",
        "Office supplies",
        "17.50",
        "8.75",
    ),
    DemoProduct(
        "PEN-GEL-BK",
        "Gel pen black, box of 12",
        "Gelpen zwart, doos à 12",
        "Office supplies",
        "14.95",
        "7.10",
    ),
    DemoProduct(
        "MRK-HL-4",
        "Highlighters, set of 4 colours",
        "Markeerstiften, set van 4 kleuren",
        "Office supplies",
        "4.95",
        "2.05",
    ),
    DemoProduct(
        "FLD-LEVER-80",
        "Lever arch file A4 80 mm",
        "Ordner A4 80 mm",
        "Office supplies",
        "3.75",
        "1.60",
        purchase_uom="dozen",
    ),
    DemoProduct(
        "STP-24-6",
        "Staples 24/6, box of 1000",
        "Nietjes 24/6, doos à 1000",
        "Office supplies",
        "1.95",
        "0.62",
    ),
    DemoProduct(
        "STPL-DESK",
        "Desk stapler, 30 sheets",
        "Bureaunietmachine, 30 vel",
        "Office supplies",
        "12.95",
        "5.80",
    ),
    DemoProduct(
        "NOTE-A5-LN",
        "Notebook A5 lined, 80 sheets",
        "Notitieboek A5 gelinieerd, 80 vel",
        "Office supplies",
        "3.25",
        "1.35",
    ),
    DemoProduct(
        "POSTIT-76",
        "Sticky notes 76 × 76 mm, 12 pads",
        "Memoblokjes 76 × 76 mm, 12 blokjes",
        "Office supplies",
        "9.95",
        "4.40",
    ),
    DemoProduct(
        "LAP-14-PRO",
        'Laptop 14" i7, 16 GB, 512 GB SSD',
        'Laptop 14" i7, 16 GB, 512 GB SSD',
        "IT hardware",
        "1149.00",
        "868.00",
        tracking="serial",
        description="Three-year warranty; Dutch keyboard layout.",
    ),
    DemoProduct(
        "LAP-15-BIZ",
        'Laptop 15.6" i5, 8 GB, 256 GB SSD',
        'Laptop 15,6" i5, 8 GB, 256 GB SSD',
        "IT hardware",
        "749.00",
        "561.00",
        tracking="serial",
    ),
    DemoProduct(
        "MON-27-QHD",
        'Monitor 27" QHD with USB-C',
        'Monitor 27" QHD met USB-C',
        "IT hardware",
        "329.00",
        "236.00",
        tracking="serial",
    ),
    DemoProduct(
        "MON-24-FHD",
        'Monitor 24" Full HD',
        'Monitor 24" Full HD',
        "IT hardware",
        "149.00",
        "104.50",
        tracking="serial",
    ),
    DemoProduct(
        "DOCK-USBC",
        "USB-C docking station",
        "USB-C-dockingstation",
        "IT hardware",
        "189.00",
        "131.00",
        tracking="serial",
    ),
    DemoProduct(
        "KBD-WL-NL",
        "Wireless keyboard, Dutch layout",
        "Draadloos toetsenbord, NL-indeling",
        "IT hardware",
        "39.95",
        "21.30",
    ),
    DemoProduct("MSE-WL", "Wireless mouse", "Draadloze muis", "IT hardware", "24.95", "11.90"),
    DemoProduct(
        "HS-USB-DUO", "USB headset, two ears", "USB-headset, twee oren", "IT hardware", "59.00", "33.50"
    ),
    DemoProduct(
        "SSD-EXT-1TB",
        "External SSD 1 TB",
        "Externe SSD 1 TB",
        "IT hardware",
        "109.00",
        "76.80",
        tracking="serial",
    ),
    DemoProduct(
        "PRN-LAS-MFP",
        "Colour laser printer, multifunction",
        "Kleurenlaserprinter, multifunctioneel",
        "Printing",
        "489.00",
        "352.00",
        tracking="serial",
    ),
    DemoProduct(
        "PRN-LAS-MONO",
        "Mono laser printer",
        "Zwart-wit laserprinter",
        "Printing",
        "199.00",
        "138.00",
        tracking="serial",
    ),
    DemoProduct(
        "TNR-K-410",
        "Toner black 410 (3,000 pages)",
        "Toner zwart 410 (3.000 pagina's)",
        "Printing",
        "89.95",
        "54.10",
        tracking="lot",
        description="Lots carry their expiry date; use before it.",
    ),
    DemoProduct(
        "TNR-C-410",
        "Toner cyan 410 (2,300 pages)",
        "Toner cyaan 410 (2.300 pagina's)",
        "Printing",
        "109.95",
        "66.30",
        tracking="lot",
    ),
    DemoProduct(
        "INK-302-BK",
        "Ink cartridge 302 black",
        "Inktcartridge 302 zwart",
        "Printing",
        "17.95",
        "10.20",
        tracking="lot",
    ),
    DemoProduct("CBL-HDMI-2", "HDMI cable 2 m", "HDMI-kabel 2 m", "Cables and accessories", "9.95", "3.10"),
    DemoProduct(
        "CBL-USBC-1", "USB-C cable 1 m", "USB-C-kabel 1 m", "Cables and accessories", "12.95", "3.90"
    ),
    DemoProduct(
        "CBL-CAT6",
        "Network cable Cat6, by the metre",
        "Netwerkkabel Cat6, per meter",
        "Cables and accessories",
        "0.89",
        "0.31",
        uom="m",
        purchase_uom="km",
        has_barcode=False,
    ),
    DemoProduct(
        "PWR-STRIP-6",
        "Power strip, 6 sockets",
        "Stekkerdoos, 6 contacten",
        "Cables and accessories",
        "14.95",
        "6.70",
    ),
    DemoProduct(
        "CHR-ERGO", "Ergonomic office chair", "Ergonomische bureaustoel", "Furniture", "399.00", "244.00"
    ),
    DemoProduct(
        "DSK-SITSTAND",
        "Sit-stand desk 160 × 80 cm",
        "Zit-sta-bureau 160 × 80 cm",
        "Furniture",
        "649.00",
        "421.00",
    ),
    DemoProduct(
        "COF-BEANS-1",
        "Coffee beans, 1 kg",
        "Koffiebonen, 1 kg",
        "Pantry and cleaning",
        "18.50",
        "11.25",
        kind="consumable",
        uom="kg",
    ),
    DemoProduct(
        "TEA-ASSORT",
        "Tea assortment, box of 100",
        "Theeassortiment, doos à 100",
        "Pantry and cleaning",
        "12.95",
        "6.85",
        kind="consumable",
    ),
    DemoProduct(
        "CLN-WIPES",
        "Screen cleaning wipes, tub of 100",
        "Schoonmaakdoekjes voor schermen, pot à 100",
        "Pantry and cleaning",
        "7.95",
        "3.05",
        kind="consumable",
    ),
    DemoProduct(
        "BAT-AA-24",
        "Batteries AA, pack of 24",
        "Batterijen AA, pak à 24",
        "Pantry and cleaning",
        "15.95",
        "7.80",
        kind="consumable",
    ),
    DemoProduct(
        "SRV-INSTALL",
        "Installation and configuration (per hour)",
        "Installatie en configuratie (per uur)",
        "Services",
        "85.00",
        "0",
        kind="service",
        uom="h",
        has_barcode=False,
    ),
    DemoProduct(
        "SRV-ONSITE",
        "On-site support (per day)",
        "Ondersteuning op locatie (per dag)",
        "Services",
        "640.00",
        "0",
        kind="service",
        uom="day",
        has_barcode=False,
    ),
    DemoProduct(
        "SRV-DELIVERY",
        "Delivery within the Netherlands",
        "Bezorging binnen Nederland",
        "Services",
        "12.50",
        "0",
        kind="service",
        has_barcode=False,
    ),
    DemoProduct(
        "SRV-WARRANTY-3Y",
        "Warranty extension to three years",
        "Garantieverlenging tot drie jaar",
        "Services",
        "99.00",
        "0",
        kind="service",
        has_barcode=False,
    ),
]

GROUP_LIST = "Resellers"
GROUP_TAGS = ("groothandel", "retail", "ict")
GROUP_DISCOUNT = Decimal("8")
CUSTOMER_LIST_SUFFIX = " — contract prices"


def _barcode(rng: random.Random) -> str:
    """An EAN-13 with the Dutch GS1 prefix 87 and a valid check digit."""
    body = "87" + "".join(str(rng.randint(0, 9)) for _digit in range(10))
    return body + ean.calc_check_digit(body)


@demo.register("catalog", order=20)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """Units, categories, products with translations and supplier prices, and price lists."""
    keeper, manager = users["operations"], users["management"]
    advance = progress(_("Catalog"), len(PRODUCTS) + 3)
    services.units_install(company_id=company.pk, actor=users["admin"])
    # Drawn before anything is created, so they do not depend on what exists already.
    barcodes = {spec.sku: _barcode(rng) for spec in PRODUCTS}
    supplier_draws = {spec.sku: (rng.random(), rng.random(), rng.randint(1, 10)) for spec in PRODUCTS}
    categories = _categories_load(company, keeper)
    advance(1)
    units = {u.code: u.pk for u in Uom.objects.filter(company=company)}
    suppliers = list(
        Party.objects.filter(
            company=company, merged_into__isnull=True, is_archived=False, roles__role=PartyRoleType.SUPPLIER
        )
        .order_by("normalized_name", "id")
        .values_list("pk", flat=True)[:6]
    )
    existing = {p.sku: p for p in Product.objects.filter(company=company)}
    for spec in PRODUCTS:
        product = existing.get(spec.sku)
        if product is None:
            product = services.product_create(
                actor=keeper,
                sku=spec.sku,
                name=spec.name,
                description=spec.description,
                kind=spec.kind,
                tracking=spec.tracking,
                category_id=categories[spec.category],
                uom_id=units[spec.uom],
                purchase_uom_id=units[spec.purchase_uom] if spec.purchase_uom else None,
                barcode=barcodes[spec.sku] if spec.has_barcode else "",
                list_price=Decimal(spec.list_price),
                cost=Decimal(spec.cost),
                allows_negative_stock=spec.kind != "stockable",
                is_purchased=spec.kind != "service",
            )
            services.product_translation_set(
                actor=keeper, product_id=product.pk, language="nl", name=spec.name_nl
            )
        if spec.kind != "service" and suppliers:
            _supplier_prices_set(keeper, product, spec, suppliers, supplier_draws[spec.sku])
        advance(1)
    _price_lists_load(company, manager)
    advance(2)


def _categories_load(company: Company, keeper: User) -> dict[str, int]:
    categories = dict(ProductCategory.objects.filter(company=company).values_list("name", "pk"))
    for name, costing_method in CATEGORIES:
        if name not in categories:
            categories[name] = services.product_category_create(
                actor=keeper,
                name=name,
                parent_id=categories.get(PARENTS.get(name, "")),
                costing_method=costing_method,
            ).pk
    return categories


def _supplier_prices_set(
    keeper: User, product: Product, spec: DemoProduct, suppliers: list[int], draws: tuple[float, float, int]
) -> None:
    """One or two suppliers per product: the main one at the cost price, a second one a
    little dearer but quicker; a volume price from the main supplier for cheap goods."""
    first, second, lead_time = draws
    main = suppliers[int(first * len(suppliers))]
    cost = Decimal(spec.cost)
    services.supplier_price_set(
        actor=keeper,
        product_id=product.pk,
        supplier_id=main,
        price=cost,
        currency="EUR",
        supplier_sku=f"S-{spec.sku}",
        lead_time_days=lead_time,
    )
    if cost < 20:
        services.supplier_price_set(
            actor=keeper,
            product_id=product.pk,
            supplier_id=main,
            price=(cost * Decimal("0.92")).quantize(Decimal("0.01")),
            currency="EUR",
            supplier_sku=f"S-{spec.sku}",
            min_quantity=Decimal(100),
            lead_time_days=lead_time,
        )
    backup = suppliers[int(second * len(suppliers))]
    if backup != main and second < 0.5:
        services.supplier_price_set(
            actor=keeper,
            product_id=product.pk,
            supplier_id=backup,
            price=(cost * Decimal("1.06")).quantize(Decimal("0.01")),
            currency="EUR",
            lead_time_days=max(1, lead_time // 3),
            priority=20,
        )


def _price_lists_load(company: Company, manager: User) -> None:
    """Resellers (a customer group) get a discount on the hardware; the largest customer
    has contract prices with quantity breaks on paper and toner."""
    products = dict(Product.objects.filter(company=company).values_list("sku", "pk"))
    lists = {p.name: p for p in PriceList.objects.filter(company=company)}
    tag = Tag.objects.filter(company=company, name__in=GROUP_TAGS).order_by("name").first()
    if tag is not None:
        group = lists.get(GROUP_LIST) or services.price_list_create(
            actor=manager, name=GROUP_LIST, currency="EUR", customer_group_id=tag.pk, priority=10
        )
        for spec in PRODUCTS:
            if spec.category in ("IT hardware", "Printing") and spec.kind == "stockable":
                services.price_list_item_set(
                    actor=manager,
                    price_list_id=group.pk,
                    product_id=products[spec.sku],
                    discount=GROUP_DISCOUNT,
                )
    customer = (
        Party.objects.filter(
            company=company,
            merged_into__isnull=True,
            is_archived=False,
            roles__role=PartyRoleType.CUSTOMER,
            kind="organisation",
        )
        .order_by("normalized_name", "id")
        .first()
    )
    if customer is None:
        return
    name = f"{customer.name[:70]}{CUSTOMER_LIST_SUFFIX}"
    contract = lists.get(name) or services.price_list_create(
        actor=manager, name=name, currency="EUR", party_id=customer.pk, priority=1
    )
    for sku, breaks in (
        ("PAP-A4-80", (("0", "5.40"), ("50", "4.95"), ("250", "4.60"))),
        ("PAP-A4-RC", (("0", "5.90"), ("50", "5.45"))),
        ("TNR-K-410", (("0", "82.50"), ("10", "78.00"))),
        ("LAP-14-PRO", (("0", "1079.00"), ("10", "1049.00"))),
    ):
        for quantity, price in breaks:
            services.price_list_item_set(
                actor=manager,
                price_list_id=contract.pk,
                product_id=products[sku],
                min_quantity=Decimal(quantity),
                price=Decimal(price),
            )
