"""Reads of the catalog, scoped to the actor's company; and the prices a customer pays
and a supplier charges.

Catalog records are the company's master data: whoever holds a role that grants
`catalog.view_product` (in any scope) sees the company's whole catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from stdnum import ean

from kantoor.catalog.models import (
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    SupplierPrice,
    Uom,
    UomCategory,
)
from kantoor.core import fastsql, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Company
from kantoor.core.money import currency_validate, exchange_rate_on
from kantoor.core.registry import SearchHit
from kantoor.parties.models import Party

VIEW = "catalog.view_product"
DEFAULT_UOM = "pc"
DEFAULT_CATEGORY = "All"
PRICE = Decimal("0.000001")
HUNDRED = Decimal(100)

M = TypeVar("M", bound=Model)


def _of_company(actor: policy.Actor, queryset: QuerySet[M], company: str = "company_id") -> QuerySet[M]:
    if not policy.has_permission(actor, VIEW):
        return queryset.none()
    return queryset.filter(**{company: policy.actor_company_id(actor)})


def products_visible(actor: policy.Actor) -> QuerySet[Product]:
    """Every product (archived ones too) of the actor's company, if they may see the catalog."""
    return _of_company(actor, Product.objects.all())


def product_get_for_actor(actor: policy.Actor, product_id: int) -> Product:
    product = (
        products_visible(actor)
        .select_related("category", "uom", "purchase_uom", "uom__category")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFoundError(_("Not found."))
    return product


def _search_condition(q: str) -> Q:
    text = q.strip()
    if not text:
        return Q()
    condition = Q(sku__istartswith=text) | Q(name__icontains=text)
    code = ean.compact(text)
    if code.isdigit() and 8 <= len(code) <= 14:
        condition |= Q(barcode=code)
    return condition


def products_list(
    actor: policy.Actor,
    *,
    q: str = "",
    category_id: int | None = None,
    kind: str = "",
    include_archived: bool = False,
) -> QuerySet[Product]:
    """The actor's products filtered as a list page or the API asks (active ones unless
    `include_archived`)."""
    qs = products_visible(actor)
    if not include_archived:
        qs = qs.filter(is_active=True)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if kind:
        qs = qs.filter(kind=kind)
    if q.strip():
        qs = qs.filter(_search_condition(q))
    return qs


def product_search(actor: policy.Actor, q: str, *, limit: int = 20) -> list[Product]:
    """Active products whose SKU starts with, name contains, or barcode is `q`; exact SKU
    and barcode matches first."""
    text = q.strip()
    if not text:
        return []
    rows = list(products_list(actor, q=text).select_related("uom").order_by("sku", "id")[: limit * 2])
    exact = ean.compact(text)
    rows.sort(key=lambda p: (p.sku.lower() != text.lower() and p.barcode != exact, p.sku))
    return rows[:limit]


def product_by_code(company_id: int, code: str) -> Product | None:
    """The company's product with this SKU (any case) or barcode, for scan fields."""
    text = (code or "").strip()
    if not text:
        return None
    products = Product.objects.filter(company_id=company_id).select_related("uom")
    found = products.filter(sku__iexact=text).first()
    if found is None:
        barcode = ean.compact(text)
        if barcode.isdigit():
            found = products.filter(barcode=barcode).first()
    return found


def uom_default(company_id: int) -> Uom:
    """The unit products are counted in by default (pieces), installed by `units_install`."""
    uom = Uom.objects.filter(company_id=company_id, code=DEFAULT_UOM).first()
    if uom is None:
        raise NotFoundError(_("The company has no units yet; install the default units first."))
    return uom


def category_default(company_id: int) -> ProductCategory:
    """The product category "All", installed by `units_install`."""
    category = ProductCategory.objects.filter(company_id=company_id, name=DEFAULT_CATEGORY).first()
    if category is None:
        raise NotFoundError(_("The company has no product categories yet; install the default units first."))
    return category


def uom_categories_visible(actor: policy.Actor) -> QuerySet[UomCategory]:
    return _of_company(actor, UomCategory.objects.all())


def uoms_visible(actor: policy.Actor) -> QuerySet[Uom]:
    return _of_company(actor, Uom.objects.select_related("category"))


def product_categories_visible(actor: policy.Actor) -> QuerySet[ProductCategory]:
    return _of_company(actor, ProductCategory.objects.select_related("parent"))


def price_lists_visible(actor: policy.Actor) -> QuerySet[PriceList]:
    return _of_company(actor, PriceList.objects.select_related("party", "customer_group"))


def price_list_get_for_actor(actor: policy.Actor, price_list_id: int) -> PriceList:
    price_list = price_lists_visible(actor).filter(pk=price_list_id).first()
    if price_list is None:
        raise NotFoundError(_("Not found."))
    return price_list


def price_list_items(price_list: PriceList) -> QuerySet[PriceListItem]:
    return PriceListItem.objects.filter(price_list=price_list).select_related("product")


def supplier_prices_visible(actor: policy.Actor) -> QuerySet[SupplierPrice]:
    return _of_company(actor, SupplierPrice.objects.select_related("supplier", "product"))


def product_price_list_items(product: Product) -> QuerySet[PriceListItem]:
    """The price list items of one product, with their lists (its detail page)."""
    return (
        PriceListItem.objects.filter(product=product, price_list__company_id=product.company_id)
        .select_related("price_list", "price_list__party", "price_list__customer_group")
        .order_by("price_list__priority", "price_list__name", "min_quantity", "id")
    )


# ----------------------------------------------------------------------------- prices


@dataclass(frozen=True)
class PriceQuote:
    """A unit price and where it came from: a price list item (fixed or a discount on the
    list price) or the product's list price."""

    unit_price: Decimal
    currency: str
    price_list_id: int | None = None
    item_id: int | None = None
    discount: Decimal | None = None

    @property
    def source(self) -> str:
        return "price_list" if self.price_list_id else "list_price"


def _valid_on(on: dt.date) -> Q:
    starts = Q(valid_from__isnull=True) | Q(valid_from__lte=on)
    return starts & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def _has_price_items(company_id: int, currency: str, product_ids: list[int]) -> bool:
    """Whether any active price list in `currency` has an item for one of the products: most
    documents have none, and this one plain query saves the full search."""
    statement = fastsql.cursor()
    statement.execute(
        "SELECT 1 FROM catalog_pricelistitem i JOIN catalog_pricelist l ON l.id = i.price_list_id "  # noqa: S608
        f"WHERE l.company_id = %s AND l.currency = %s AND l.is_active = %s "
        f"AND i.product_id IN ({fastsql.placeholders(product_ids)}) LIMIT 1",
        [company_id, currency, True, *product_ids],
    )
    return statement.fetchone() is not None


def price_quote(
    *,
    company_id: int,
    product: Product,
    party_id: int | None,
    quantity: Decimal,
    on: dt.date,
    currency: str | None = None,
) -> PriceQuote:
    """The unit price `party_id` pays for `quantity` of the product (in its unit) on `on`,
    in `currency` (default: the company's). The price lists in that currency that are
    active and valid on `on` are tried in order — the party's own, then those of its
    customer groups (tags), then those for every customer, each by `priority` — and the
    first one with an item for the product valid on `on` wins with its item of the highest
    `min_quantity` not above `quantity` (of two for the same quantity, one with validity
    dates — a temporary offer — beats one without, then the newest). A discount item takes
    its percentage off the list price. Without any, the list price (converted at the rate
    of `on`; a missing rate is a MissingExchangeRateError). Two queries, three with a party."""
    return price_quotes(
        company_id=company_id, lines=[(product, quantity)], party_id=party_id, on=on, currency=currency
    )[0]


def price_quotes(
    *,
    company_id: int,
    lines: Sequence[tuple[Product, Decimal]],
    party_id: int | None,
    on: dt.date,
    currency: str | None = None,
    price_list_id: int | None = None,
    base_currency: str = "",
) -> list[PriceQuote]:
    """`price_quote` for each (product, quantity) of a document's `lines` at once, in the
    same number of queries as one. With `price_list_id` only that list applies (the one
    agreed with the customer), in `currency`, else the list price. A caller that knows the
    company's `base_currency` saves reading it."""
    base_currency = base_currency or Company.objects.values_list("base_currency", flat=True).get(
        pk=company_id
    )
    code = currency_validate(currency) if currency else base_currency
    if not lines:
        return []
    product_ids = sorted({product.pk for product, _quantity in lines})
    rates: dict[str, Decimal] = {}

    def list_price(product: Product) -> Decimal:
        # The rate only when a list price is converted: a fixed price in the list's currency needs none.
        if code not in rates:
            rates[code] = (
                Decimal(1)
                if code == base_currency
                else exchange_rate_on(company_id=company_id, currency=code, on=on)
            )
        price, rate = Decimal(product.list_price), rates[code]
        return price if rate == 1 else (price * rate).quantize(PRICE, rounding=ROUND_HALF_UP)

    if not _has_price_items(company_id, code, product_ids):
        return [PriceQuote(unit_price=list_price(product), currency=code) for product, _quantity in lines]
    items = PriceListItem.objects.filter(
        _valid_on(on),
        product_id__in=product_ids,
        min_quantity__lte=max(quantity for _product, quantity in lines),
        price_list__company_id=company_id,
        price_list__currency=code,
        price_list__is_active=True,
    ).filter(
        Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on),
        Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=on),
    )
    if price_list_id is not None:
        items = items.filter(price_list_id=price_list_id)
    else:
        tag_ids: list[int] = []
        if party_id is not None:
            tag_ids = list(
                Party.tags.through.objects.filter(party_id=party_id).values_list("tag_id", flat=True)
            )
        items = items.filter(_audience_of_list(party_id, tag_ids))
    by_product: dict[int, list[PriceListItem]] = {}
    for item in items.select_related("price_list"):
        by_product.setdefault(item.product_id, []).append(item)

    def rank(item: PriceListItem) -> tuple[Any, ...]:
        plist = item.price_list
        specificity = 0 if plist.party_id is not None else 1 if plist.customer_group_id else 2
        dated = 0 if item.valid_from or item.valid_to else 1  # a dated offer beats the standing price
        return (specificity, plist.priority, plist.name, plist.pk, -item.min_quantity, dated, -item.pk)

    quotes = []
    for product, quantity in lines:
        found = [item for item in by_product.get(product.pk, ()) if item.min_quantity <= quantity]
        if not found:
            quotes.append(PriceQuote(unit_price=list_price(product), currency=code))
            continue
        best = min(found, key=rank)
        if best.price is not None:
            unit_price = Decimal(best.price)
        else:
            unit_price = (list_price(product) * (HUNDRED - Decimal(best.discount or 0)) / HUNDRED).quantize(
                PRICE, rounding=ROUND_HALF_UP
            )
        quotes.append(
            PriceQuote(
                unit_price=unit_price,
                currency=code,
                price_list_id=best.price_list_id,
                item_id=best.pk,
                discount=best.discount,
            )
        )
    return quotes


def _audience_of_list(party_id: int | None, tag_ids: list[int]) -> Q:
    """The lists for this party, its groups or everyone, written on the items' lists."""
    condition = Q(price_list__party__isnull=True, price_list__customer_group__isnull=True)
    if party_id is not None:
        condition |= Q(price_list__party_id=party_id)
    if tag_ids:
        condition |= Q(price_list__customer_group_id__in=tag_ids)
    return condition


def price_for(
    *,
    company_id: int,
    product: Product,
    party_id: int | None,
    quantity: Decimal,
    on: dt.date,
    currency: str | None = None,
) -> Decimal:
    """The unit price of `price_quote` alone."""
    return price_quote(
        company_id=company_id, product=product, party_id=party_id, quantity=quantity, on=on, currency=currency
    ).unit_price


def supplier_price_for(
    product: Product, supplier_id: int | None, quantity: Decimal, on: dt.date
) -> SupplierPrice | None:
    """The supplier's price for `quantity` of the product (in its purchase unit) valid on
    `on` — with its currency and `lead_time_days` — or None. Among the prices whose
    `min_quantity` is not above `quantity`, the lowest `priority` wins, then the cheapest
    (then the shortest lead time). Without `supplier_id`, any supplier's."""
    prices = SupplierPrice.objects.filter(
        _valid_on(on), company_id=product.company_id, product_id=product.pk, min_quantity__lte=quantity
    )
    if supplier_id is not None:
        prices = prices.filter(supplier_id=supplier_id)
    return prices.select_related("supplier").order_by("priority", "price", "lead_time_days", "id").first()


# ----------------------------------------------------------------------------- global search


def product_search_hits(actor: Any, query: str, limit: int) -> list[SearchHit]:
    """Global search provider: products by SKU, name or barcode."""
    return [
        SearchHit(
            kind=_("Product"),
            title=f"{product.sku} · {product.name}",
            subtitle=product.get_kind_display(),
            url_name="web:product-detail",
            url_args=(product.pk,),
        )
        for product in product_search(actor, query, limit=limit)
    ]
