"""The one NinjaAPI at /api/v1/: one router per app, DomainErrors as problem+json."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from kantoor.core.errors import DomainError

api = NinjaAPI(
    title="Kantoor API",
    version="1",
    urls_namespace="api",
    description="One API for the whole company: parties, users, teams and audit now; every app adds its router.",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_problem(request.path), status=exc.status)
