"""What every page view shares: sign-in, and DomainErrors turned into 404 and 403 pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from kantoor.core import policy
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import User

P = ParamSpec("P")


class AuthedRequest(HttpRequest):
    """The request a `@page` view receives, for annotations only (Django builds the
    request): `page` lets only signed-in users through, so `user` is a `User` and never
    an `AnonymousUser`, and django-htmx's middleware sets `htmx` on every request (the
    pattern django-htmx documents for type checking)."""

    user: User
    htmx: HtmxDetails


def page(
    view: Callable[Concatenate[AuthedRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """A page for signed-in users: a NotFoundError becomes the 404 page (existence stays
    secret) and a PermissionDeniedError the 403 page; other DomainErrors are the view's
    to show on its form."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            # login_required below sends anonymous visitors to the login page first.
            return view(cast("AuthedRequest", request), *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return login_required(wrapped)


def require_permission(request: HttpRequest, action: str) -> None:
    """Refuse with 403 before touching any record when no role grants `action` at all."""
    if not policy.has_permission(request.user, action):
        raise PermissionDenied(action)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL of the request when it points back into this site, else `fallback`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
