"""Idempotency-Key for every write of the API (ARCHITECTURE §4).

A client that does not know whether its POST arrived (a timeout, a dropped connection)
sends it again with the same `Idempotency-Key` header and gets the first answer back —
same status, same body — while nothing is created twice. The same key with a different
request is refused (422): a key names one request. Keys are per user and kept for a day.

Two wrappers cooperate, installed once for the whole API by `install()`:

- around the operation (`_transactional`): the call runs in one transaction together with
  the storing of its answer. Two concurrent calls with the same key cannot both win: the
  unique (user, key) row makes the second one fail at the end, which rolls its writes back
  and replays the first one's answer instead.
- around the endpoint function (`_replay_or_run`): it runs after authentication (we know
  the user, and a read-only token or a missing CSRF token is refused as usual) and after the
  input was validated, and answers from a stored record when there is one. Only calls that
  reached the endpoint are stored, with status < 500: a 409 duplicate or a 404 is the
  answer to that request, a crash is not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import problems
from kantoor.core.errors import InvalidInputError
from kantoor.core.models import IdempotencyRecord, User

if TYPE_CHECKING:
    from ninja import NinjaAPI

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETENTION = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 200
_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")
REPLAYED_HEADER = "Idempotent-Replayed"

OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
    "description": (
        "Any unique string (e.g. a UUID) naming this request. Sending the same request again with "
        "the same key returns the first response and changes nothing; the same key with a different "
        "request is refused with 422. Keys are kept for 24 hours per user."
    ),
}


class IdempotencyKeyReusedError(InvalidInputError):
    code = "idempotency-key-reused"
    title = gettext_lazy("This Idempotency-Key was used for a different request")


@dataclass
class _Pending:
    key: str
    fingerprint: str
    user: User | None = None
    reached_endpoint: bool = False
    replayed: bool = False


def _fingerprint(request: HttpRequest) -> str:
    """HMAC of method, path and body (JSON compared by meaning, not by whitespace); keyed
    so that the stored hash of a body with a password in it reveals nothing."""
    body: bytes = request.body
    with contextlib.suppress(ValueError, UnicodeDecodeError):  # not JSON: compared byte for byte
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    message = b"\n".join([(request.method or "").encode(), request.get_full_path().encode(), body])
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _answer_from(record: IdempotencyRecord, pending: _Pending) -> HttpResponse:
    if not hmac.compare_digest(record.request_hash, pending.fingerprint):
        raise IdempotencyKeyReusedError(
            _("The key “%(key)s” was already used for a different request; use a new key.")
            % {"key": pending.key},
            field_errors={HEADER: [_("Already used for a different request.")]},
        )
    pending.replayed = True
    return _replay(record)


def _replay_or_run(view_func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        pending: _Pending | None = getattr(request, "_kantoor_idempotency", None)
        user = getattr(request, "auth", None)
        if pending is None or not isinstance(user, User):
            return view_func(request, *args, **kwargs)
        pending.user = user
        record = IdempotencyRecord.objects.filter(user=user, key=pending.key).first()
        if record is not None and record.created_at < timezone.now() - RETENTION:
            record.delete()
            record = None
        if record is not None:
            return _answer_from(record, pending)
        pending.reached_endpoint = True
        return view_func(request, *args, **kwargs)

    return wrapper


def _transactional(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in METHODS or HEADER not in request.headers:
            return run(request, *args, **kwargs)
        key = request.headers[HEADER].strip()
        if not _KEY.fullmatch(key):
            return problems.domain_error(
                request,
                InvalidInputError.for_field(
                    HEADER, _("Send 1 to %d printable ASCII characters.") % MAX_KEY_LENGTH
                ),
            )
        try:
            pending = _Pending(key=key, fingerprint=_fingerprint(request))
        except RequestDataTooBig as exc:
            return problems.too_big(request, exc)
        request._kantoor_idempotency = pending  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                if response.status_code >= 500 or transaction.get_rollback():
                    transaction.set_rollback(True)
                elif (
                    isinstance(response, HttpResponse)
                    and pending.reached_endpoint
                    and not pending.replayed
                    and pending.user is not None
                ):
                    IdempotencyRecord.objects.create(
                        user=pending.user,
                        key=key,
                        method=request.method or "",
                        path=request.get_full_path()[:500],
                        request_hash=pending.fingerprint,
                        status_code=response.status_code,
                        content_type=response.get("Content-Type", ""),
                        body=response.content,
                    )
        except IntegrityError:
            # A concurrent call with this key committed first; ours was rolled back whole.
            record = IdempotencyRecord.objects.filter(user=pending.user, key=key).first()
            if record is None:  # pragma: no cover - the unique row that failed us exists
                raise
            try:
                return _answer_from(record, pending)
            except IdempotencyKeyReusedError as exc:
                return problems.domain_error(request, exc)
        return response

    return wrapper


def install(api: NinjaAPI) -> None:
    """Make every write operation of `api` honour Idempotency-Key (call before api.urls)."""
    api.add_decorator(_transactional, mode="view")
    api.add_decorator(_replay_or_run, mode="operation")


def purge_expired() -> int:
    """Delete records older than the retention period; returns how many."""
    deleted, _counts = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return deleted
