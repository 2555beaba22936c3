"""Errors of the catalog app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import ConflictError, InvalidInputError


class UomIncompatibleError(InvalidInputError):
    """A quantity asked to change between units of different categories (kilograms into pieces)."""

    code = "uom-incompatible"
    title = _("These units do not convert into each other")


class UomInvalidError(InvalidInputError):
    code = "uom-invalid"
    title = _("The unit details are not valid")


class UomInUseError(ConflictError):
    """A unit that products are counted in cannot change what it measures or its size."""

    code = "uom-in-use"
    title = _("The unit is in use")


class ProductCategoryInvalidError(InvalidInputError):
    code = "product-category-invalid"
    title = _("The product category details are not valid")


class ProductInvalidError(InvalidInputError):
    code = "product-invalid"
    title = _("The product details are not valid")


class PriceListInvalidError(InvalidInputError):
    code = "price-list-invalid"
    title = _("The price list details are not valid")


class SupplierPriceInvalidError(InvalidInputError):
    code = "supplier-price-invalid"
    title = _("The supplier price details are not valid")


class ProductImportError(InvalidInputError):
    """A product file with at least one bad row: nothing was imported. `extra["problems"]`
    lists every problem found as {row, column, message} (the first 50)."""

    code = "product-import-invalid"
    title = _("The product file has errors; nothing was imported")
