"""Finance's endpoints at /api/v1/ (tag finance), one module per area; each endpoint is one
service or selector call."""

from __future__ import annotations

from ninja import Router

from kantoor.finance.api import configuration, documents, invoices, ledger, payments, reports, vat_aging

router = Router(tags=["finance"])
router.add_router("", ledger.router)
router.add_router("", reports.router)
router.add_router("", vat_aging.router)
router.add_router("", documents.router)
router.add_router("", invoices.router)
router.add_router("", payments.router)
router.add_router("", configuration.router)
