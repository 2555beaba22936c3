"""The catalog endpoints under /api/v1/: units and their categories, product categories,
products (list, read, create, change, archive, translations, the price a customer pays,
import and export), price lists with their items, and supplier prices.

Everyone but IT reads the catalog; operations (and administrators) keep products, units
and supplier prices; management and operations set customer prices (403 for others).
Another company's records are a 404. Products and price lists carry a `version` (409 when
stale). Every write takes an Idempotency-Key (installed for the whole API)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from kantoor.catalog import imports, selectors, services
from kantoor.catalog.errors import ProductImportError
from kantoor.catalog.models import (
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    ProductTranslation,
    SupplierPrice,
    Uom,
    UomCategory,
)
from kantoor.catalog.schemas import (
    ExportQuery,
    ImportOut,
    PriceListCreateIn,
    PriceListItemIn,
    PriceListItemOut,
    PriceListItemPage,
    PriceListOut,
    PriceListPage,
    PriceListUpdateIn,
    PriceOut,
    PriceQuery,
    ProductCategoryCreateIn,
    ProductCategoryOut,
    ProductCategoryUpdateIn,
    ProductCreateIn,
    ProductFilters,
    ProductOut,
    ProductPage,
    ProductUpdateIn,
    SupplierPriceIn,
    SupplierPriceOut,
    TranslationIn,
    TranslationOut,
    UomCategoryIn,
    UomCategoryOut,
    UomCreateIn,
    UomOut,
    UomUpdateIn,
    VersionIn,
)
from kantoor.core import policy
from kantoor.core.auth import actor_of
from kantoor.core.errors import NotFoundError
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.parties.selectors import parties_visible

router = Router(tags=["catalog"])

# ----------------------------------------------------------------------------- units


@router.get("/uom-categories", response=list[UomCategoryOut])
def list_uom_categories(request: HttpRequest) -> list[UomCategory]:
    """The company's unit categories (a handful: no pages)."""
    return list(selectors.uom_categories_visible(actor_of(request)).order_by("name", "id")[:500])


@router.post("/uom-categories", response={201: UomCategoryOut})
def create_uom_category(request: HttpRequest, payload: UomCategoryIn) -> Status:
    return Status(201, services.uom_category_create(actor=actor_of(request), name=payload.name))


@router.get("/uoms", response=list[UomOut])
def list_uoms(request: HttpRequest) -> list[Uom]:
    """The company's units, by category and size."""
    return list(selectors.uoms_visible(actor_of(request)).order_by("category__name", "ratio", "id")[:1000])


@router.post("/uoms", response={201: UomOut})
def create_uom(request: HttpRequest, payload: UomCreateIn) -> Status:
    """Add a unit to a category: `ratio` reference units of the category make one of it."""
    data = payload.model_dump()
    uom = services.uom_create(
        actor=actor_of(request),
        category_id=data["category_id"],
        code=data["code"],
        name=data["name"],
        ratio=Decimal(data["ratio"]),
        rounding=Decimal(data["rounding"]),
    )
    return Status(201, uom)


@router.patch("/uoms/{uom_id}", response=UomOut)
def update_uom(request: HttpRequest, uom_id: Id, payload: UomUpdateIn) -> Uom:
    """Change a unit; the size of a unit products use stays (409)."""
    changes = payload.model_dump(exclude_unset=True)
    for name in ("ratio", "rounding"):
        if name in changes:
            changes[name] = Decimal(changes[name])
    return services.uom_update(actor=actor_of(request), uom_id=uom_id, **changes)


# ----------------------------------------------------------------------------- product categories


@router.get("/product-categories", response=list[ProductCategoryOut])
def list_product_categories(request: HttpRequest) -> list[ProductCategory]:
    return list(selectors.product_categories_visible(actor_of(request)).order_by("name", "id")[:2000])


@router.post("/product-categories", response={201: ProductCategoryOut})
def create_product_category(request: HttpRequest, payload: ProductCategoryCreateIn) -> Status:
    category = services.product_category_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, category)


@router.patch("/product-categories/{category_id}", response=ProductCategoryOut)
def update_product_category(
    request: HttpRequest, category_id: Id, payload: ProductCategoryUpdateIn
) -> ProductCategory:
    return services.product_category_update(
        actor=actor_of(request), category_id=category_id, **payload.model_dump(exclude_unset=True)
    )


# ----------------------------------------------------------------------------- products


@router.get("/products", response=ProductPage)
def list_products(
    request: HttpRequest, filters: Query[ProductFilters], page: Query[PageParams]
) -> KeysetPage[Product]:
    """Products by SKU; archived ones only with `include_archived`."""
    products = selectors.products_list(
        actor_of(request),
        q=filters.q,
        category_id=filters.category_id,
        kind=filters.kind or "",
        include_archived=filters.include_archived,
    ).select_related("uom")
    return keyset_page(products, ordering=["sku", "id"], params=page, name="products")


@router.post("/products", response={201: ProductOut})
def create_product(request: HttpRequest, payload: ProductCreateIn) -> Status:
    """Add a product; SKU and barcode are unique in the company."""
    data = payload.model_dump(mode="json")
    data["list_price"], data["cost"] = Decimal(data["list_price"]), Decimal(data["cost"])
    return Status(201, services.product_create(actor=actor_of(request), **data))


@router.get("/products/export")
def export_products(request: HttpRequest, query: Query[ExportQuery]) -> HttpResponse:
    """The products as CSV or XLSX in the columns the import reads."""
    exported = imports.products_export(
        actor=actor_of(request), file_format=query.format, include_archived=query.include_archived
    )
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@router.post("/products/import", response=ImportOut)
def import_products(request: HttpRequest, file: File[UploadedFile]) -> imports.ImportResult:
    """Create (new SKU) or change (known SKU) products from a CSV or XLSX file, all or none:
    a file with any bad row imports nothing, and the problem's `errors` name every row and
    column at fault ("row 3, column uom: …")."""
    file_format = imports.file_format_of(file.name or "", file.content_type or "")
    if (file.size or 0) > imports.MAX_BYTES:
        raise ProductImportError.for_field("file", _("The file is larger than 10 MB."))
    return imports.products_import(actor=actor_of(request), content=file.read(), file_format=file_format)


@router.get("/products/{product_id}", response=ProductOut)
def get_product(request: HttpRequest, product_id: Id) -> Product:
    return selectors.product_get_for_actor(actor_of(request), product_id)


@router.patch("/products/{product_id}", response=ProductOut)
def update_product(request: HttpRequest, product_id: Id, payload: ProductUpdateIn) -> Product:
    """Change the fields sent; refused with 409 when `version` is not the current one."""
    changes = payload.model_dump(mode="json", exclude_unset=True)
    version = changes.pop("version")
    for name in ("list_price", "cost"):
        if name in changes:
            changes[name] = Decimal(changes[name])
    return services.product_update(actor=actor_of(request), product_id=product_id, version=version, **changes)


@router.post("/products/{product_id}/archive", response=ProductOut)
def archive_product(request: HttpRequest, product_id: Id, payload: VersionIn) -> Product:
    """No longer offered for new documents; its history and stock stay."""
    return services.product_archive(actor=actor_of(request), product_id=product_id, version=payload.version)


@router.post("/products/{product_id}/restore", response=ProductOut)
def restore_product(request: HttpRequest, product_id: Id, payload: VersionIn) -> Product:
    return services.product_archive(
        actor=actor_of(request), product_id=product_id, version=payload.version, archived=False
    )


@router.get("/products/{product_id}/translations", response=list[TranslationOut])
def list_product_translations(request: HttpRequest, product_id: Id) -> list[ProductTranslation]:
    product = selectors.product_get_for_actor(actor_of(request), product_id)
    return list(product.translations.order_by("language"))


@router.put("/products/{product_id}/translations/{language}", response=TranslationOut)
def set_product_translation(
    request: HttpRequest, product_id: Id, language: str, payload: TranslationIn
) -> ProductTranslation:
    """The product's name and description in `language` (en, nl), created or replaced."""
    return services.product_translation_set(
        actor=actor_of(request),
        product_id=product_id,
        language=language[:10],
        name=payload.name,
        description=payload.description,
    )


@router.delete("/products/{product_id}/translations/{language}", response={204: None})
def delete_product_translation(request: HttpRequest, product_id: Id, language: str) -> Status:
    services.product_translation_delete(
        actor=actor_of(request), product_id=product_id, language=language[:10]
    )
    return Status(204, None)


@router.get("/products/{product_id}/price", response=PriceOut)
def get_product_price(request: HttpRequest, product_id: Id, query: Query[PriceQuery]) -> dict[str, object]:
    """The unit price a customer pays for `quantity` on `date`: their price list, then their
    customer groups' lists, then lists for everyone, else the list price."""
    actor = actor_of(request)
    product = selectors.product_get_for_actor(actor, product_id)
    if query.party_id is not None and not _party_visible(actor, query.party_id):
        raise NotFoundError(_("Not found."))
    quote = selectors.price_quote(
        company_id=product.company_id,
        product=product,
        party_id=query.party_id,
        quantity=Decimal(query.quantity),
        on=query.date or timezone.localdate(),
        currency=query.currency or None,
    )
    return {
        "product_id": product.pk,
        "unit_price": quote.unit_price,
        "currency": quote.currency,
        "source": quote.source,
        "price_list_id": quote.price_list_id,
        "item_id": quote.item_id,
        "discount": quote.discount,
    }


def _party_visible(actor: policy.Actor, party_id: int) -> bool:
    return parties_visible(actor).filter(pk=party_id).exists()


@router.get("/products/{product_id}/supplier-prices", response=list[SupplierPriceOut])
def list_supplier_prices(request: HttpRequest, product_id: Id) -> list[SupplierPrice]:
    actor = actor_of(request)
    product = selectors.product_get_for_actor(actor, product_id)
    return list(
        selectors.supplier_prices_visible(actor)
        .filter(product=product)
        .order_by("priority", "min_quantity", "price", "id")[:500]
    )


@router.post("/products/{product_id}/supplier-prices", response={201: SupplierPriceOut})
def create_supplier_price(request: HttpRequest, product_id: Id, payload: SupplierPriceIn) -> Status:
    """What a supplier (a party with the supplier role) charges from `min_quantity` on; the
    price of the same supplier, quantity and dates is replaced."""
    return Status(201, _supplier_price_set(request, product_id, payload, None))


def _supplier_price_set(
    request: HttpRequest, product_id: int, payload: SupplierPriceIn, row_id: int | None
) -> SupplierPrice:
    data = payload.model_dump()
    data["price"], data["min_quantity"] = Decimal(data["price"]), Decimal(data["min_quantity"])
    return services.supplier_price_set(
        actor=actor_of(request), product_id=product_id, supplier_price_id=row_id, **data
    )


@router.put("/supplier-prices/{supplier_price_id}", response=SupplierPriceOut)
def update_supplier_price(
    request: HttpRequest, supplier_price_id: Id, payload: SupplierPriceIn
) -> SupplierPrice:
    row = selectors.supplier_prices_visible(actor_of(request)).filter(pk=supplier_price_id).first()
    if row is None:
        raise NotFoundError(_("Not found."))
    return _supplier_price_set(request, row.product_id, payload, supplier_price_id)


@router.delete("/supplier-prices/{supplier_price_id}", response={204: None})
def delete_supplier_price(request: HttpRequest, supplier_price_id: Id) -> Status:
    services.supplier_price_delete(actor=actor_of(request), supplier_price_id=supplier_price_id)
    return Status(204, None)


# ----------------------------------------------------------------------------- price lists


@router.get("/price-lists", response=PriceListPage)
def list_price_lists(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[PriceList]:
    return keyset_page(
        selectors.price_lists_visible(actor_of(request)),
        ordering=["name", "id"],
        params=page,
        name="price-lists",
    )


@router.post("/price-lists", response={201: PriceListOut})
def create_price_list(request: HttpRequest, payload: PriceListCreateIn) -> Status:
    """A price list for one customer (`party_id`), a customer group (`customer_group_id`,
    a tag) or everyone (neither), in one currency."""
    return Status(201, services.price_list_create(actor=actor_of(request), **payload.model_dump()))


@router.get("/price-lists/{price_list_id}", response=PriceListOut)
def get_price_list(request: HttpRequest, price_list_id: Id) -> PriceList:
    return selectors.price_list_get_for_actor(actor_of(request), price_list_id)


@router.patch("/price-lists/{price_list_id}", response=PriceListOut)
def update_price_list(request: HttpRequest, price_list_id: Id, payload: PriceListUpdateIn) -> PriceList:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.price_list_update(
        actor=actor_of(request), price_list_id=price_list_id, version=version, **changes
    )


@router.get("/price-lists/{price_list_id}/items", response=PriceListItemPage)
def list_price_list_items(
    request: HttpRequest, price_list_id: Id, page: Query[PageParams]
) -> KeysetPage[PriceListItem]:
    price_list = selectors.price_list_get_for_actor(actor_of(request), price_list_id)
    return keyset_page(
        PriceListItem.objects.filter(price_list=price_list),
        ordering=["id"],
        params=page,
        name="price-list-items",
    )


@router.post("/price-lists/{price_list_id}/items", response=PriceListItemOut)
def set_price_list_item(request: HttpRequest, price_list_id: Id, payload: PriceListItemIn) -> PriceListItem:
    """A unit price or a discount for a product from `min_quantity` on; the item of the same
    product, quantity and dates (or `item_id`) is replaced."""
    data = payload.model_dump()
    data["min_quantity"] = Decimal(data["min_quantity"])
    for name in ("price", "discount"):
        if data[name] is not None:
            data[name] = Decimal(data[name])
    return services.price_list_item_set(actor=actor_of(request), price_list_id=price_list_id, **data)


@router.delete("/price-list-items/{item_id}", response={204: None})
def delete_price_list_item(request: HttpRequest, item_id: Id) -> Status:
    services.price_list_item_delete(actor=actor_of(request), item_id=item_id)
    return Status(204, None)
