"""units_install, the default units and uom_convert there and back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kantoor.catalog import selectors, services
from kantoor.catalog.errors import UomIncompatibleError, UomInUseError, UomInvalidError
from kantoor.catalog.models import ProductCategory, Uom, UomCategory, uom_convert
from kantoor.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_units_install_creates_the_default_units_once(company):
    created = services.units_install(company_id=company.pk)

    assert sorted((u.category.name, u.code, u.ratio, u.rounding) for u in created) == sorted(
        [
            ("Units", "pc", Decimal(1), Decimal(1)),
            ("Units", "dozen", Decimal(12), Decimal(1)),
            ("Weight", "g", Decimal("0.001"), Decimal("0.01")),
            ("Weight", "kg", Decimal(1), Decimal("0.001")),
            ("Weight", "t", Decimal(1000), Decimal("0.001")),
            ("Length", "cm", Decimal("0.01"), Decimal("0.1")),
            ("Length", "m", Decimal(1), Decimal("0.01")),
            ("Length", "km", Decimal(1000), Decimal("0.001")),
            ("Volume", "ml", Decimal("0.001"), Decimal(1)),
            ("Volume", "l", Decimal(1), Decimal("0.001")),
            ("Volume", "m3", Decimal(1000), Decimal("0.001")),
            ("Time", "min", Decimal("0.0166666667"), Decimal(1)),
            ("Time", "h", Decimal(1), Decimal("0.01")),
            ("Time", "day", Decimal(8), Decimal("0.01")),
        ]
    )
    assert list(ProductCategory.objects.filter(company=company).values_list("name", flat=True)) == ["All"]
    assert selectors.uom_default(company.pk).code == "pc"
    assert selectors.category_default(company.pk).name == "All"
    assert list(
        AuditEntry.objects.filter(action="catalog.units_install").values_list("model", flat=True)
    ) == ["core.company"]

    # a second run (a re-run of init, or a test fixture after init) changes nothing
    assert services.units_install(company_id=company.pk) == []
    assert Uom.objects.filter(company=company).count() == 14
    assert UomCategory.objects.filter(company=company).count() == 5
    assert AuditEntry.objects.filter(action="catalog.units_install").count() == 1


def test_uom_default_without_units_is_not_found(company):
    from kantoor.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        selectors.uom_default(company.pk)


def test_convert_between_units_of_one_category(units):
    assert uom_convert(Decimal(3), units["dozen"], units["pc"]) == Decimal("36.0000")
    assert uom_convert(Decimal(1500), units["g"], units["kg"]) == Decimal("1.5000")
    assert uom_convert(Decimal("2.5"), units["t"], units["kg"]) == Decimal("2500.0000")
    assert uom_convert(Decimal(90), units["min"], units["h"]) == Decimal("1.5000")
    assert uom_convert(Decimal(13), units["pc"], units["dozen"]) == Decimal("1.0000")  # whole dozens
    with pytest.raises(UomIncompatibleError) as refused:
        uom_convert(Decimal(1), units["kg"], units["pc"])
    assert refused.value.message == "kg cannot be converted into pc: they measure different things."


CONVERTIBLE = [
    ("kg", "g"),
    ("g", "kg"),
    ("t", "kg"),
    ("m", "cm"),
    ("km", "m"),
    ("l", "ml"),
    ("h", "min"),
    ("day", "h"),
    ("dozen", "pc"),
]


@pytest.mark.parametrize(("there", "back"), CONVERTIBLE)
def test_convert_there_and_back_stays_within_rounding(units, there, back):
    @settings(max_examples=60, deadline=None)
    @given(st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
    def check(raw):
        start, target = units[there], units[back]
        quantity = start.round(raw)
        returned = uom_convert(uom_convert(quantity, start, target), target, start)
        # Rounding in the other unit loses at most half its step, worth this much here:
        tolerance = max(start.rounding, target.rounding * target.ratio / start.ratio)
        assert abs(returned - quantity) <= tolerance

    check()


def test_uom_create_and_update(keeper, units):
    box = services.uom_create(
        actor=keeper,
        category_id=units["pc"].category_id,
        code="box6",
        name="Box of 6",
        ratio=Decimal(6),
        rounding=Decimal(1),
    )
    assert (box.code, box.ratio, box.category.name) == ("box6", Decimal(6), "Units")
    assert uom_convert(Decimal(2), box, units["dozen"]) == Decimal("1.0000")

    with pytest.raises(UomInvalidError) as refused:
        services.uom_create(
            actor=keeper, category_id=units["pc"].category_id, code="PC", name="Again", ratio=Decimal(1)
        )
    assert refused.value.field_errors == {"code": ["The unit PC exists already."]}

    with pytest.raises(UomInvalidError) as refused:
        services.uom_create(
            actor=keeper, category_id=units["pc"].category_id, code="x y", name="", ratio=Decimal(0)
        )
    assert refused.value.field_errors == {
        "code": ["A code has no spaces."],
        "name": ["Enter a name."],
        "ratio": ["Must be more than zero."],
    }

    box = services.uom_update(actor=keeper, uom_id=box.pk, name="Box (6)", ratio=Decimal(8))
    assert (box.name, box.ratio) == ("Box (6)", Decimal(8))


def test_uom_in_use_keeps_its_ratio(keeper, units, make_product):
    make_product("CABLE-1", uom_id=units["m"].pk)
    with pytest.raises(UomInUseError) as refused:
        services.uom_update(actor=keeper, uom_id=units["m"].pk, ratio=Decimal(2))
    assert refused.value.field_errors == {"ratio": ["The unit is in use by products."]}
    assert Uom.objects.get(pk=units["m"].pk).ratio == Decimal(1)
    # its name may change
    assert services.uom_update(actor=keeper, uom_id=units["m"].pk, name="Meter").name == "Meter"


def test_uom_category_create(keeper):
    category = services.uom_category_create(actor=keeper, name="Area")
    assert category.name == "Area"
    with pytest.raises(UomInvalidError) as refused:
        services.uom_category_create(actor=keeper, name="area")
    assert refused.value.field_errors == {"name": ["The unit category area exists already."]}
