"""The sales API of customer terms, targets and returns (mounted at /api/v1/ by kantoor.api)."""

from ninja import Router

router = Router(tags=["sales"])
