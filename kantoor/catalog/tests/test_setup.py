"""The catalog's step of `kantoor init` installs the default units and the category "All"."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from kantoor.catalog import setup
from kantoor.catalog.models import ProductCategory, Uom
from kantoor.core.models import Company

pytestmark = pytest.mark.django_db


def test_init_run_installs_the_units(company, admin_user):
    assert setup.init_run(company, admin_user, {}) == (
        "Installed 14 units of measure and the product category “All”."
    )
    assert Uom.objects.filter(company=company).count() == 14


def test_kantoor_init_runs_the_catalog_step():
    out = io.StringIO()
    call_command(
        "init",
        "--skip-migrate",
        "--no-input",
        "--company-name",
        "Molen & Co B.V.",
        "--admin-username",
        "anna",
        "--admin-email",
        "anna@molen.example",
        "--admin-password",
        "Zonnebloem-2026!",
        stdout=out,
    )
    company = Company.objects.get()
    assert sorted(Uom.objects.filter(company=company).values_list("code", flat=True)) == [
        "cm",
        "day",
        "dozen",
        "g",
        "h",
        "kg",
        "km",
        "l",
        "m",
        "m3",
        "min",
        "ml",
        "pc",
        "t",
    ]
    assert list(ProductCategory.objects.filter(company=company).values_list("name", flat=True)) == ["All"]
    assert "Installed 14 units of measure and the product category “All”." in out.getvalue()
