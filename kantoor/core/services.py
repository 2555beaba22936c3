"""Writes of the platform itself: company, users, teams, roles, API tokens, exchange rates.

Every function owns its transaction, checks the policy, audits and publishes.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.nl import postcode as nl_postcode
from stdnum.util import clean as stdnum_clean

from kantoor.core import audit, fastsql, policy
from kantoor.core.errors import ConflictError, InvalidInputError, NotFoundError, StaleVersionError
from kantoor.core.events import TeamChanged, UserCreated
from kantoor.core.models import ApiToken, Company, ExchangeRate, Role, RoleAssignment, Scope, Team, User
from kantoor.core.money import currency_validate
from kantoor.core.outbox import publish
from kantoor.core.validation import require_text_fits, text_errors, unique_or_field_error

USER_FIELDS = ["username", "first_name", "last_name", "email", "language", "is_active"]


def require_version(obj: Any, expected: int | None) -> None:
    """Optimistic locking: refuse a write based on an older version of the record."""
    if expected is not None and expected != obj.version:
        raise StaleVersionError(
            _("This record was changed by someone else (version %(current)s, you had %(sent)s).")
            % {"current": obj.version, "sent": expected},
            extra={"current_version": obj.version},
        )


def _check_language(language: str) -> str:
    from django.conf import settings

    if language not in {code for code, _ in settings.LANGUAGES}:
        raise InvalidInputError.for_field("language", _("Unsupported language “%s”.") % language)
    return language


@transaction.atomic
def company_create(
    *,
    name: str,
    base_currency: str = "EUR",
    country: str = "NL",
    time_zone: str = "Europe/Amsterdam",
    fiscal_year_start_month: int = 1,
    fiscal_year_start_day: int = 1,
    language: str = "en",
) -> Company:
    """Create a company (at `kantoor init`; there is no actor yet)."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("A company needs a name.")]
    if time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Unknown time zone “%s”.") % time_zone]
    if not 1 <= fiscal_year_start_month <= 12:
        errors["fiscal_year_start_month"] = [_("Month must be 1 to 12.")]
    if not 1 <= fiscal_year_start_day <= 28:
        errors["fiscal_year_start_day"] = [_("Day must be 1 to 28.")]
    if errors:
        raise InvalidInputError(_("The company details are not valid."), field_errors=errors)
    require_text_fits(Company, {"name": name.strip(), "country": country})
    company = Company.objects.create(
        name=name.strip(),
        base_currency=currency_validate(base_currency),
        country=country.upper(),
        time_zone=time_zone,
        fiscal_year_start_month=fiscal_year_start_month,
        fiscal_year_start_day=fiscal_year_start_day,
        language=_check_language(language),
    )
    audit.record(
        actor=None,
        obj=company,
        action="create",
        changes={"name": [None, company.name]},
        company_id=company.pk,
    )
    return company


def _user_validate(
    *, username: str, email: str, first_name: str, last_name: str, exclude_pk: int | None = None
) -> None:
    errors = text_errors(
        User, {"username": username, "email": email, "first_name": first_name, "last_name": last_name}
    )
    if errors:
        raise InvalidInputError(_("The user details are not valid."), field_errors=errors)
    taken = User.objects.filter(username=username)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if not username.strip():
        errors["username"] = [_("A username is required.")]
    elif taken.exists():
        errors["username"] = [_("This username is taken.")]
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if errors:
        raise InvalidInputError(_("The user details are not valid."), field_errors=errors)


def _teams_of(company_id: int, team_ids: Iterable[int]) -> list[Team]:
    """The company's teams with these ids; an unknown id (or another company's) is refused,
    not silently dropped."""
    wanted = set(team_ids)
    teams = list(Team.objects.filter(company_id=company_id, pk__in=wanted))
    if len(teams) != len(wanted):
        raise InvalidInputError.for_field("team_ids", _("Unknown team."))
    return teams


def _members_of(company_id: int, member_ids: Iterable[int]) -> list[User]:
    """The company's users with these ids; an unknown id (or another company's) is refused."""
    wanted = set(member_ids)
    members = list(User.objects.filter(company_id=company_id, pk__in=wanted))
    if len(members) != len(wanted):
        raise InvalidInputError.for_field("member_ids", _("Unknown user."))
    return members


def _roles_set(user: User, roles: dict[str, str]) -> None:
    for role, scope in roles.items():
        if role not in Role.values:
            raise InvalidInputError.for_field("roles", _("Unknown role “%s”.") % role)
        if scope not in Scope.values:
            raise InvalidInputError.for_field("roles", _("Unknown scope “%s”.") % scope)
    RoleAssignment.objects.filter(user=user).exclude(role__in=list(roles)).delete()
    for role, scope in roles.items():
        RoleAssignment.objects.update_or_create(user=user, role=role, defaults={"scope": scope})
    policy.forget(user)


def system_actor(company_id: int) -> User:
    """The company's own process as an actor: what handlers and scheduled jobs write when
    a rule of the business does it on nobody's behalf (a done delivery makes its invoice).
    An administrator of the company without a password, made on first use."""
    username = f"kantoor-system-{company_id}"
    found = fastsql.select(
        User, "username = %s AND company_id = %s AND is_system = %s", [username, company_id, True]
    )
    if found:
        user = found[0]
        # Made an administrator and never changed: the policy need not read its roles.
        user._kantoor_roles = {Role.ADMIN: Scope.COMPANY}  # type: ignore[attr-defined]
        return user
    try:
        with transaction.atomic():
            user = User(
                company_id=company_id,
                username=username,
                first_name="Kantoor",
                last_name="(system)",
                is_system=True,
            )
            user.set_unusable_password()
            user.save()
            _roles_set(user, {Role.ADMIN: Scope.COMPANY})
    except IntegrityError:  # made meanwhile by another process
        user = User.objects.get(username=username, company_id=company_id, is_system=True)
    return user


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    company_id: int | None = None,
    username: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    roles: dict[str, str] | None = None,
    team_ids: Iterable[int] = (),
) -> User:
    """Create a user of the actor's company with roles {role: scope}. Publishes UserCreated.

    With no actor (at `kantoor init`), `company_id` names the company.
    """
    if actor is not None:
        policy.require(actor, "core.manage_users")
        company_id = policy.actor_company_id(actor)
    if company_id is None:
        raise InvalidInputError(_("A user belongs to a company."))
    _user_validate(username=username, email=email, first_name=first_name, last_name=last_name)
    _check_language(language)
    user = User(
        company_id=company_id,
        username=username.strip(),
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise InvalidInputError(
                _("The password is too weak."), field_errors={"password": list(exc.messages)}
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    with unique_or_field_error("username", lambda: _("This username is taken.")):
        user.save()
    _roles_set(user, roles or {})
    teams = _teams_of(company_id, team_ids)
    user.teams.set(teams)
    audit.record(
        actor=actor,
        obj=user,
        action="create",
        changes={
            **{f: [None, getattr(user, f)] for f in USER_FIELDS},
            "roles": [None, roles or {}],
            "teams": [None, [t.pk for t in teams]],
        },
    )
    publish(UserCreated(company_id=company_id, user_id=user.pk))
    return user


def _user_for_admin(actor: User, user_id: int) -> User:
    company_id = policy.actor_company_id(actor)
    # The system actor is the company's process, not a colleague: nobody edits it.
    user = User.objects.select_for_update().filter(pk=user_id, company_id=company_id, is_system=False).first()
    if user is None:
        raise NotFoundError(_("Not found."))
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user_id: int,
    changes: dict[str, Any],
    roles: dict[str, str] | None = None,
    team_ids: Iterable[int] | None = None,
) -> User:
    """Change a colleague's details, roles or teams (administrators only)."""
    policy.require(actor, "core.manage_users")
    user = _user_for_admin(actor, user_id)
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise InvalidInputError.for_field(sorted(unknown)[0], _("This field cannot be changed."))
    before = audit.snapshot(user, USER_FIELDS)
    for field, value in changes.items():
        setattr(user, field, value)
    _user_validate(
        username=user.username,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        exclude_pk=user.pk,
    )
    _check_language(user.language)
    if user.pk == actor.pk and changes.get("is_active") is False:
        raise ConflictError(_("You cannot deactivate yourself."))
    if user.pk == actor.pk and roles is not None and Role.ADMIN not in roles:
        raise ConflictError(_("You cannot remove your own administrator role."))
    with unique_or_field_error("username", lambda: _("This username is taken.")):
        user.save()
    diff = audit.diff(before, audit.snapshot(user, USER_FIELDS))
    if roles is not None:
        old = dict(RoleAssignment.objects.filter(user=user).values_list("role", "scope"))
        _roles_set(user, roles)
        if old != roles:
            diff["roles"] = [old, roles]
    if team_ids is not None:
        old_teams = sorted(user.teams.values_list("pk", flat=True))
        teams = _teams_of(policy.actor_company_id(actor), team_ids)
        user.teams.set(teams)
        policy.forget(user)
        new_teams = sorted(t.pk for t in teams)
        if old_teams != new_teams:
            diff["teams"] = [old_teams, new_teams]
    if diff:
        audit.record(actor=actor, obj=user, action="update", changes=diff)
    return user


@transaction.atomic
def user_set_own_preferences(*, actor: User, language: str) -> User:
    """A user's own settings (their UI language)."""
    policy.actor_company_id(actor)
    user = User.objects.select_for_update().get(pk=actor.pk)
    before = user.language
    user.language = _check_language(language)
    user.save(update_fields=["language"])
    actor.language = user.language
    if before != user.language:
        audit.record(actor=actor, obj=user, action="update", changes={"language": [before, language]})
    return user


@transaction.atomic
def team_create(*, actor: User, name: str, member_ids: Iterable[int] = ()) -> Team:
    """Create a team or department. Publishes TeamChanged."""
    policy.require(actor, "core.manage_teams")
    company_id = policy.actor_company_id(actor)
    name = name.strip()
    if not name:
        raise InvalidInputError.for_field("name", _("A team needs a name."))
    if Team.objects.filter(company_id=company_id, name__iexact=name).exists():
        raise InvalidInputError.for_field("name", _("A team with this name exists."))
    members = _members_of(company_id, member_ids)
    require_text_fits(Team, {"name": name})
    with unique_or_field_error("name", lambda: _("A team with this name exists.")):
        team = Team.objects.create(company_id=company_id, name=name)
    team.members.set(members)
    audit.record(
        actor=actor,
        obj=team,
        action="create",
        changes={"name": [None, name], "members": [None, [m.pk for m in members]]},
    )
    publish(TeamChanged(company_id=company_id, team_id=team.pk))
    return team


@transaction.atomic
def team_update(
    *,
    actor: User,
    team_id: int,
    version: int | None,
    name: str | None = None,
    member_ids: Iterable[int] | None = None,
) -> Team:
    """Rename a team or set its members; refuses a stale version. Publishes TeamChanged."""
    policy.require(actor, "core.manage_teams")
    company_id = policy.actor_company_id(actor)
    team = Team.objects.select_for_update().filter(pk=team_id, company_id=company_id).first()
    if team is None:
        raise NotFoundError(_("Not found."))
    require_version(team, version)
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != team.name:
        if not name.strip():
            raise InvalidInputError.for_field("name", _("A team needs a name."))
        require_text_fits(Team, {"name": name.strip()})
        if (
            Team.objects.filter(company_id=team.company_id, name__iexact=name.strip())
            .exclude(pk=team.pk)
            .exists()
        ):
            raise InvalidInputError.for_field("name", _("A team with this name exists."))
        changes["name"] = [team.name, name.strip()]
        team.name = name.strip()
    if member_ids is not None:
        old = sorted(team.members.values_list("pk", flat=True))
        members = _members_of(team.company_id, member_ids)
        new = sorted(m.pk for m in members)
        if old != new:
            team.members.set(members)
            changes["members"] = [old, new]
    if changes:
        team.version += 1
        with unique_or_field_error("name", lambda: _("A team with this name exists.")):
            team.save()
        audit.record(actor=actor, obj=team, action="update", changes=changes)
        publish(TeamChanged(company_id=team.company_id, team_id=team.pk))
    return team


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, is_read_only: bool = False, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a personal API token; the raw key is returned once and only its hash is kept."""
    policy.require(actor, "core.manage_own_tokens")
    if not name.strip():
        raise InvalidInputError.for_field("name", _("Give the token a name."))
    require_text_fits(ApiToken, {"name": name.strip()})
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInputError.for_field("expires_at", _("The expiry must be in the future."))
    raw = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=actor,
        name=name.strip(),
        key_prefix=raw[:8],
        key_hash=ApiToken.hash_key(raw),
        is_read_only=is_read_only,
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        obj=token,
        action="create",
        changes={"name": [None, token.name], "is_read_only": [None, is_read_only]},
        company_id=actor.company_id,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (administrators may revoke any in their company)."""
    policy.require(actor, "core.manage_own_tokens")
    company_id = policy.actor_company_id(actor)
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user__company_id=company_id).first()
    if token is None or (token.user_id != actor.pk and not policy.has_permission(actor, "core.manage_users")):
        raise NotFoundError(_("Not found."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            obj=token,
            action="revoke",
            changes={"revoked_at": [None, token.revoked_at]},
            company_id=actor.company_id,
        )
    return token


@transaction.atomic
def exchange_rate_set(*, actor: User, currency: str, valid_from: dt.date, rate: Decimal) -> ExchangeRate:
    """Record how many units of `currency` one unit of the base currency buys from a date."""
    policy.require(actor, "core.manage_company")
    company_id = policy.actor_company_id(actor)
    code = currency_validate(currency)
    if rate <= 0:
        raise InvalidInputError.for_field("rate", _("A rate must be positive."))
    row, created = ExchangeRate.objects.update_or_create(
        company_id=company_id, currency=code, valid_from=valid_from, defaults={"rate": rate}
    )
    audit.record(
        actor=actor, obj=row, action="create" if created else "update", changes={"rate": [None, rate]}
    )
    return row


# ----------------------------------------------------------------------------- company details

COMPANY_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "vat_number",
    "coc_number",
    "email",
    "phone",
    "website",
)
_company_url = URLValidator(schemes=["http", "https"])


def _company_vat(raw: str, country: str) -> str:
    """The compact EU VAT number ('NL853746333B01'); digits alone get the company's country."""
    try:
        compact = eu_vat.compact(raw)
        if compact[:2].isdigit() and country:
            compact = eu_vat.compact(country + compact)
        return str(eu_vat.validate(compact))
    except stdnum_errors.InvalidComponent as exc:
        raise ValueError(_("“%s” does not start with an EU country code.") % raw) from exc
    except stdnum_errors.ValidationError as exc:
        raise ValueError(_("“%s” is not a valid VAT number.") % raw) from exc


def _company_coc(raw: str, country: str) -> str:
    """A Dutch KvK number is 8 digits (python-stdnum has no module); elsewhere a plain code."""
    if country.upper() == "NL":
        compact = stdnum_clean(raw, " .-")
        if len(compact) != 8 or not compact.isdigit() or not compact.isascii():
            raise ValueError(_("“%s” is not a valid KvK number (8 digits).") % raw)
        return str(compact)
    if not re.fullmatch(r"[A-Za-z0-9 .\-/]{2,20}", raw):
        raise ValueError(_("“%s” is not a valid registration number.") % raw)
    return raw


def _company_postal_code(raw: str, country: str) -> str:
    """A Dutch postal code is checked and written '1234 AB'; others are kept as typed."""
    if country.upper() != "NL":
        return raw
    if not re.fullmatch(r"[0-9]{4} ?[A-Za-z]{2}", raw):
        raise ValueError(_("“%s” is not a valid Dutch postal code (1234 AB).") % raw)
    try:
        return str(nl_postcode.validate(raw))
    except stdnum_errors.ValidationError as exc:
        raise ValueError(_("“%s” is not a valid Dutch postal code (1234 AB).") % raw) from exc


def _company_email(raw: str, country: str) -> str:
    try:
        validate_email(raw)
    except DjangoValidationError as exc:
        raise ValueError(_("“%s” is not a valid e-mail address.") % raw) from exc
    return raw


def _company_phone(raw: str, country: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if not re.fullmatch(r"\+?[0-9 ()./\-]{6,25}", raw) or not 6 <= len(digits) <= 17:
        raise ValueError(_("“%s” is not a valid phone number.") % raw)
    return raw


def _company_website(raw: str, country: str) -> str:
    url = raw if "://" in raw else f"https://{raw}"
    try:
        _company_url(url)
    except DjangoValidationError as exc:
        raise ValueError(_("“%s” is not a valid web address.") % raw) from exc
    return url


_COMPANY_CHECKS = {
    "postal_code": _company_postal_code,
    "vat_number": _company_vat,
    "coc_number": _company_coc,
    "email": _company_email,
    "phone": _company_phone,
    "website": _company_website,
}


def company_fields_clean(fields: dict[str, Any], country: str) -> dict[str, str]:
    """The given company details trimmed and normalised, or InvalidInputError naming
    every field that is not valid (all fields are checked, not only the first)."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(fields) - set(COMPANY_FIELDS))
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    cleaned: dict[str, str] = {}
    for name in COMPANY_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if not isinstance(value, str):
            errors[name] = [_("Enter text.")]
            continue
        value = value.strip()
        if name == "name" and not value:
            errors[name] = [_("A company needs a name.")]
            continue
        check = _COMPANY_CHECKS.get(name)
        if value and check is not None:
            try:
                value = check(value, country)
            except ValueError as exc:
                errors[name] = [str(exc)]
                continue
        cleaned[name] = value
    errors.update({k: v for k, v in text_errors(Company, cleaned).items() if k not in errors})
    if errors:
        raise InvalidInputError(_("The company details are not valid."), field_errors=errors)
    return cleaned


@transaction.atomic
def company_update(*, actor: User, version: int | None = None, **fields: Any) -> Company:
    """Change the company's name and legal details — address, VAT and Chamber of Commerce
    (KvK) numbers, e-mail, phone, website — as invoices show them (administrators).

    Only the fields given change. Dutch VAT numbers and postal codes are checked and
    normalised with python-stdnum ('NL853746333B01', '1015 CJ'), a KvK number is 8 digits,
    a website gets https:// when typed without a scheme; an empty value clears a detail.
    Refuses a stale `version` (409) and any invalid field (422, all fields named); a refusal
    writes nothing. Audits every changed field as [before, after]."""
    policy.require(actor, "core.manage_company")
    company = Company.objects.select_for_update().get(pk=policy.actor_company_id(actor))
    require_version(company, version)
    cleaned = company_fields_clean(fields, company.country)
    changes = {
        name: [getattr(company, name), value]
        for name, value in cleaned.items()
        if getattr(company, name) != value
    }
    if not changes:
        return company
    for name, (_before, after) in changes.items():
        setattr(company, name, after)
    company.version += 1
    company.save(update_fields=[*changes, "version"])
    audit.record(actor=actor, obj=company, action="update", changes=changes, company_id=company.pk)
    return company
