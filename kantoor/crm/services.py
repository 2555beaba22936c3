"""Writes of the crm app: leads from capture through qualification to conversion into a
party and an opportunity (or disqualification), opportunities through the pipeline to won
or lost, the pipeline's configuration (stages, lost reasons, web forms, scoring weights),
and the public web form's capture with its spam protection.

Every function owns its transaction, checks the policy (crm.create_lead / manage_lead /
manage_opportunity / manage_settings; a rep changes only own records), locks and re-reads
what it changes, refuses bad input with a DomainError naming the fields (nothing is
written then), records an audit row and publishes its events through the outbox.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import audit, policy
from kantoor.core.errors import NotFoundError, UnknownCurrencyError
from kantoor.core.models import Company, Team, User
from kantoor.core.money import currency_validate
from kantoor.core.outbox import publish
from kantoor.core.services import require_version, system_actor
from kantoor.core.validation import text_errors, unique_or_field_error
from kantoor.crm import selectors
from kantoor.crm.errors import (
    CrmSettingsInvalidError,
    LeadInvalidError,
    LeadStateError,
    OpportunityInvalidError,
    OpportunityStateError,
    RateLimitedError,
    WebFormRejectedError,
)
from kantoor.crm.events import LeadConverted, LeadCreated, OpportunityLost, OpportunityWon
from kantoor.crm.models import (
    Lead,
    LeadChannel,
    LeadSource,
    LeadState,
    LostReason,
    Opportunity,
    OpportunityState,
    PipelineStage,
    ScoringWeight,
    WebForm,
)
from kantoor.crm.scoring import RULE_CODES, LeadFacts, scorer_for
from kantoor.parties import services as parties
from kantoor.parties.models import ContactPointKind, Party, PartyKind, PartyRole, PartyRoleType
from kantoor.sales import services as sales
from kantoor.sales.models import SalesOrder

LEAD_FIELDS = [
    "contact_name",
    "organisation_name",
    "email",
    "phone",
    "job_title",
    "country",
    "message",
    "source",
    "channel",
    "source_detail",
    "owner",
    "team",
]
LEAD_AUDITED = [*LEAD_FIELDS, "state", "score", "disqualify_reason", "party", "opportunity"]
OPPORTUNITY_FIELDS = [
    "name",
    "party",
    "expected_revenue",
    "currency",
    "close_date",
    "probability",
    "owner",
    "team",
    "notes",
]
OPPORTUNITY_AUDITED = [*OPPORTUNITY_FIELDS, "stage", "state", "lost_reason", "lost_note"]
_TEXT_LEAD_FIELDS = ("contact_name", "organisation_name", "email", "phone", "job_title", "country", "message")
UNSET: Any = object()

# The public web form: a submission within MIN_FILL_SECONDS of rendering the form is a bot;
# a token older than TOKEN_MAX_AGE is stale; RATE_LIMIT submissions per RATE_WINDOW per IP.
MIN_FILL_SECONDS = 3
TOKEN_MAX_AGE = 6 * 3600
RATE_LIMIT = 5
RATE_WINDOW = 600
HONEYPOT_FIELD = "website"
_TOKEN_SALT = "kantoor.crm.web_form"  # noqa: S105 - a signing salt, not a secret


def _invalid(
    error_cls: type[LeadInvalidError] | type[OpportunityInvalidError] | type[CrmSettingsInvalidError],
    errors: dict[str, list[str]],
) -> None:
    if errors:
        raise error_cls(_("Please correct the marked fields."), field_errors=errors)


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _user_in_company(company_id: int, user_id: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    if user_id in (None, ""):
        return None
    if (
        not isinstance(user_id, int)
        or not User.objects.filter(pk=user_id, company_id=company_id, is_active=True).exists()
    ):
        _add(errors, name, _("Choose an active user of this company."))
        return None
    return user_id


def _team_in_company(company_id: int, team_id: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    if team_id in (None, ""):
        return None
    if not isinstance(team_id, int) or not Team.objects.filter(pk=team_id, company_id=company_id).exists():
        _add(errors, name, _("Choose a team of this company."))
        return None
    return team_id


def _default_team(actor: User) -> int | None:
    teams = policy.team_ids_of(actor)
    return teams[0] if teams else None


# ---- leads


def _clean_lead(company_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalised lead values; raises LeadInvalidError naming every bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in (*_TEXT_LEAD_FIELDS, "source_detail"):
        if name in values:
            value = values[name]
            cleaned[name] = ("" if value is None else str(value)).strip()
    errors.update(text_errors(Lead, cleaned))
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].lower()
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            _add(errors, "email", _("Enter a valid e-mail address."))
    if "country" in cleaned:
        cleaned["country"] = cleaned["country"].upper()
        if cleaned["country"] and (len(cleaned["country"]) != 2 or not cleaned["country"].isalpha()):
            _add(errors, "country", _("Enter a two-letter country code such as NL."))
    if "source" in values:
        if values["source"] not in LeadSource.values:
            _add(
                errors, "source", _("Choose one of: %(choices)s.") % {"choices": ", ".join(LeadSource.values)}
            )
        cleaned["source"] = values["source"]
    if "channel" in values:
        if values["channel"] not in LeadChannel.values:
            _add(
                errors,
                "channel",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(LeadChannel.values)},
            )
        cleaned["channel"] = values["channel"]
    if "owner" in values:
        cleaned["owner_id"] = _user_in_company(company_id, values["owner"], "owner", errors)
    if "team" in values:
        cleaned["team_id"] = _team_in_company(company_id, values["team"], "team", errors)
    _invalid(LeadInvalidError, errors)
    return cleaned


def _require_name(lead: Lead) -> None:
    if not lead.contact_name and not lead.organisation_name:
        raise LeadInvalidError(
            _("Give a contact name or an organisation."),
            field_errors={
                "contact_name": [_("Give a contact name or an organisation.")],
                "organisation_name": [_("Give a contact name or an organisation.")],
            },
        )


def _score(lead: Lead, company: Company | None = None) -> None:
    country = company.country if company is not None else Company.objects.get(pk=lead.company_id).country
    result = scorer_for(lead.company_id).score(
        LeadFacts(
            organisation_name=lead.organisation_name,
            contact_name=lead.contact_name,
            email=lead.email,
            phone=lead.phone,
            job_title=lead.job_title,
            country=lead.country,
            message=lead.message,
            source=lead.source,
            channel=lead.channel,
            company_country=country,
        )
    )
    lead.score = result.value
    lead.score_details = result.details()


def lead_insert(actor: User | None, lead: Lead, company: Company | None = None) -> Lead:
    """Score, save, audit and announce a new lead checked by lead_build (or the web form).
    Runs inside the caller's transaction (lead_create, the CSV import)."""
    _score(lead, company)
    lead.save()
    audit.record(
        actor=actor,
        obj=lead,
        action="create",
        changes={k: [None, v] for k, v in audit.snapshot(lead, LEAD_AUDITED).items() if v not in (None, "")},
        company_id=lead.company_id,
    )
    publish(
        LeadCreated(
            company_id=lead.company_id,
            lead_id=lead.pk,
            source=lead.source,
            channel=lead.channel,
            score=lead.score,
            owner_id=lead.owner_id,
            actor_id=actor.pk if actor else None,
        )
    )
    return lead


def lead_build(*, actor: User, values: Mapping[str, Any]) -> Lead:
    """A new, unsaved lead from `values` (checked; owner defaults to the actor and team to
    the actor's first team). Used by lead_create and the CSV import."""
    company_id = policy.actor_company_id(actor)
    data = dict(values)
    data.setdefault("source", LeadSource.MANUAL)
    data.setdefault("channel", LeadChannel.OTHER)
    if data.get("owner", UNSET) is UNSET:
        data["owner"] = actor.pk
    if data.get("team", UNSET) is UNSET:
        data["team"] = _default_team(actor)
    cleaned = _clean_lead(company_id, data)
    now = timezone.now()
    lead = Lead(company_id=company_id, created_by=actor, created_at=now, updated_at=now, **cleaned)
    _require_name(lead)
    # The new lead must fall inside the actor's own scope (a rep creates leads they own).
    policy.require(actor, selectors.CREATE_LEAD, lead)
    return lead


@transaction.atomic
def lead_create(
    *,
    actor: User,
    contact_name: str = "",
    organisation_name: str = "",
    email: str = "",
    phone: str = "",
    job_title: str = "",
    country: str = "",
    message: str = "",
    source: str = LeadSource.MANUAL,
    channel: str = LeadChannel.OTHER,
    source_detail: str = "",
    owner: int | None = UNSET,
    team: int | None = UNSET,
) -> Lead:
    """Enter a lead by hand or through the API (`source` says which), scored on creation.
    Needs crm.create_lead; a rep's lead is their own. Publishes LeadCreated."""
    policy.require(actor, selectors.CREATE_LEAD)
    lead = lead_build(
        actor=actor,
        values={
            "contact_name": contact_name,
            "organisation_name": organisation_name,
            "email": email,
            "phone": phone,
            "job_title": job_title,
            "country": country,
            "message": message,
            "source": source,
            "channel": channel,
            "source_detail": source_detail,
            "owner": owner,
            "team": team,
        },
    )
    return lead_insert(actor, lead)


def _locked_lead(actor: User, lead_id: int, action: str = selectors.MANAGE_LEAD) -> Lead:
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first() if isinstance(lead_id, int) else None
    if lead is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, action, lead, visible_with=selectors.VIEW_LEAD)
    return lead


def _require_lead_transition(lead: Lead, state: str) -> None:
    if not lead.can_transition_to(state):
        raise LeadStateError(
            _("A %(state)s lead cannot become %(target)s.")
            % {"state": lead.get_state_display().lower(), "target": LeadState(state).label.lower()}
        )


def _save_lead(actor: User, lead: Lead, before: dict[str, Any], action: str) -> Lead:
    changes = audit.diff(before, audit.snapshot(lead, LEAD_AUDITED))
    if changes:
        lead.version += 1
        lead.updated_at = timezone.now()
        lead.save()
        audit.record(actor=actor, obj=lead, action=action, changes=changes)
    return lead


@transaction.atomic
def lead_update(*, actor: User, lead_id: int, version: int | None, changes: Mapping[str, Any]) -> Lead:
    """Change an open lead's details (and rescore it). Refuses a stale `version` (409),
    a converted or disqualified lead (409) and bad values (422)."""
    lead = _locked_lead(actor, lead_id)
    require_version(lead, version)
    if not lead.is_open:
        raise LeadStateError(_("Only a new or qualified lead can be changed."))
    unknown = set(changes) - set(LEAD_FIELDS)
    if unknown:
        raise LeadInvalidError(
            _("Please correct the marked fields."),
            field_errors={k: [_("Unknown field.")] for k in sorted(unknown)},
        )
    cleaned = _clean_lead(lead.company_id, changes)
    before = audit.snapshot(lead, LEAD_AUDITED)
    for attr, value in cleaned.items():
        setattr(lead, attr, value)
    _require_name(lead)
    policy.require(actor, selectors.MANAGE_LEAD, lead)  # e.g. handing it to someone else
    _score(lead)
    return _save_lead(actor, lead, before, "update")


@transaction.atomic
def lead_qualify(*, actor: User, lead_id: int, version: int | None = None) -> Lead:
    """Mark a new lead as qualified (worth converting)."""
    lead = _locked_lead(actor, lead_id)
    require_version(lead, version)
    _require_lead_transition(lead, LeadState.QUALIFIED)
    before = audit.snapshot(lead, LEAD_AUDITED)
    lead.state = LeadState.QUALIFIED
    lead.qualified_at = timezone.now()
    return _save_lead(actor, lead, before, "qualify")


@transaction.atomic
def lead_disqualify(*, actor: User, lead_id: int, reason: str, version: int | None = None) -> Lead:
    """Disqualify an open lead, saying why (required)."""
    lead = _locked_lead(actor, lead_id)
    require_version(lead, version)
    reason = (reason or "").strip()
    errors = text_errors(Lead, {"disqualify_reason": reason})
    if not reason:
        _add(errors, "reason", _("Say why the lead is disqualified."))
    if errors:
        errors = {("reason" if k == "disqualify_reason" else k): v for k, v in errors.items()}
        raise LeadInvalidError(_("Please correct the marked fields."), field_errors=errors)
    _require_lead_transition(lead, LeadState.DISQUALIFIED)
    before = audit.snapshot(lead, LEAD_AUDITED)
    lead.state = LeadState.DISQUALIFIED
    lead.disqualify_reason = reason
    return _save_lead(actor, lead, before, "disqualify")


@transaction.atomic
def lead_reopen(*, actor: User, lead_id: int, version: int | None = None) -> Lead:
    """Put a disqualified lead back to new."""
    lead = _locked_lead(actor, lead_id)
    require_version(lead, version)
    _require_lead_transition(lead, LeadState.NEW)
    before = audit.snapshot(lead, LEAD_AUDITED)
    lead.state = LeadState.NEW
    lead.disqualify_reason = ""
    return _save_lead(actor, lead, before, "reopen")


def _party_for_lead(
    actor: User, lead: Lead, party_id: int | None, confirmed_duplicate_ids: Iterable[int]
) -> tuple[Party, bool]:
    """The party the lead becomes: the chosen existing one (linked, never copied), or a new
    organisation (or person) made through parties' duplicate check. (party, created)."""
    if party_id is not None:
        # Locked by its key, then checked against the policy: a team-scoped visibility filter
        # reads DISTINCT rows, which PostgreSQL will not lock.
        party = (
            Party.objects.select_for_update(of=("self",))
            .filter(pk=party_id, merged_into__isnull=True, company_id=lead.company_id)
            .first()
            if isinstance(party_id, int)
            else None
        )
        if party is None or not policy.allows(actor, "parties.view_party", party):
            raise LeadInvalidError.for_field("party_id", _("Choose an existing party you can see."))
        return party, False
    contact_points = []
    if lead.email:
        contact_points.append({"kind": ContactPointKind.EMAIL, "value": lead.email})
    if lead.phone:
        contact_points.append({"kind": ContactPointKind.PHONE, "value": lead.phone})
    is_organisation = bool(lead.organisation_name)
    fields: dict[str, Any] = {"owner": lead.owner_id or actor.pk, "team": lead.team_id}
    if lead.country:
        fields["country"] = lead.country
    if not is_organisation and lead.job_title:
        fields["job_title"] = lead.job_title
    party = parties.party_create(
        actor=actor,
        kind=PartyKind.ORGANISATION if is_organisation else PartyKind.PERSON,
        name=lead.organisation_name or lead.contact_name,
        roles=[PartyRoleType.PROSPECT],
        contact_points=contact_points,
        confirmed_duplicate_ids=confirmed_duplicate_ids,
        **fields,
    )
    return party, True


def _party_role_add(actor: User, party: Party, role: str, *, unless: Sequence[str] = ()) -> None:
    """Give a party a role it lacks (not when it holds one of `unless`): a converted lead's
    party becomes a prospect, a won deal's a customer. Written here rather than through
    parties.party_update, which needs the right to change the party itself — a rep may
    win a deal with a customer owned by a colleague; audited on the party all the same."""
    roles = list(PartyRole.objects.filter(party=party).order_by("role").values_list("role", flat=True))
    if role in roles or set(roles) & set(unless):
        return
    PartyRole.objects.create(party=party, role=role)
    audit.record(actor=actor, obj=party, action="update", changes={"roles": [roles, sorted([*roles, role])]})


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead_id: int,
    party_id: int | None = None,
    confirmed_duplicate_ids: Iterable[int] = (),
    opportunity_name: str = "",
    expected_revenue: Decimal | str | int | None = None,
    close_date: dt.date | None = None,
    stage_id: int | None = None,
    version: int | None = None,
) -> Lead:
    """Convert an open lead into a party and an opportunity, in one transaction.

    With `party_id` the lead is linked to that existing party (a customer stays the same
    record, nothing copied). Without it a party is created through parties.party_create,
    whose duplicate check raises DuplicatePartyError (409, listing the candidates) when a
    party alike exists: the caller then links one of them or confirms them in
    `confirmed_duplicate_ids`. Publishes LeadConverted (and parties' PartyCreated)."""
    lead = _locked_lead(actor, lead_id)
    require_version(lead, version)
    _require_lead_transition(lead, LeadState.CONVERTED)
    policy.require(actor, selectors.MANAGE_OPPORTUNITY)
    party, created = _party_for_lead(actor, lead, party_id, confirmed_duplicate_ids)
    if not created:  # linked: a customer stays a customer, anyone else becomes a prospect
        _party_role_add(actor, party, PartyRoleType.PROSPECT, unless=[PartyRoleType.CUSTOMER])
    name = (opportunity_name or "").strip() or lead.organisation_name or lead.contact_name
    opportunity = _opportunity_insert(
        actor,
        values={
            "name": name,
            "party": party.pk,
            "expected_revenue": expected_revenue if expected_revenue is not None else Decimal(0),
            "close_date": close_date,
            "stage": stage_id,
            "owner": lead.owner_id or actor.pk,
            "team": lead.team_id,
            "notes": lead.message,
        },
        lead=lead,
    )
    before = audit.snapshot(lead, LEAD_AUDITED)
    lead.state = LeadState.CONVERTED
    lead.party = party
    lead.opportunity = opportunity
    lead.converted_at = timezone.now()
    _save_lead(actor, lead, before, "convert")
    publish(
        LeadConverted(
            company_id=lead.company_id,
            lead_id=lead.pk,
            party_id=party.pk,
            opportunity_id=opportunity.pk,
            party_created=created,
            actor_id=actor.pk,
        )
    )
    return lead


# ---- opportunities


def _decimal(
    value: Any, name: str, errors: dict[str, list[str]], *, low: Decimal, high: Decimal | None
) -> Decimal:
    try:
        number = Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except (InvalidOperation, ValueError):
        _add(errors, name, _("Enter a number."))
        return Decimal(0)
    if not number.is_finite():
        _add(errors, name, _("Enter a number."))
        return Decimal(0)
    if number < low or (high is not None and number > high):
        if high is None:
            _add(errors, name, _("Enter a number of at least %(n)s.") % {"n": low})
        else:
            _add(errors, name, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return Decimal(0)
    if number != number.quantize(Decimal("0.01")):
        _add(errors, name, _("Use at most two decimals."))
    if abs(number) >= Decimal(10) ** 18:
        _add(errors, name, _("This number is too large."))
    return number


def _stage_of(company_id: int, stage_id: Any, errors: dict[str, list[str]]) -> PipelineStage | None:
    if stage_id in (None, ""):
        selectors.stages_install_defaults(company_id)
        first = PipelineStage.objects.filter(company_id=company_id, is_active=True).order_by("sequence", "id")
        stage = first.first()
        if stage is None:
            _add(errors, "stage", _("Set up at least one active pipeline stage first."))
        return stage
    stage = (
        PipelineStage.objects.filter(pk=stage_id, company_id=company_id, is_active=True).first()
        if isinstance(stage_id, int)
        else None
    )
    if stage is None:
        _add(errors, "stage", _("Choose an active stage of the pipeline."))
    return stage


def _clean_opportunity(company: Company, values: Mapping[str, Any], actor: User) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in ("name", "notes"):
        if name in values:
            cleaned[name] = ("" if values[name] is None else str(values[name])).strip()
    errors.update(text_errors(Opportunity, cleaned))
    if "name" in cleaned and not cleaned["name"]:
        _add(errors, "name", _("This field is required."))
    if "party" in values:
        party_id = values["party"]
        visible = (
            isinstance(party_id, int)
            and policy.filter_queryset(actor, "parties.view_party", Party.objects.all())
            .filter(pk=party_id, merged_into__isnull=True)
            .exists()
        )
        if not visible:
            _add(errors, "party", _("Choose an existing party you can see."))
        cleaned["party_id"] = party_id
    if "expected_revenue" in values:
        cleaned["expected_revenue"] = _decimal(
            values["expected_revenue"], "expected_revenue", errors, low=Decimal(0), high=None
        )
    if "probability" in values and values["probability"] is not None:
        cleaned["probability"] = _decimal(
            values["probability"], "probability", errors, low=Decimal(0), high=Decimal(100)
        )
    if "currency" in values:
        try:
            cleaned["currency"] = currency_validate(values["currency"] or company.base_currency)
        except UnknownCurrencyError as exc:  # reported with the other fields' errors
            for message in exc.field_errors.get("currency", [exc.message]):
                _add(errors, "currency", message)
    if "close_date" in values:
        close_date = values["close_date"]
        if close_date not in (None, "") and not isinstance(close_date, dt.date):
            try:
                close_date = dt.date.fromisoformat(str(close_date))
            except ValueError:
                _add(errors, "close_date", _("Enter a date such as 2030-01-31."))
                close_date = None
        cleaned["close_date"] = close_date or None
    if "stage" in values:
        stage = _stage_of(company.pk, values["stage"], errors)
        cleaned["stage"] = stage
    if "owner" in values:
        cleaned["owner_id"] = _user_in_company(company.pk, values["owner"], "owner", errors)
    if "team" in values:
        cleaned["team_id"] = _team_in_company(company.pk, values["team"], "team", errors)
    _invalid(OpportunityInvalidError, errors)
    return cleaned


def _opportunity_insert(actor: User, *, values: Mapping[str, Any], lead: Lead | None = None) -> Opportunity:
    company = Company.objects.get(pk=policy.actor_company_id(actor))
    data = dict(values)
    data.setdefault("stage", None)
    data.setdefault("currency", "")
    cleaned = _clean_opportunity(company, data, actor)
    stage: PipelineStage = cleaned.pop("stage")
    if "probability" not in cleaned:
        cleaned["probability"] = stage.probability
    now = timezone.now()
    opportunity = Opportunity(
        company_id=company.pk,
        stage=stage,
        lead=lead,
        created_by=actor,
        created_at=now,
        updated_at=now,
        **cleaned,
    )
    policy.require(actor, selectors.MANAGE_OPPORTUNITY, opportunity)
    opportunity.save()
    audit.record(
        actor=actor,
        obj=opportunity,
        action="create",
        changes={
            k: [None, v]
            for k, v in audit.snapshot(opportunity, OPPORTUNITY_AUDITED).items()
            if v not in (None, "")
        },
    )
    return opportunity


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    name: str,
    party: int,
    expected_revenue: Decimal | str | int = Decimal(0),
    currency: str = "",
    close_date: dt.date | None = None,
    stage: int | None = None,
    probability: Decimal | str | int | None = None,
    owner: int | None = UNSET,
    team: int | None = UNSET,
    notes: str = "",
) -> Opportunity:
    """A new open opportunity with a party, in `stage` (the first active stage when not
    given) at the stage's probability unless one is given; the currency defaults to the
    company's. The owner defaults to the actor (a rep's opportunity is their own)."""
    policy.require(actor, selectors.MANAGE_OPPORTUNITY)
    return _opportunity_insert(
        actor,
        values={
            "name": name,
            "party": party,
            "expected_revenue": expected_revenue,
            "currency": currency,
            "close_date": close_date,
            "stage": stage,
            "probability": probability,
            "owner": actor.pk if owner is UNSET else owner,
            "team": _default_team(actor) if team is UNSET else team,
            "notes": notes,
        },
    )


def _locked_opportunity(actor: User, opportunity_id: int) -> Opportunity:
    item = (
        Opportunity.objects.select_for_update().filter(pk=opportunity_id).first()
        if isinstance(opportunity_id, int)
        else None
    )
    if item is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, selectors.MANAGE_OPPORTUNITY, item, visible_with=selectors.VIEW_OPPORTUNITY)
    return item


def _require_open(item: Opportunity) -> None:
    if not item.is_open:
        raise OpportunityStateError(
            _("This opportunity is %(state)s; reopen it first.") % {"state": item.get_state_display().lower()}
        )


def _save_opportunity(actor: User, item: Opportunity, before: dict[str, Any], action: str) -> Opportunity:
    changes = audit.diff(before, audit.snapshot(item, OPPORTUNITY_AUDITED))
    if changes:
        item.version += 1
        item.updated_at = timezone.now()
        item.save()
        audit.record(actor=actor, obj=item, action=action, changes=changes)
    return item


@transaction.atomic
def opportunity_update(
    *, actor: User, opportunity_id: int, version: int | None, changes: Mapping[str, Any]
) -> Opportunity:
    """Change an open opportunity's details (`changes` keys: OPPORTUNITY_FIELDS and
    `stage`; moving to a stage resets the probability to the stage's unless one is given)."""
    item = _locked_opportunity(actor, opportunity_id)
    require_version(item, version)
    _require_open(item)
    unknown = set(changes) - {*OPPORTUNITY_FIELDS, "stage"}
    if unknown:
        raise OpportunityInvalidError(
            _("Please correct the marked fields."),
            field_errors={k: [_("Unknown field.")] for k in sorted(unknown)},
        )
    company = Company.objects.get(pk=item.company_id)
    cleaned = _clean_opportunity(company, changes, actor)
    before = audit.snapshot(item, OPPORTUNITY_AUDITED)
    stage = cleaned.pop("stage", None)
    if stage is not None and stage.pk != item.stage_id:
        item.stage = stage
        cleaned.setdefault("probability", stage.probability)
    for attr, value in cleaned.items():
        setattr(item, attr, value)
    policy.require(actor, selectors.MANAGE_OPPORTUNITY, item)
    return _save_opportunity(actor, item, before, "update")


@transaction.atomic
def opportunity_move(*, actor: User, opportunity_id: int, stage_id: int, version: int | None) -> Opportunity:
    """Move an open opportunity to another stage of the pipeline (the board's drag and
    drop); its probability becomes the stage's. Refuses a stale `version` (409)."""
    item = _locked_opportunity(actor, opportunity_id)
    require_version(item, version)
    _require_open(item)
    errors: dict[str, list[str]] = {}
    stage = _stage_of(item.company_id, stage_id, errors) if stage_id is not None else None
    if stage is None:
        _add(errors, "stage", _("Choose an active stage of the pipeline."))
    _invalid(OpportunityInvalidError, errors)
    assert stage is not None  # noqa: S101 - _invalid raised otherwise
    if stage.pk == item.stage_id:
        return item
    before = audit.snapshot(item, OPPORTUNITY_AUDITED)
    item.stage = stage
    item.probability = stage.probability
    return _save_opportunity(actor, item, before, "move")


@transaction.atomic
def opportunity_win(*, actor: User, opportunity_id: int, version: int | None = None) -> Opportunity:
    """Mark an open opportunity won (probability 100 %); its party becomes a customer
    (keeping its other roles). Publishes OpportunityWon."""
    item = _locked_opportunity(actor, opportunity_id)
    require_version(item, version)
    if not item.can_transition_to(OpportunityState.WON):
        _require_open(item)
    before = audit.snapshot(item, OPPORTUNITY_AUDITED)
    item.state = OpportunityState.WON
    item.probability = Decimal(100)
    item.won_at = timezone.now()
    _save_opportunity(actor, item, before, "win")
    _party_role_add(actor, item.party, PartyRoleType.CUSTOMER)
    publish(
        OpportunityWon(
            company_id=item.company_id,
            opportunity_id=item.pk,
            party_id=item.party_id,
            name=item.name,
            currency=item.currency,
            expected_revenue=str(item.expected_revenue),
            owner_id=item.owner_id,
            actor_id=actor.pk,
        )
    )
    return item


@transaction.atomic
def opportunity_lose(
    *, actor: User, opportunity_id: int, lost_reason_id: int, note: str = "", version: int | None = None
) -> Opportunity:
    """Mark an open opportunity lost, with one of the company's active lost reasons
    (required) and an optional note (probability 0 %). Publishes OpportunityLost."""
    item = _locked_opportunity(actor, opportunity_id)
    require_version(item, version)
    errors: dict[str, list[str]] = {}
    reason = (
        LostReason.objects.filter(pk=lost_reason_id, company_id=item.company_id, is_active=True).first()
        if isinstance(lost_reason_id, int)
        else None
    )
    if reason is None:
        _add(errors, "lost_reason", _("Choose why the opportunity was lost."))
    note = (note or "").strip()
    if "\x00" in note:
        _add(errors, "note", _("Contains a NUL character."))
    _invalid(OpportunityInvalidError, errors)
    if not item.can_transition_to(OpportunityState.LOST):
        _require_open(item)
    before = audit.snapshot(item, OPPORTUNITY_AUDITED)
    item.state = OpportunityState.LOST
    item.lost_reason = reason
    item.lost_note = note
    item.probability = Decimal(0)
    item.lost_at = timezone.now()
    _save_opportunity(actor, item, before, "lose")
    publish(
        OpportunityLost(
            company_id=item.company_id,
            opportunity_id=item.pk,
            party_id=item.party_id,
            name=item.name,
            reason=reason.name if reason else "",
            actor_id=actor.pk,
        )
    )
    return item


@transaction.atomic
def opportunity_reopen(*, actor: User, opportunity_id: int, version: int | None = None) -> Opportunity:
    """Put a won or lost opportunity back in the pipeline, in its stage at the stage's
    probability (the stage must still be active; else the first active stage)."""
    item = _locked_opportunity(actor, opportunity_id)
    require_version(item, version)
    if not item.can_transition_to(OpportunityState.OPEN):
        raise OpportunityStateError(_("This opportunity is already open."))
    before = audit.snapshot(item, OPPORTUNITY_AUDITED)
    if not PipelineStage.objects.filter(pk=item.stage_id, is_active=True).exists():
        errors: dict[str, list[str]] = {}
        stage = _stage_of(item.company_id, None, errors)
        _invalid(OpportunityInvalidError, errors)
        assert stage is not None  # noqa: S101 - _invalid raised otherwise
        item.stage = stage
    else:
        item.stage = PipelineStage.objects.get(pk=item.stage_id)
    item.state = OpportunityState.OPEN
    item.probability = item.stage.probability
    item.lost_reason = None
    item.lost_note = ""
    item.won_at = None
    item.lost_at = None
    return _save_opportunity(actor, item, before, "reopen")


@transaction.atomic
def opportunity_quotation_create(*, actor: User, opportunity_id: int) -> SalesOrder:
    """A new draft quotation for the opportunity's party, made by sales with the
    opportunity named as its origin (SalesOrder.origin "crm.opportunity:<id>"), its owner as
    salesperson and its team; sales checks its own permission and defaults."""
    item = _locked_opportunity(actor, opportunity_id)
    _require_open(item)
    return sales.quotation_create(
        actor=actor,
        customer_id=item.party_id,
        currency=item.currency,
        origin=item.origin,
        salesperson_id=item.owner_id,
        team_id=item.team_id,
    )


# ---- configuration: stages, lost reasons, web forms, scoring


def _require_settings(actor: User) -> int:
    policy.require(actor, selectors.MANAGE_SETTINGS)
    return policy.actor_company_id(actor)


def _clean_stage(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "name" in values:
        cleaned["name"] = str(values["name"] or "").strip()
        if not cleaned["name"]:
            _add(errors, "name", _("This field is required."))
        errors.update(text_errors(PipelineStage, {"name": cleaned["name"]}))
    if "probability" in values:
        cleaned["probability"] = _decimal(
            values["probability"], "probability", errors, low=Decimal(0), high=Decimal(100)
        )
    if "sequence" in values and values["sequence"] is not None:
        if not isinstance(values["sequence"], int) or not 0 <= values["sequence"] <= 1_000_000:
            _add(errors, "sequence", _("Enter a whole number."))
        cleaned["sequence"] = values["sequence"]
    if "is_active" in values:
        cleaned["is_active"] = bool(values["is_active"])
    _invalid(CrmSettingsInvalidError, errors)
    return cleaned


def _stage_name_taken(company_id: int, name: str, exclude: int | None = None) -> None:
    taken = PipelineStage.objects.filter(company_id=company_id, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise CrmSettingsInvalidError.for_field("name", _("A stage with this name exists."))


@transaction.atomic
def stage_create(
    *, actor: User, name: str, probability: Decimal | str | int, sequence: int | None = None
) -> PipelineStage:
    """Add a stage to the pipeline (at the end unless `sequence` is given)."""
    company_id = _require_settings(actor)
    selectors.stages_install_defaults(company_id)
    cleaned = _clean_stage({"name": name, "probability": probability, "sequence": sequence})
    _stage_name_taken(company_id, cleaned["name"])
    if cleaned.get("sequence") is None:
        last = PipelineStage.objects.filter(company_id=company_id).aggregate(m=Max("sequence"))["m"] or 0
        cleaned["sequence"] = last + 10
    stage = PipelineStage(company_id=company_id, **cleaned)
    with unique_or_field_error("name", lambda: _("A stage with this name exists.")):
        stage.save()
    audit.record(
        actor=actor, obj=stage, action="create", changes={k: [None, str(v)] for k, v in cleaned.items()}
    )
    return stage


@transaction.atomic
def stage_update(
    *, actor: User, stage_id: int, version: int | None, changes: Mapping[str, Any]
) -> PipelineStage:
    """Rename a stage, change its probability or order, or (de)activate it. A new
    probability applies to opportunities moved into the stage from then on. A stage with
    open opportunities cannot be deactivated (move them first)."""
    company_id = _require_settings(actor)
    stage = PipelineStage.objects.select_for_update().filter(pk=stage_id, company_id=company_id).first()
    if stage is None:
        raise NotFoundError(_("Not found."))
    require_version(stage, version)
    unknown = set(changes) - {"name", "probability", "sequence", "is_active"}
    if unknown:
        raise CrmSettingsInvalidError(
            _("Please correct the marked fields."),
            field_errors={k: [_("Unknown field.")] for k in sorted(unknown)},
        )
    cleaned = _clean_stage(changes)
    if "name" in cleaned:
        _stage_name_taken(company_id, cleaned["name"], exclude=stage.pk)
    if cleaned.get("is_active") is False and stage.is_active:
        if Opportunity.objects.filter(stage=stage, state=OpportunityState.OPEN).exists():
            raise CrmSettingsInvalidError.for_field(
                "is_active", _("This stage still has open opportunities; move them to another stage first.")
            )
        if (
            not PipelineStage.objects.filter(company_id=company_id, is_active=True)
            .exclude(pk=stage.pk)
            .exists()
        ):
            raise CrmSettingsInvalidError.for_field(
                "is_active", _("The pipeline needs at least one active stage.")
            )
    fields = ["name", "probability", "sequence", "is_active"]
    before = audit.snapshot(stage, fields)
    for attr, value in cleaned.items():
        setattr(stage, attr, value)
    diff = audit.diff(before, audit.snapshot(stage, fields))
    if diff:
        stage.version += 1
        stage.save()
        audit.record(actor=actor, obj=stage, action="update", changes=diff)
    return stage


@transaction.atomic
def stages_reorder(*, actor: User, stage_ids: Sequence[int]) -> list[PipelineStage]:
    """Put the company's stages in the given order (every stage exactly once)."""
    company_id = _require_settings(actor)
    stages = {s.pk: s for s in PipelineStage.objects.select_for_update().filter(company_id=company_id)}
    if sorted(stage_ids) != sorted(stages) or len(set(stage_ids)) != len(stage_ids):
        raise CrmSettingsInvalidError.for_field(
            "stage_ids", _("List every stage of the pipeline exactly once.")
        )
    for position, pk in enumerate(stage_ids, start=1):
        stage = stages[pk]
        if stage.sequence != position * 10:
            audit.record(
                actor=actor, obj=stage, action="update", changes={"sequence": [stage.sequence, position * 10]}
            )
            stage.sequence = position * 10
            stage.version += 1
            stage.save(update_fields=["sequence", "version"])
    return [stages[pk] for pk in stage_ids]


@transaction.atomic
def stage_delete(*, actor: User, stage_id: int) -> None:
    """Delete a stage no opportunity (open or closed) has ever been in; deactivate it
    otherwise."""
    company_id = _require_settings(actor)
    stage = PipelineStage.objects.select_for_update().filter(pk=stage_id, company_id=company_id).first()
    if stage is None:
        raise NotFoundError(_("Not found."))
    if Opportunity.objects.filter(stage=stage).exists():
        raise CrmSettingsInvalidError(_("Opportunities have been in this stage; deactivate it instead."))
    if not PipelineStage.objects.filter(company_id=company_id, is_active=True).exclude(pk=stage.pk).exists():
        raise CrmSettingsInvalidError(_("The pipeline needs at least one active stage."))
    audit.record(actor=actor, obj=stage, action="delete", changes={"name": [stage.name, None]})
    stage.delete()


def _clean_reason_name(name: str) -> str:
    name = (name or "").strip()
    errors = text_errors(LostReason, {"name": name})
    if not name:
        _add(errors, "name", _("This field is required."))
    _invalid(CrmSettingsInvalidError, errors)
    return name


@transaction.atomic
def lost_reason_create(*, actor: User, name: str) -> LostReason:
    company_id = _require_settings(actor)
    name = _clean_reason_name(name)
    if LostReason.objects.filter(company_id=company_id, name__iexact=name).exists():
        raise CrmSettingsInvalidError.for_field("name", _("A lost reason with this name exists."))
    reason = LostReason(company_id=company_id, name=name)
    with unique_or_field_error("name", lambda: _("A lost reason with this name exists.")):
        reason.save()
    audit.record(actor=actor, obj=reason, action="create", changes={"name": [None, name]})
    return reason


@transaction.atomic
def lost_reason_update(
    *, actor: User, lost_reason_id: int, name: str | None = None, is_active: bool | None = None
) -> LostReason:
    """Rename a lost reason or (de)activate it (inactive ones are not offered any more but
    stay on the opportunities lost for them)."""
    company_id = _require_settings(actor)
    reason = LostReason.objects.select_for_update().filter(pk=lost_reason_id, company_id=company_id).first()
    if reason is None:
        raise NotFoundError(_("Not found."))
    before = audit.snapshot(reason, ["name", "is_active"])
    if name is not None:
        name = _clean_reason_name(name)
        if LostReason.objects.filter(company_id=company_id, name__iexact=name).exclude(pk=reason.pk).exists():
            raise CrmSettingsInvalidError.for_field("name", _("A lost reason with this name exists."))
        reason.name = name
    if is_active is not None:
        reason.is_active = is_active
    diff = audit.diff(before, audit.snapshot(reason, ["name", "is_active"]))
    if diff:
        reason.save()
        audit.record(actor=actor, obj=reason, action="update", changes=diff)
    return reason


def _clean_web_form(company_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "name" in values:
        cleaned["name"] = str(values["name"] or "").strip()
        if not cleaned["name"]:
            _add(errors, "name", _("This field is required."))
        errors.update(text_errors(WebForm, {"name": cleaned["name"]}))
    if "channel" in values:
        if values["channel"] not in LeadChannel.values:
            _add(
                errors,
                "channel",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(LeadChannel.values)},
            )
        cleaned["channel"] = values["channel"]
    if "owner" in values:
        cleaned["owner_id"] = _user_in_company(company_id, values["owner"], "owner", errors)
    if "team" in values:
        cleaned["team_id"] = _team_in_company(company_id, values["team"], "team", errors)
    if "is_active" in values:
        cleaned["is_active"] = bool(values["is_active"])
    _invalid(CrmSettingsInvalidError, errors)
    return cleaned


@transaction.atomic
def web_form_create(
    *,
    actor: User,
    name: str,
    channel: str = LeadChannel.WEBSITE,
    owner: int | None = None,
    team: int | None = None,
) -> WebForm:
    """A public lead form with a fresh unguessable key; its leads go to `owner`/`team`."""
    company_id = _require_settings(actor)
    cleaned = _clean_web_form(company_id, {"name": name, "channel": channel, "owner": owner, "team": team})
    if WebForm.objects.filter(company_id=company_id, name__iexact=cleaned["name"]).exists():
        raise CrmSettingsInvalidError.for_field("name", _("A web form with this name exists."))
    form = WebForm(company_id=company_id, key=secrets.token_urlsafe(24), **cleaned)
    with unique_or_field_error("name", lambda: _("A web form with this name exists.")):
        form.save()
    audit.record(actor=actor, obj=form, action="create", changes={"name": [None, form.name]})
    return form


@transaction.atomic
def web_form_update(*, actor: User, web_form_id: int, changes: Mapping[str, Any]) -> WebForm:
    company_id = _require_settings(actor)
    form = WebForm.objects.select_for_update().filter(pk=web_form_id, company_id=company_id).first()
    if form is None:
        raise NotFoundError(_("Not found."))
    unknown = set(changes) - {"name", "channel", "owner", "team", "is_active"}
    if unknown:
        raise CrmSettingsInvalidError(
            _("Please correct the marked fields."),
            field_errors={k: [_("Unknown field.")] for k in sorted(unknown)},
        )
    cleaned = _clean_web_form(company_id, changes)
    if "name" in cleaned and (
        WebForm.objects.filter(company_id=company_id, name__iexact=cleaned["name"])
        .exclude(pk=form.pk)
        .exists()
    ):
        raise CrmSettingsInvalidError.for_field("name", _("A web form with this name exists."))
    fields = ["name", "channel", "owner", "team", "is_active"]
    before = audit.snapshot(form, fields)
    for attr, value in cleaned.items():
        setattr(form, attr, value)
    diff = audit.diff(before, audit.snapshot(form, fields))
    if diff:
        form.save()
        audit.record(actor=actor, obj=form, action="update", changes=diff)
    return form


@transaction.atomic
def scoring_weights_set(*, actor: User, weights: Mapping[str, int]) -> dict[str, int]:
    """Set the company's points for scoring rules (-100…100 each); existing open leads are
    not rescored until they change (see leads_rescore). Returns every rule's points."""
    company_id = _require_settings(actor)
    errors: dict[str, list[str]] = {}
    for rule, points in weights.items():
        if rule not in RULE_CODES:
            _add(errors, rule, _("Unknown scoring rule."))
        elif not isinstance(points, int) or isinstance(points, bool) or not -100 <= points <= 100:
            _add(errors, rule, _("Enter a whole number from -100 to 100."))
    _invalid(CrmSettingsInvalidError, errors)
    current = selectors.company_scoring_overrides(company_id)
    for rule, points in weights.items():
        if current.get(rule) != points:
            ScoringWeight.objects.update_or_create(
                company_id=company_id, rule=rule, defaults={"points": points}
            )
    changed = {r: [current.get(r), p] for r, p in weights.items() if current.get(r) != p}
    if changed:
        company = Company.objects.get(pk=company_id)
        audit.record(actor=actor, obj=company, action="crm.scoring", changes=changed)
    return selectors.scoring_weights(actor)


@transaction.atomic
def leads_rescore(*, actor: User) -> int:
    """Score every open lead of the company again with the current rules; returns how
    many scores changed."""
    company_id = _require_settings(actor)
    company = Company.objects.get(pk=company_id)
    changed = []
    for lead in Lead.objects.select_for_update().filter(
        company_id=company_id, state__in=[LeadState.NEW, LeadState.QUALIFIED]
    ):
        old = (lead.score, lead.score_details)
        _score(lead, company)
        if (lead.score, lead.score_details) != old:
            changed.append(lead)
    Lead.objects.bulk_update(changed, ["score", "score_details"], batch_size=500)
    return len(changed)


# ---- the public web form


def web_form_token(*, form_key: str) -> str:
    """A signed token for one rendering of the public form: it names the form and the
    time it was handed out, so a submission can prove it came from a form that was shown
    at least MIN_FILL_SECONDS ago and at most TOKEN_MAX_AGE ago."""
    form = WebForm.objects.filter(key=form_key, is_active=True).only("pk").first() if form_key else None
    if form is None:
        raise NotFoundError(_("Not found."))
    return signing.TimestampSigner(salt=_TOKEN_SALT).sign(f"{form.pk}:{secrets.token_hex(8)}")


def _token_check(form: WebForm, token: Any) -> None:
    refused = WebFormRejectedError(
        _("The form has expired or was not filled in properly; reload it and try again.")
    )
    if not isinstance(token, str) or not token:
        raise refused
    signer = signing.TimestampSigner(salt=_TOKEN_SALT)
    try:
        value = signer.unsign(token, max_age=TOKEN_MAX_AGE)
        _value, timestamp, _sig = token.rsplit(":", 2)
        issued = signing.b62_decode(timestamp)
    except (signing.BadSignature, ValueError) as exc:
        raise refused from exc
    if value.split(":", 1)[0] != str(form.pk):
        raise refused
    if timezone.now().timestamp() - issued < MIN_FILL_SECONDS:
        raise WebFormRejectedError(
            _("The form was sent too quickly; please wait a moment and send it again.")
        )


def _rate_limit(ip: str) -> None:
    """At most RATE_LIMIT submissions per client address per RATE_WINDOW (any form): the
    counter lives in the cache shared by every web process."""
    key = f"crm:web-form:ip:{ip or 'unknown'}"
    if cache.add(key, 1, timeout=RATE_WINDOW):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=RATE_WINDOW)
        return
    if count > RATE_LIMIT:
        raise RateLimitedError(
            _("Too many submissions from your address; please try again later."),
            extra={"retry_after": RATE_WINDOW},
        )


@transaction.atomic
def web_lead_submit(*, form_key: str, data: Mapping[str, Any], ip: str) -> Lead:
    """Capture a lead from the public web form `form_key` (no signed-in user).

    Refused, with nothing written: a flood from one address (429; counted first, so a
    flood on made-up keys is limited too); an unknown or inactive form (404); a filled-in
    honeypot field, a missing, tampered, expired or too-fresh form token (400); bad fields
    (422). The lead gets source web_form, the form's channel, owner and team. Publishes
    LeadCreated."""
    _rate_limit(ip)
    form = (
        WebForm.objects.select_related("company").filter(key=form_key, is_active=True).first()
        if isinstance(form_key, str) and form_key
        else None
    )
    if form is None:
        raise NotFoundError(_("Not found."))
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        # Only bots fill in the field hidden from people; say no more than a normal refusal.
        raise WebFormRejectedError(_("The form could not be submitted."))
    _token_check(form, data.get("token"))
    values = {name: data.get(name, "") for name in _TEXT_LEAD_FIELDS}
    cleaned = _clean_lead(form.company_id, values)
    errors: dict[str, list[str]] = {}
    if not cleaned.get("contact_name"):
        _add(errors, "contact_name", _("This field is required."))
    if not cleaned.get("email") and not cleaned.get("phone"):
        _add(errors, "email", _("Give an e-mail address or a phone number."))
    _invalid(LeadInvalidError, errors)
    now = timezone.now()
    lead = Lead(
        company_id=form.company_id,
        source=LeadSource.WEB_FORM,
        channel=form.channel,
        source_detail=form.name,
        owner_id=form.owner_id,
        team_id=form.team_id,
        created_at=now,
        updated_at=now,
        **cleaned,
    )
    return lead_insert(None, lead, form.company)


OPPORTUNITY_ORIGIN = "crm.opportunity:"


def opportunity_of_origin(origin: str) -> int | None:
    """The opportunity a sales document names as its origin ("crm.opportunity:12"), or None."""
    if not origin.startswith(OPPORTUNITY_ORIGIN):
        return None
    rest = origin[len(OPPORTUNITY_ORIGIN) :]
    return int(rest) if rest.isdigit() else None


def opportunity_won_by_order(*, company_id: int, opportunity_id: int) -> Opportunity | None:
    """A system write (from the OrderConfirmed handler): the quotation made from an open
    opportunity became an order, so the deal is won, in the company's name. None when the
    opportunity is not open (won or lost by hand meanwhile) or not the company's."""
    item = Opportunity.objects.filter(pk=opportunity_id, company_id=company_id).first()
    if item is None or item.state != OpportunityState.OPEN:
        return None
    return opportunity_win(actor=system_actor(company_id), opportunity_id=opportunity_id)
