"""Every API error as RFC 9457 application/problem+json (ARCHITECTURE §8).

DomainErrors carry their own problem; this module answers the rest the same way: invalid
input (422, one entry per field), malformed or oversized bodies (400 / 413), missing
authentication (401), unknown routes and objects (404), wrong methods (405) — and, as the
last resort, an unexpected exception (500, logged), so a client never gets an HTML page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kantoor.core.errors import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

log = logging.getLogger("kantoor.api")

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://kantoor.dev/problems/"


def problem(status: int, code: str, title: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": TYPE_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem_response(request: HttpRequest | None, body: dict[str, Any]) -> HttpResponse:
    if request is not None:
        body.setdefault("instance", request.path)
    return HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=body["status"], content_type=CONTENT_TYPE
    )


def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem_response(request, exc.as_problem(request.path))


# Pydantic's messages are English only; the common ones are said again through gettext.
def _message(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    messages: dict[str, Callable[[], str]] = {
        "missing": lambda: _("This field is required."),
        "extra_forbidden": lambda: _("Unknown field."),
        "string_type": lambda: _("Enter text."),
        "string_too_short": lambda: _("Enter at least %(n)s characters.") % {"n": ctx.get("min_length")},
        "string_too_long": lambda: _("Enter at most %(n)s characters.") % {"n": ctx.get("max_length")},
        "int_type": lambda: _("Enter a whole number."),
        "int_parsing": lambda: _("Enter a whole number."),
        "int_from_float": lambda: _("Enter a whole number."),
        "bool_type": lambda: _("Enter true or false."),
        "bool_parsing": lambda: _("Enter true or false."),
        "greater_than_equal": lambda: _("Enter a number of at least %(n)s.") % {"n": ctx.get("ge")},
        "less_than_equal": lambda: _("Enter a number of at most %(n)s.") % {"n": ctx.get("le")},
        "enum": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "literal_error": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "list_type": lambda: _("Enter a list."),
        "dict_type": lambda: _("Enter an object."),
        "model_type": lambda: _("Enter an object."),
        "model_attributes_type": lambda: _("Enter an object."),
        "datetime_type": lambda: _("Enter a date and time."),
        "datetime_parsing": lambda: _("Enter a date and time such as 2030-01-31T17:00:00Z."),
        "datetime_from_date_parsing": lambda: _("Enter a date and time such as 2030-01-31T17:00:00Z."),
        "timezone_aware": lambda: _("Give the time zone, e.g. 2030-01-31T17:00:00Z or +01:00."),
    }
    if kind in messages:
        return messages[kind]()
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg", ""))


def field_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Ninja's errors as [{field, message, location}]: `loc` is (source, [param,] field…);
    a body's single parameter name is not part of the field's name."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc else ""
        path = loc[2:] if location == "body" else loc[1:]
        result.append({"field": ".".join(path) or location, "message": _message(error), "location": location})
    return result


def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = field_errors(exc.errors)
    return problem_response(
        request,
        problem(
            422,
            "invalid-input",
            _("The input is not valid"),
            _("Please correct the marked fields."),
            errors=errors,
        ),
    )


def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else _("Sign in or send an API token.")
    response = problem_response(
        request, problem(401, "not-authenticated", _("Authentication required"), message)
    )
    response["WWW-Authenticate"] = 'Bearer realm="kantoor"'
    return response


def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # Ninja says "Cannot parse request body" when the JSON is malformed.
        return problem_response(
            request,
            problem(
                400,
                "malformed-request",
                _("The request could not be read"),
                _("The request body is not valid JSON."),
            ),
        )
    if exc.status_code == 403:
        return problem_response(
            request,
            problem(
                403,
                "permission-denied",
                _("You are not allowed to do this"),
                str(exc),
            ),
        )
    if exc.status_code == 429:
        return problem_response(request, problem(429, "too-many-requests", _("Too many requests")))
    return problem_response(request, problem(exc.status_code, "http-error", str(exc)))


def not_found(request: HttpRequest, exc: Exception | None = None) -> HttpResponse:
    return problem_response(request, problem(404, "not-found", _("Not found"), _("Not found.")))


def too_big(request: HttpRequest, exc: Exception | None = None) -> HttpResponse:
    return problem_response(
        request,
        problem(
            413,
            "payload-too-large",
            _("The request is too large"),
            _("Send at most %(size)s bytes.") % {"size": _max_body_size()},
        ),
    )


def _max_body_size() -> int:
    from django.conf import settings

    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    response = problem_response(
        request,
        problem(
            405,
            "method-not-allowed",
            _("Method not allowed"),
            _("%(method)s is not allowed here; use %(allowed)s.")
            % {"method": request.method, "allowed": allowed},
        ),
    )
    response["Allow"] = allowed
    return response


def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The last resort: log with the traceback, answer without revealing internals."""
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        request,
        problem(
            500,
            "server-error",
            _("Something went wrong on our side"),
            _("The error was logged; nothing was changed. Please try again later."),
        ),
    )


def install(api: NinjaAPI) -> None:
    """Answer every error of `api` as a problem."""
    handlers: dict[type[Exception], Callable[..., HttpResponse]] = {
        DomainError: domain_error,
        ValidationError: validation_error,
        AuthenticationError: authentication_error,
        HttpError: http_error,
        Http404: not_found,
        RequestDataTooBig: too_big,
        Exception: server_error,  # the last resort
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)


def guard_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a URL's view: a plain 405 becomes a problem, and an exception that escapes
    ninja's own handling (e.g. inside an error handler) still gets a problem answer."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except RequestDataTooBig as exc:
            return too_big(request, exc)
        except Http404 as exc:  # e.g. the API root, which ninja answers by raising it
            return not_found(request, exc)
        except Exception as exc:
            return server_error(request, exc)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/html"):
            allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
            return method_not_allowed(request, ", ".join(allowed))
        return response

    guarded.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return guarded
