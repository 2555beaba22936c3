"""Writes of parties: create (with duplicate detection), update, archive, merge.

Every function owns its transaction, checks the policy, locks and re-reads what it
changes, records an audit row and publishes its event through the outbox.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ForeignKey, ForeignObjectRel, ManyToManyRel, ManyToOneRel, Model, OneToOneRel
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import audit, fastsql, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.events import Event
from kantoor.core.models import Team, User
from kantoor.core.outbox import publish
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors
from kantoor.parties import references, selectors
from kantoor.parties.errors import DuplicatePartyError, PartyInvalidError, PartyMergeError
from kantoor.parties.events import PartiesMerged, PartyArchived, PartyCreated, PartyUpdated
from kantoor.parties.models import (
    Address,
    AddressKind,
    ContactPoint,
    ContactPointKind,
    Party,
    PartyKind,
    PartyRole,
    PartyRoleType,
    Tag,
    TimelineEntry,
    normalise_name,
)
from kantoor.parties.validation import (
    coc_normalise,
    contact_value_normalise,
    postal_code_normalise,
    vat_normalise,
)

SCALAR_FIELDS = [
    "kind",
    "name",
    "organisation",
    "job_title",
    "vat_number",
    "coc_number",
    "country",
    "language",
    "notes",
    "owner",
    "team",
]
AUDITED_FIELDS = [*SCALAR_FIELDS, "is_archived"]
LIST_FIELDS = ["roles", "tags", "contact_points", "addresses"]


# Choices' `.values` builds a new list on every access; these are checked per creation.
_KINDS = frozenset(PartyKind.values)
_ROLES = frozenset(PartyRoleType.values)
_ADDRESS_KINDS = frozenset(AddressKind.values)


@dataclass(frozen=True)
class ContactPointIn:
    kind: str
    value: str
    label: str = ""
    is_primary: bool = False


@dataclass(frozen=True)
class AddressIn:
    kind: str
    street: str
    city: str
    country: str
    postal_code: str = ""
    region: str = ""
    is_primary: bool = False


@dataclass
class _Cleaned:
    scalars: dict[str, Any]
    roles: list[str] | None
    tags: list[str] | None
    contact_points: list[tuple[ContactPointIn, str]] | None  # with the normalised value
    addresses: list[AddressIn] | None


@functools.cache
def _country_codes() -> frozenset[str]:
    from babel import Locale

    pseudo = {"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"}  # CLDR regions that are not countries
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if code.isalpha() and len(code) == 2 and code not in pseudo)


def _as_contact_point(item: ContactPointIn | Mapping[str, Any]) -> ContactPointIn:
    return item if isinstance(item, ContactPointIn) else ContactPointIn(**dict(item))


def _as_address(item: AddressIn | Mapping[str, Any]) -> AddressIn:
    return item if isinstance(item, AddressIn) else AddressIn(**dict(item))


def _clean(
    company_id: int, data: Mapping[str, Any], current: Party | None, actor: User | None = None
) -> _Cleaned:
    """Check and normalise everything at once, so one error lists every faulty field.
    The `actor` (active, of this company) and their teams need no lookup as owner or team."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    unknown = set(data) - set(SCALAR_FIELDS) - set(LIST_FIELDS)
    for name in sorted(unknown):
        fail(name, _("Unknown field."))
    scalars: dict[str, Any] = {}
    merged = (
        {
            name: getattr(current, name if name not in ("organisation", "owner", "team") else f"{name}_id")
            for name in SCALAR_FIELDS
        }
        if current
        else {}
    )
    merged.update({k: v for k, v in data.items() if k in SCALAR_FIELDS})

    kind = merged.get("kind")
    if kind not in _KINDS:
        fail("kind", _("Choose organisation or person."))
    name = " ".join(str(merged.get("name") or "").split())
    if not name:
        fail("name", _("A party needs a name."))
    country = str(merged.get("country") or "").strip().upper()
    if country and country not in _country_codes():
        fail("country", _("“%s” is not an ISO 3166 country code.") % country)
    try:
        vat = vat_normalise(str(merged.get("vat_number") or ""), country)
    except ValueError as exc:
        fail("vat_number", str(exc))
        vat = ""
    try:
        coc = coc_normalise(str(merged.get("coc_number") or ""), country)
    except ValueError as exc:
        fail("coc_number", str(exc))
        coc = ""
    language = merged.get("language") or "en"
    if language not in {code for code, _label in settings.LANGUAGES}:
        fail("language", _("Unsupported language “%s”.") % language)
    if len(str(merged.get("notes") or "")) > 20000:
        fail("notes", _("At most %d characters.") % 20000)

    organisation_id = merged.get("organisation")
    if organisation_id is not None:
        if kind != PartyKind.PERSON:
            fail("organisation", _("Only a person can be the contact of an organisation."))
        elif not selectors.organisation_exists(company_id=company_id, party_id=organisation_id):
            fail("organisation", _("Unknown organisation."))
        elif current is not None and organisation_id == current.pk:
            fail("organisation", _("A party cannot be its own organisation."))
    owner_id = merged.get("owner")
    if (
        owner_id is not None
        and not (actor is not None and owner_id == actor.pk)
        and not User.objects.filter(pk=owner_id, company_id=company_id, is_active=True).exists()
    ):
        fail("owner", _("Unknown user."))
    team_id = merged.get("team")
    if (
        team_id is not None
        and not (actor is not None and team_id in policy.team_ids_of(actor))
        and not (Team.objects.filter(pk=team_id, company_id=company_id).exists())
    ):
        fail("team", _("Unknown team."))

    scalars = {
        "kind": kind,
        "name": name,
        "organisation_id": organisation_id,
        "job_title": str(merged.get("job_title") or "").strip(),
        "vat_number": vat,
        "coc_number": coc,
        "country": country,
        "language": language,
        "notes": str(merged.get("notes") or ""),
        "owner_id": owner_id,
        "team_id": team_id,
    }

    roles: list[str] | None = None
    if "roles" in data:
        roles = sorted(set(data["roles"] or []))
        for role in roles:
            if role not in _ROLES:
                fail("roles", _("Unknown role “%s”.") % role)
    tags: list[str] | None = None
    if "tags" in data:
        tags = sorted({" ".join(str(t).split()) for t in data["tags"] or [] if str(t).strip()})
    contact_points: list[tuple[ContactPointIn, str]] | None = None
    if "contact_points" in data:
        contact_points = []
        for index, raw in enumerate(data["contact_points"] or []):
            try:
                point = _as_contact_point(raw)
                shown, compared = contact_value_normalise(point.kind, point.value)
            except (TypeError, ValueError) as exc:
                fail(f"contact_points.{index}.value", str(exc))
                continue
            contact_points.append(
                (ContactPointIn(point.kind, shown, point.label.strip(), point.is_primary), compared)
            )
    addresses: list[AddressIn] | None = None
    if "addresses" in data:
        addresses = []
        codes = _country_codes()
        for index, raw in enumerate(data["addresses"] or []):
            try:
                address = _as_address(raw)
            except TypeError:
                fail(f"addresses.{index}", _("Not a valid address."))
                continue
            where = f"addresses.{index}"
            if address.kind not in _ADDRESS_KINDS:
                fail(f"{where}.kind", _("Unknown address kind “%s”.") % address.kind)
            if not address.street.strip():
                fail(f"{where}.street", _("Enter the street and number."))
            if not address.city.strip():
                fail(f"{where}.city", _("Enter the city."))
            address_country = address.country.strip().upper()
            if address_country not in codes:
                fail(f"{where}.country", _("“%s” is not an ISO 3166 country code.") % address.country)
            try:
                postal = postal_code_normalise(address.postal_code, address_country)
            except ValueError as exc:
                fail(f"{where}.postal_code", str(exc))
                postal = address.postal_code
            addresses.append(
                AddressIn(
                    kind=address.kind,
                    street=address.street.strip(),
                    city=address.city.strip(),
                    country=address_country,
                    postal_code=postal,
                    region=address.region.strip(),
                    is_primary=address.is_primary,
                )
            )
    # Nothing is cut short silently: text that does not fit its column is a field error.
    problems = text_errors(
        Party, {k: scalars[k] for k in ("name", "job_title", "vat_number", "coc_number", "notes")}
    )
    for tag in tags or []:
        if text_errors(Tag, {"name": tag}):
            problems["tags"] = [_("A tag has at most 60 characters and no NUL character.")]
    for index, (point, _compared) in enumerate(contact_points or []):
        problems |= text_errors(
            ContactPoint, {"value": point.value, "label": point.label}, prefix=f"contact_points.{index}."
        )
    for index, address in enumerate(addresses or []):
        address_text = {
            "street": address.street,
            "postal_code": address.postal_code,
            "city": address.city,
            "region": address.region,
        }
        problems |= text_errors(Address, address_text, prefix=f"addresses.{index}.")
    for field, messages in problems.items():
        errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    if errors:
        raise PartyInvalidError(_("Please correct the marked fields."), field_errors=errors)
    return _Cleaned(scalars, roles, tags, contact_points, addresses)


def _write_lists(party: Party, cleaned: _Cleaned, *, is_new: bool) -> dict[str, list[Any]]:
    """Replace the lists that were given; return their audit changes (a new party has
    no lists yet, which saves the bulk creation four reads and four deletes)."""
    changes: dict[str, list[Any]] = {}
    if cleaned.roles is not None:
        old_roles = [] if is_new else sorted(party.roles.values_list("role", flat=True))
        if old_roles != cleaned.roles:
            if not is_new:
                PartyRole.objects.filter(party=party).exclude(role__in=cleaned.roles).delete()
            now = timezone.now()
            fastsql.insert_many(
                PartyRole,
                [{"party": party.pk, "role": r, "since": now} for r in cleaned.roles if r not in old_roles],
            )
            changes["roles"] = [old_roles, cleaned.roles]
    if cleaned.tags is not None:
        old_tags = [] if is_new else sorted(party.tags.values_list("name", flat=True))
        if old_tags != cleaned.tags:
            existing = selectors.tag_ids(company_id=party.company_id, names=cleaned.tags)
            for name in cleaned.tags:
                if name not in existing:
                    # get_or_create: a concurrent request may create the same new tag.
                    existing[name] = Tag.objects.get_or_create(company_id=party.company_id, name=name)[0].pk
            if is_new:  # nothing to compare with: one INSERT instead of set()'s read and insert
                fastsql.insert_many(
                    Party.tags.through, [{"party": party.pk, "tag": existing[n]} for n in cleaned.tags]
                )
            else:
                party.tags.set([existing[n] for n in cleaned.tags])  # ids
            changes["tags"] = [old_tags, cleaned.tags]
    if cleaned.contact_points is not None:
        old_points = (
            []
            if is_new
            else [
                list(row) for row in party.contact_points.values_list("kind", "value", "label", "is_primary")
            ]
        )
        new_points = [[p.kind, p.value, p.label, p.is_primary] for p, _compared in cleaned.contact_points]
        if old_points != new_points:
            if not is_new:
                ContactPoint.objects.filter(party=party).delete()
            fastsql.insert_many(
                ContactPoint,
                [
                    {
                        "party": party.pk,
                        "kind": p.kind,
                        "value": p.value,
                        "normalized_value": compared,
                        "label": p.label,
                        "is_primary": p.is_primary,
                    }
                    for p, compared in cleaned.contact_points
                ],
            )
            changes["contact_points"] = [old_points, new_points]
    if cleaned.addresses is not None:
        wanted = [
            Address(
                party=party,
                kind=a.kind,
                street=a.street,
                postal_code=a.postal_code,
                city=a.city,
                region=a.region,
                country=a.country,
                is_primary=a.is_primary,
            )
            for a in cleaned.addresses
        ]
        old_addresses = [] if is_new else [f"{a.kind}: {a}" for a in party.addresses.all()]
        new_addresses = [f"{a.kind}: {a}" for a in wanted]
        if old_addresses != new_addresses:
            if not is_new:
                Address.objects.filter(party=party).delete()
            fastsql.insert_objects(wanted)
            changes["addresses"] = [old_addresses, new_addresses]
    return changes


def _duplicates_check(
    actor: User, company_id: int, cleaned: _Cleaned, confirmed: Iterable[int], exclude_id: int | None = None
) -> None:
    emails = [compared for p, compared in cleaned.contact_points or [] if p.kind == ContactPointKind.EMAIL]
    matches = selectors.party_duplicates(
        company_id=company_id,
        name=cleaned.scalars["name"],
        vat_number=cleaned.scalars["vat_number"],
        emails=emails,
        exclude_id=exclude_id,
    )
    confirmed_ids = set(confirmed)
    candidate_ids = [m.party_id for m in matches if m.party_id not in confirmed_ids]
    if not candidate_ids:
        return  # the usual case: nothing alike, so no visibility query either
    visible_ids = set(
        policy.filter_queryset(
            actor, "parties.view_party", Party.objects.filter(pk__in=candidate_ids)
        ).values_list("pk", flat=True)
    )
    unconfirmed = [m for m in matches if m.party_id in visible_ids and m.party_id in candidate_ids]
    if unconfirmed:
        raise DuplicatePartyError(
            _("A party with the same %(reason)s exists: %(name)s.")
            % {"reason": unconfirmed[0].reason_label, "name": unconfirmed[0].name},
            candidates=[m.as_dict() for m in unconfirmed],
        )


@transaction.atomic
def party_create(
    *,
    actor: User,
    kind: str,
    name: str,
    roles: Sequence[str] = (),
    tags: Sequence[str] = (),
    contact_points: Sequence[ContactPointIn | Mapping[str, Any]] = (),
    addresses: Sequence[AddressIn | Mapping[str, Any]] = (),
    confirmed_duplicate_ids: Iterable[int] = (),
    **fields: Any,
) -> Party:
    """Create a party after checking for duplicates (same VAT number, e-mail or normalised
    name): a likely duplicate raises DuplicatePartyError listing the candidates, unless the
    caller confirms them in `confirmed_duplicate_ids`. Publishes PartyCreated."""
    policy.require(actor, "parties.change_party")
    company_id = policy.actor_company_id(actor)
    data: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "roles": roles,
        "tags": tags,
        "contact_points": contact_points,
        "addresses": addresses,
        **fields,
    }
    data.setdefault("owner", actor.pk)
    if "team" not in data:
        teams = policy.team_ids_of(actor)
        data["team"] = teams[0] if teams else None
    cleaned = _clean(company_id, data, None, actor)
    _duplicates_check(actor, company_id, cleaned, confirmed_duplicate_ids)
    now = timezone.now()
    party = Party(
        company_id=company_id,
        normalized_name=normalise_name(cleaned.scalars["name"]),
        created_at=now,
        updated_at=now,
        **cleaned.scalars,
    )
    # The new record must fall inside the actor's own scope (an 'own' user owns it).
    policy.require(actor, "parties.change_party", party)
    fastsql.insert_instance(party)  # the hot path of every creation: no ORM compilation
    changes = _write_lists(party, cleaned, is_new=True)
    audit.record(
        actor=actor,
        obj=party,
        action="create",
        changes={
            **{k: [None, v] for k, v in audit.snapshot(party, SCALAR_FIELDS).items() if v not in (None, "")},
            **changes,
        },
    )
    publish(PartyCreated(company_id=company_id, party_id=party.pk, name=party.name, actor_id=actor.pk))
    return party


def _locked_party(actor: User, party_id: int, action: str) -> Party:
    party = Party.objects.select_for_update().filter(pk=party_id).first()
    if party is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, action, party, visible_with="parties.view_party")
    return party


@transaction.atomic
def party_update(
    *,
    actor: User,
    party_id: int,
    version: int | None,
    changes: Mapping[str, Any],
    confirmed_duplicate_ids: Iterable[int] = (),
) -> Party:
    """Change a party's fields; lists given in `changes` (roles, tags, contact points,
    addresses) replace the current ones. Refuses a stale `version` (409).
    Publishes PartyUpdated when anything changed."""
    party = _locked_party(actor, party_id, "parties.change_party")
    require_version(party, version)
    if party.merged_into_id is not None:
        raise PartyMergeError(_("This party was merged into another one and cannot change."))
    cleaned = _clean(party.company_id, changes, party)
    if {"name", "vat_number", "contact_points"} & set(changes):
        _duplicates_check(actor, party.company_id, cleaned, confirmed_duplicate_ids, exclude_id=party.pk)
    before = audit.snapshot(party, SCALAR_FIELDS)
    for attr, value in cleaned.scalars.items():
        setattr(party, attr, value)
    policy.require(actor, "parties.change_party", party)  # e.g. handing it to another team
    party.normalized_name = normalise_name(party.name)
    diff = audit.diff(before, audit.snapshot(party, SCALAR_FIELDS))
    diff.update(_write_lists(party, cleaned, is_new=False))
    if diff:
        party.version += 1
        party.updated_at = timezone.now()
        party.save()
        audit.record(actor=actor, obj=party, action="update", changes=diff)
        publish(
            PartyUpdated(
                company_id=party.company_id, party_id=party.pk, changed_fields=sorted(diff), actor_id=actor.pk
            )
        )
    return party


@transaction.atomic
def party_archive(*, actor: User, party_id: int, version: int | None, is_archived: bool) -> Party:
    """Archive a party (hidden from lists and pickers, history kept) or restore it."""
    party = _locked_party(actor, party_id, "parties.change_party")
    require_version(party, version)
    if party.merged_into_id is not None:
        raise PartyMergeError(_("This party was merged into another one and cannot change."))
    if party.is_archived != is_archived:
        party.is_archived = is_archived
        party.version += 1
        party.updated_at = timezone.now()
        party.save(update_fields=["is_archived", "version", "updated_at"])
        audit.record(
            actor=actor,
            obj=party,
            action="archive" if is_archived else "restore",
            changes={"is_archived": [not is_archived, is_archived]},
        )
        publish(
            PartyArchived(
                company_id=party.company_id, party_id=party.pk, is_archived=is_archived, actor_id=actor.pk
            )
        )
    return party


# Relations that the merge moves itself, keeping their uniqueness rules.
_MERGED_BY_HAND = {"roles", "tags", "contact_points", "timeline", "merged_from"}


def _repoint(source: Party, target: Party) -> dict[str, int]:
    """Point every foreign key to `source`, in any app, at `target` — also those declared
    with related_name="+", which Django's `related_objects` leaves out."""
    moved: dict[str, int] = {}
    relations = [
        f
        for f in Party._meta.get_fields(include_hidden=True)
        if f.auto_created
        and not f.concrete
        # The hidden rows of Party's own many-to-many fields (tags) are merged by hand.
        and getattr(getattr(f.related_model, "_meta", None), "auto_created", None) is not Party
    ]
    for relation in relations:
        if not isinstance(relation, ForeignObjectRel) or relation.get_accessor_name() in _MERGED_BY_HAND:
            continue
        model = cast("type[Model]", relation.related_model)  # a reverse relation always has its model
        if isinstance(relation, ManyToManyRel):
            through = cast("type[Model]", relation.through)  # resolved to a class once the apps are ready
            fk = next(
                f for f in through._meta.fields if isinstance(f, ForeignKey) and f.related_model is Party
            )
            rows = through._default_manager.filter(**{fk.name: source})
        elif isinstance(relation, ManyToOneRel | OneToOneRel):
            fk = relation.field
            rows = model._default_manager.filter(**{fk.name: source})
        else:  # pragma: no cover - Django has no other relation kinds
            continue
        try:
            with transaction.atomic():
                count = rows.update(**{fk.name: target})
        except IntegrityError as exc:
            raise PartyMergeError(
                _("Both parties have a %(what)s that may exist only once; resolve it first.")
                % {"what": model._meta.verbose_name}
            ) from exc
        if count:
            moved[model._meta.label_lower] = count
    for label, callback in references.extra_references():
        count = callback(source.pk, target.pk)
        if count:
            moved[label] = count
    return moved


@transaction.atomic
def party_merge(*, actor: User, source_id: int, target_id: int) -> Party:
    """Merge `source` into `target`: every reference in every app now points at the target,
    roles, tags, contact points and addresses are combined, empty fields of the target are
    filled from the source, and the source is archived with `merged_into` set (its history
    stays). Publishes PartiesMerged."""
    # Lock both in primary-key order so two opposite merges cannot deadlock.
    locked = {
        p.pk: p
        for p in Party.objects.select_for_update()
        .filter(pk__in=sorted([source_id, target_id]))
        .order_by("pk")
    }
    checked: list[Party] = []
    for party in (locked.get(source_id), locked.get(target_id)):
        if party is None:
            raise NotFoundError(_("Not found."))
        policy.require(actor, "parties.merge_party", party, visible_with="parties.view_party")
        checked.append(party)
    source, target = checked
    if source_id == target_id:
        raise PartyMergeError(_("Choose two different parties."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise PartyMergeError(_("One of these parties was already merged."))
    if source.kind != target.kind:
        raise PartyMergeError(_("An organisation cannot be merged with a person."))

    filled = {}
    for name in (
        "vat_number",
        "coc_number",
        "country",
        "job_title",
        "organisation_id",
        "owner_id",
        "team_id",
    ):
        if not getattr(target, name) and getattr(source, name):
            filled[name.removesuffix("_id")] = [getattr(target, name), getattr(source, name)]
            setattr(target, name, getattr(source, name))
    if source.notes:
        target.notes = f"{target.notes}\n\n{source.notes}".strip()

    target_roles = set(target.roles.values_list("role", flat=True))
    PartyRole.objects.filter(party=source, role__in=target_roles).delete()
    PartyRole.objects.filter(party=source).update(party=target)
    target.tags.add(*source.tags.all())
    target_points = set(target.contact_points.values_list("kind", "normalized_value"))
    for point in source.contact_points.all():
        if (point.kind, point.normalized_value) in target_points:
            point.delete()
        else:
            point.is_primary = False
            point.party = target
            point.save(update_fields=["party", "is_primary"])
    target_keys = set(target.timeline.exclude(event_key="").values_list("event_key", flat=True))
    TimelineEntry.objects.filter(party=source, event_key__in=target_keys).delete()
    TimelineEntry.objects.filter(party=source).update(party=target)
    Party.objects.filter(merged_into=source).update(merged_into=target)
    moved = _repoint(source, target)

    target.version += 1
    target.updated_at = timezone.now()
    target.save()
    source.merged_into = target
    source.is_archived = True
    source.version += 1
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "is_archived", "version", "updated_at"])
    audit.record(
        actor=actor,
        obj=target,
        action="merge",
        changes={"merged_from": [None, source.pk], **filled, "moved": [None, moved]},
    )
    audit.record(
        actor=actor,
        obj=source,
        action="merged",
        changes={"merged_into": [None, target.pk], "is_archived": [False, True]},
    )
    publish(
        PartiesMerged(
            company_id=target.company_id,
            source_id=source.pk,
            target_id=target.pk,
            source_name=source.name,
            actor_id=actor.pk,
        )
    )
    return target


def timeline_entry_add(
    *, party_id: int, kind: str, title: str, body: str = "", actor_id: int | None = None, event: Event
) -> None:
    """Add an entry to a party's timeline, once per event, so a redelivered event adds
    nothing. Called by event handlers of any app (a system write: no audit).
    Store `title` untranslated (gettext_noop); pages translate it when shown.

    An event about a party merged away since lands on the surviving party's timeline (the
    merge flattens chains, so one hop suffices). One statement, since every event of every
    app may add an entry: the party's company and survivor are read by the INSERT itself,
    and the unique (party, event_key) makes a repeated insert a no-op."""
    occurred_at = TimelineEntry._meta.get_field("occurred_at").get_db_prep_save(timezone.now(), connection)
    fastsql.cursor().execute(
        _timeline_insert_sql(connection.vendor),
        [occurred_at, kind, title, body, actor_id, event.event_name, event.event_id, party_id],
    )


@functools.cache
def _timeline_insert_sql(vendor: str) -> str:
    del vendor  # part of the cache key: quoting differs per backend
    quote = connection.ops.quote_name
    entry, party = TimelineEntry._meta.db_table, Party._meta.db_table
    columns = ", ".join(
        quote(c)
        for c in (
            "company_id",
            "party_id",
            "occurred_at",
            "kind",
            "title",
            "body",
            "actor_id",
            "event_name",
            "event_key",
        )
    )
    # The WHERE clause also keeps SQLite's parser from reading ON CONFLICT as a join.
    return (
        f"INSERT INTO {quote(entry)} ({columns}) "  # noqa: S608 - table and column names only
        f"SELECT company_id, COALESCE(merged_into_id, id), %s, %s, %s, %s, %s, %s, %s "
        f"FROM {quote(party)} WHERE id = %s ON CONFLICT DO NOTHING"
    )
