"""The one NinjaAPI at /api/v1/: one router per app, every error as problem+json.

Cross-cutting behaviour is installed here once, not per endpoint: authentication (API
token or session with CSRF), Idempotency-Key on every write, problem+json for every error
including unknown routes (404) and wrong methods (405), and the OpenAPI additions that
describe them (the header and the problem shape).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from kantoor.activities.api import router as activities_router
from kantoor.catalog.api import router as catalog_router
from kantoor.core import idempotency, problems
from kantoor.core.api import router as core_router
from kantoor.core.auth import SessionAuth, TokenAuth
from kantoor.core.schemas import Problem
from kantoor.crm.api import router as crm_router
from kantoor.finance.api import router as finance_router
from kantoor.inventory.api import router as inventory_router
from kantoor.inventory.api_configuration import router as stock_accounts_router
from kantoor.inventory.api_reports import router as stock_reports_router
from kantoor.manufacturing.api import router as manufacturing_router
from kantoor.parties.api import router as parties_router
from kantoor.purchasing.api import router as purchasing_router
from kantoor.sales.api import router as sales_router
from kantoor.sales.api_terms import router as sales_terms_router

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class KantoorAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = problems.guard_view(url.callback)
        # Anything else under /api/v1/ is an unknown route: a problem, not Django's HTML 404.
        urls.append(re_path(r"^.*$", problems.guard_view(_unknown_route), name="unknown-route"))
        return urls

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The endpoint's own name (create_party), unique across the API, for client generators.
        return operation.view_func.__name__

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(components["Problem"].pop("$defs", {}))
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method.upper() in idempotency.METHODS:
                    operation.setdefault("parameters", []).append(dict(idempotency.OPENAPI_PARAMETER))
                # JSON keys are strings; ninja's int status codes would not sort next to "default".
                responses = {str(status): spec for status, spec in operation.get("responses", {}).items()}
                operation["responses"] = responses
                responses["default"] = {
                    "description": "A problem (RFC 9457): 400, 401, 403, 404, 409, 413 or 422.",
                    "content": {problems.CONTENT_TYPE: {"schema": _PROBLEM_REF}},
                }
        return schema


def _unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problems.not_found(request)


_unknown_route.csrf_exempt = True  # type: ignore[attr-defined]

api = KantoorAPI(
    title="Kantoor API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    # Bundled Swagger UI (ninja's static files, no CDN); no online validator badge either.
    docs=Swagger(settings={"validatorUrl": None}),
    description=(
        "One API for the whole company: parties, users, teams, audit and the ledger now; "
        "every app adds its router.\n\n"
        "**Authentication**: a personal API token (`Authorization: Bearer knt_…`, made at `POST /tokens` "
        "from a signed-in session), or the web session with its CSRF token on writes.\n\n"
        "**Errors** are RFC 9457 `application/problem+json`; invalid input lists each field in `errors`.\n\n"
        "**Writes** accept an `Idempotency-Key` header: a retry with the same key returns the first "
        "response and changes nothing.\n\n"
        "**Lists** are keyset-paginated: pass `next_cursor` back as `cursor`; `limit` is 1–200.\n\n"
        "**Editable records** carry a `version`: send the version you read; if someone changed the "
        "record since, the write is refused with 409."
    ),
)
problems.install(api)
idempotency.install(api)
api.add_router("", core_router)
api.add_router("", parties_router)
api.add_router("", finance_router)
api.add_router("", catalog_router)
api.add_router("", inventory_router)
api.add_router("", stock_accounts_router)
api.add_router("", stock_reports_router)
api.add_router("", purchasing_router)
api.add_router("", manufacturing_router)
api.add_router("", activities_router)
api.add_router("", sales_router)
api.add_router("", sales_terms_router)
api.add_router("", crm_router)
