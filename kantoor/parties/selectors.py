"""Reads of parties, always scoped to the actor's company, roles and object scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.registry import SearchHit
from kantoor.parties.models import (
    ContactPoint,
    ContactPointKind,
    Party,
    PartyRole,
    TimelineEntry,
    normalise_name,
)


def parties_visible(actor: policy.Actor) -> QuerySet[Party]:
    """Every party (archived and merged too) the actor may see."""
    return policy.filter_queryset(actor, "parties.view_party", Party.objects.all())


def party_get_for_actor(actor: policy.Actor, party_id: int) -> Party:
    party = (
        parties_visible(actor)
        .select_related("organisation", "owner", "team", "merged_into")
        .filter(pk=party_id)
        .first()
    )
    if party is None:
        raise NotFoundError(_("Not found."))
    return party


def name_prefix_filter(prefix: str) -> Q:
    """Parties whose normalised name starts with `prefix`, as an index range: SQLite does
    not use an index for LIKE with ESCAPE, and PostgreSQL's locale collation neither."""
    key = normalise_name(prefix)
    if not key:
        return Q()
    upper = key[:-1] + chr(ord(key[-1]) + 1)
    return Q(normalized_name__gte=key, normalized_name__lt=upper, normalized_name__startswith=key)


def parties_list(
    actor: policy.Actor,
    *,
    q: str = "",
    kind: str = "",
    role: str = "",
    tag: str = "",
    owner_id: int | None = None,
    organisation_id: int | None = None,
    include_archived: bool = False,
) -> QuerySet[Party]:
    """The actor's parties filtered as a list page or API asks; merged parties never show."""
    qs = parties_visible(actor).filter(merged_into__isnull=True)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    if kind:
        qs = qs.filter(kind=kind)
    if role:
        qs = qs.filter(Exists(PartyRole.objects.filter(party=OuterRef("pk"), role=role)))
    if tag:
        qs = qs.filter(tags__name=tag)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if q.strip():
        qs = qs.filter(_search_condition(q))
    return qs


def _search_condition(q: str) -> Q:
    text = q.strip()
    condition = name_prefix_filter(text)
    key = normalise_name(text)
    if "@" in text:
        condition = Q(
            Exists(
                ContactPoint.objects.filter(
                    party=OuterRef("pk"), kind=ContactPointKind.EMAIL, normalized_value=text.lower()
                )
            )
        )
    elif key and len(key) >= 3:
        # A later word of the name ('vries' finds 'Bakkerij de Vries'), or the VAT number.
        condition |= Q(normalized_name__contains=f" {key}") | Q(vat_number=text.replace(" ", "").upper())
    return condition


@dataclass(frozen=True)
class DuplicateMatch:
    party_id: int
    name: str
    reason: str

    @property
    def reason_label(self) -> str:
        return {"vat_number": _("VAT number"), "email": _("e-mail address"), "name": _("name")}[self.reason]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.party_id, "name": self.name, "reason": self.reason}


def party_duplicates(
    *, company_id: int, name: str, vat_number: str, emails: list[str], exclude_id: int | None = None
) -> list[DuplicateMatch]:
    """Existing live parties with the same VAT number, e-mail or normalised name.
    Three indexed lookups rather than one OR across a join, which no index serves."""
    base = Party.objects.filter(company_id=company_id, merged_into__isnull=True)
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)
    found: dict[int, DuplicateMatch] = {}
    if vat_number:
        # Repeating the partial index's condition lets SQLite use it (PostgreSQL infers it);
        # without it SQLite scans every party of the company on each creation.
        rows = base.filter(vat_number=vat_number).exclude(vat_number="").values_list("pk", "name")[:5]
        for pk, party_name in rows:
            found.setdefault(pk, DuplicateMatch(pk, party_name, "vat_number"))
    if emails:
        # IN (indexed lookup of the e-mail addresses), not a correlated EXISTS per party,
        # which SQLite evaluates for every party of the company.
        rows = base.filter(
            pk__in=ContactPoint.objects.filter(
                kind=ContactPointKind.EMAIL, normalized_value__in=emails
            ).values("party_id")
        ).values_list("pk", "name")[:5]
        for pk, party_name in rows:
            found.setdefault(pk, DuplicateMatch(pk, party_name, "email"))
    key = normalise_name(name)
    if key:
        for pk, party_name in base.filter(normalized_name=key).values_list("pk", "name")[:5]:
            found.setdefault(pk, DuplicateMatch(pk, party_name, "name"))
    return list(found.values())


def timeline_of(party: Party) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(party=party).order_by("-occurred_at", "-id")


def party_search_hits(actor: Any, query: str, limit: int) -> list[SearchHit]:
    """Global search provider: parties by name prefix, later name word, VAT or e-mail."""
    rows = (
        parties_list(actor, q=query)
        .order_by("normalized_name", "id")
        .values_list("pk", "name", "kind", "vat_number")[:limit]
    )
    return [
        SearchHit(
            kind=_("Party"),
            title=name,
            subtitle=vat or (_("Person") if kind == "person" else _("Organisation")),
            url_name="web:party-detail",
            url_args=(pk,),
        )
        for pk, name, kind, vat in rows
    ]
