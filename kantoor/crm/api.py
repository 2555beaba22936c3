"""The crm API (mounted at /api/v1/ by kantoor.api)."""

from ninja import Router

router = Router(tags=["crm"])
