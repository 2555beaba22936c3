"""Fixtures of the catalog tests: the company's default units, users who keep the catalog,
and products built through the services. The API fixtures come from core's api_support.

Companies made by `kantoor.core.services.company_create` have no units yet (they are
installed by `kantoor init`): `units` installs them, as any app's tests may do by
importing this fixture (`from kantoor.catalog.tests.conftest import units`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog import services
from kantoor.catalog.models import Uom
from kantoor.core.tests.api_support import anonymous_api, api_as

__all__ = ["anonymous_api", "api_as", "keeper", "make_product", "pricer", "units"]


@pytest.fixture
def units(company: Any) -> dict[str, Uom]:
    """The default units of `company` by code (pc, dozen, kg, g, t, m, cm, km, l, ml, m3,
    h, day, min) and its product category "All"."""
    services.units_install(company_id=company.pk)
    return {uom.code: uom for uom in Uom.objects.filter(company=company)}


@pytest.fixture
def keeper(make_user: Callable[..., Any], units: dict[str, Uom]) -> Any:
    """Someone in operations: keeps products, units and supplier prices."""
    return make_user("operations", username="otto")


@pytest.fixture
def pricer(make_user: Callable[..., Any], units: dict[str, Uom]) -> Any:
    """Someone in management: sets customer prices, may not change products."""
    return make_user("management", username="mia")


@pytest.fixture
def make_product(keeper: Any) -> Callable[..., Any]:
    """make_product("SKU", name=…, list_price=…, …) through product_create, by `keeper`."""

    def make(sku: str, *, actor: Any = None, **fields: Any) -> Any:
        fields.setdefault("name", f"Product {sku}")
        if "list_price" in fields:
            fields["list_price"] = Decimal(str(fields["list_price"]))
        return services.product_create(actor=actor or keeper, sku=sku, **fields)

    return make
