"""How the API knows who is calling: a personal API token, or the web session.

Tokens (`Authorization: Bearer knt_…`) are looked up by their SHA-256 — the raw key is
never stored. A token that is unknown, revoked or expired, or whose user was deactivated,
is refused with 401 at once (never silently treated as anonymous). A read-only token may
only read. The session authenticator enforces Django's CSRF check on writes, because the
HTMX pages and the API share the session cookie; token calls need no CSRF token.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kantoor.core.errors import PermissionDeniedError
from kantoor.core.models import ApiToken, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Recording every use would write on every read; a minute's precision is enough to see
# which tokens are still in use.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
_MAX_KEY_LENGTH = 200


class TokenRefusedError(AuthenticationError):
    def __init__(self, message: str) -> None:
        super().__init__(401, message)


class CsrfRefusedError(PermissionDeniedError):
    code = "csrf-failed"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <personal API token>`."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        key = token.strip()
        if not key or len(key) > _MAX_KEY_LENGTH:
            raise TokenRefusedError(_("Unknown API token."))
        row = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
        if row is None:
            raise TokenRefusedError(_("Unknown API token."))
        now = timezone.now()
        if row.revoked_at is not None:
            raise TokenRefusedError(_("This API token was revoked."))
        if row.expires_at is not None and row.expires_at <= now:
            raise TokenRefusedError(_("This API token has expired."))
        user = row.user
        if not user.is_active or user.company_id is None:
            raise TokenRefusedError(_("The account of this API token is deactivated."))
        if row.is_read_only and request.method not in SAFE_METHODS:
            raise PermissionDeniedError(_("This API token may only read."))
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
            # After the call's transaction (at once when there is none): a keyed write runs in
            # one transaction, and updating the row inside it would hold the token's row lock
            # until the end, making concurrent calls with the same token wait for each other.
            transaction.on_commit(partial(_record_use, row.pk, now))
        request.user = user
        request.api_token = row  # type: ignore[attr-defined]
        # The language middleware ran before we knew the user: speak the user's language.
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in web session, with Django's CSRF check on every write.

    Ninja's own cookie authenticator checks CSRF before it knows whether anyone signed in,
    which would answer an anonymous write with 403 instead of 401; this one checks it for
    signed-in users only."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfRefusedError(
                _("The CSRF token is missing or wrong: reload the page, or use an API token.")
            )
        return user


def _record_use(token_id: int, moment: dt.datetime) -> None:
    ApiToken.objects.filter(pk=token_id).update(last_used_at=moment)


def actor_of(request: HttpRequest) -> User:
    """The authenticated user of an API call (the authenticators guarantee one)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - every operation has an authenticator
        raise AuthenticationError()
    return user


def token_of(request: HttpRequest) -> ApiToken | None:
    """The API token the call was made with, or None for a session call."""
    return getattr(request, "api_token", None)
