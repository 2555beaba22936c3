"""The OpenAPI document: committed (so API changes show in review), complete about the
cross-cutting rules, and browsable offline in the bundled Swagger UI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import kantoor

COMMITTED = Path(kantoor.__file__).parent / "openapi.json"
WRITE_METHODS = {"post", "put", "patch", "delete"}


@pytest.fixture
def served() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_the_committed_document_is_current(served: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text())

    assert served == committed, (
        "kantoor/openapi.json is out of date with the API: run `make openapi` and commit the result"
    )


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_write_documents_the_idempotency_key(served: dict[str, Any]) -> None:
    writes = [(m, p, o) for m, p, o in _operations(served) if m in WRITE_METHODS]

    assert len(writes) == 141
    for method, path, operation in writes:
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], (method, path)


# Public on purpose: the lead web form and a customer's quotation behind its signed link.
PUBLIC = {
    ("get", "/api/v1/crm/web-form/{form_key}"),
    ("post", "/api/v1/crm/web-form/{form_key}"),
    ("get", "/api/v1/quotes/{token}"),
    ("post", "/api/v1/quotes/{token}/accept"),
    ("post", "/api/v1/quotes/{token}/decline"),
}


def test_every_operation_documents_its_problems_and_needs_authentication(served: dict[str, Any]) -> None:
    public = set()
    for method, path, operation in _operations(served):
        problem = operation["responses"]["default"]["content"]
        assert problem == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        if "security" not in operation:
            public.add((method, path))
            continue
        assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], (method, path)
    assert public == PUBLIC
    assert served["components"]["securitySchemes"]["TokenAuth"] == {"scheme": "bearer", "type": "http"}


def test_request_bodies_refuse_unknown_fields(served: dict[str, Any]) -> None:
    schemas = served["components"]["schemas"]
    bodies = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for _m, _p, op in _operations(served)
        if "application/json" in op.get("requestBody", {}).get("content", {})
    }
    # The uploads: a file field and nothing else.
    uploads = {
        (method, path): op["requestBody"]["content"]["multipart/form-data"]["schema"]
        for method, path, op in _operations(served)
        if "multipart/form-data" in op.get("requestBody", {}).get("content", {})
    }
    assert sorted(uploads) == [("post", "/api/v1/crm/leads/import"), ("post", "/api/v1/products/import")]
    for upload in uploads.values():
        assert upload["required"] == ["file"]
        assert list(upload["properties"]) == ["file"]

    assert bodies == {
        "AccountCreateIn",
        "AccountUpdateIn",
        "ActivityCreateIn",
        "ActivityUpdateIn",
        "ActivityVersionIn",
        "ArchiveIn",
        "BillCreateIn",
        "BomIn",
        "BomPatch",
        "CompanyUpdateIn",
        "ConfirmIn",
        "CountCreateIn",
        "CountLineAddIn",
        "CountLineSetIn",
        "CreditNoteIn",
        "CrmVersionIn",
        "EntryCreateIn",
        "EntryReverseIn",
        "EntryUpdateIn",
        "EntryVersionIn",
        "FinanceSettingsUpdateIn",
        "FiscalYearCreateIn",
        "InvoiceCreateIn",
        "InvoiceSendIn",
        "InvoiceUpdateIn",
        "InvoiceVersionIn",
        "ItemsReconcileIn",
        "JournalCreateIn",
        "JournalUpdateIn",
        "LeadConvertIn",
        "LeadCreateIn",
        "LeadDisqualifyIn",
        "LeadUpdateIn",
        "LedgerVersionIn",
        "LocationCreateIn",
        "LockDateIn",
        "LostReasonCreateIn",
        "LostReasonUpdateIn",
        "MergeIn",
        "OpportunityCreateIn",
        "OpportunityLoseIn",
        "OpportunityMoveIn",
        "OpportunityUpdateIn",
        "OrderCreateIn",
        "OrderSendIn",
        "OrderUpdateIn",
        "OrderVersionIn",
        "PartyCreateIn",
        "PartyUpdateIn",
        "PaymentCancelIn",
        "PaymentCreateIn",
        "PaymentTermCreateIn",
        "PaymentTermUpdateIn",
        "PriceListCreateIn",
        "PriceListItemIn",
        "PriceListUpdateIn",
        "ProduceIn",
        "ProductCategoryCreateIn",
        "ProductCategoryUpdateIn",
        "ProductCreateIn",
        "ProductUpdateIn",
        "ProductionOrderIn",
        "QuoteAcceptIn",
        "QuoteDeclineIn",
        "ReturnCreateIn",
        "ReturnVersionIn",
        "SalesOrderConfirmIn",
        "SalesOrderCreateIn",
        "SalesOrderSendIn",
        "SalesOrderUpdateIn",
        "SalesOrderVersionIn",
        "ScoringWeightsIn",
        "StageCreateIn",
        "StageOrderIn",
        "StageUpdateIn",
        "StockAccountsSetIn",
        "SupplierPriceIn",
        "TargetIn",
        "TaxCreateIn",
        "TaxUpdateIn",
        "TeamCreateIn",
        "TeamUpdateIn",
        "TermsIn",
        "TokenCreateIn",
        "TransferCreateIn",
        "TransferReturnIn",
        "TransferValidateIn",
        "TransferVersionIn",
        "TranslationIn",
        "UomCategoryIn",
        "UomCreateIn",
        "UomUpdateIn",
        "UserCreateIn",
        "UserUpdateIn",
        "VersionIn",
        "WarehouseCreateIn",
        "WarehouseUpdateIn",
        "WebFormCreateIn",
        "WebFormUpdateIn",
        "WorkCentreIn",
        "WorkCentrePatch",
    }
    for name in bodies:
        assert schemas[name]["additionalProperties"] is False, name


def test_editable_records_expose_their_version(served: dict[str, Any]) -> None:
    schemas = served["components"]["schemas"]

    assert schemas["PartyOut"]["properties"]["version"] == {"title": "Version", "type": "integer"}
    assert schemas["TeamOut"]["properties"]["version"] == {"title": "Version", "type": "integer"}
    assert schemas["EntryOut"]["properties"]["version"] == {"title": "Version", "type": "integer"}
    assert schemas["FiscalYearDetailOut"]["properties"]["version"] == {"title": "Version", "type": "integer"}
    assert schemas["CompanyOut"]["properties"]["version"] == {"title": "Version", "type": "integer"}


def test_the_docs_are_served_from_bundled_files_without_a_cdn(settings: Any) -> None:
    # Hashed names come from `collectstatic` in production; tests serve from the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()

    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert "/static/ninja/swagger-ui.css" in assets
    assert not [url for url in assets if "//" in url], assets
    assert '"validatorUrl": null' in html  # Swagger UI would otherwise call validator.swagger.io
    for url in ("/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"):
        assert client.get(url).status_code == 200, url
