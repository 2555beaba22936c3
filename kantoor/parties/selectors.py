"""Reads of parties, always scoped to the actor's company, roles and object scope."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.registry import SearchHit
from kantoor.parties.models import (
    ContactPoint,
    ContactPointKind,
    Party,
    PartyKind,
    PartyRole,
    Tag,
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

    Runs on every creation, so it is one statement: a UNION of three indexed lookups
    (an OR across the contact-point join would be served by no index). The VAT lookup is a
    subquery that repeats the partial index's condition word for word, so SQLite, which has
    no statistics, cannot prefer the covering name index and scan every party instead
    (that made creation slow down as the table grew); the e-mail lookup is an IN over the
    contact-point index, not a correlated EXISTS evaluated per party."""
    key = normalise_name(name)
    branches, params = _duplicate_branches(bool(vat_number), len(emails), bool(key))
    if not branches:
        return []
    values: list[Any] = []
    for branch in params:
        values += {
            "vat": [company_id, vat_number],
            "email": [company_id, *emails],
            "name": [company_id, key],
        }[branch]
    sql = " UNION ALL ".join(branches)
    found: dict[int, DuplicateMatch] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name, reason FROM ({sql}) AS matches ORDER BY reason DESC, id LIMIT 15",  # noqa: S608 - table names only; values are parameters
            values,
        )
        for pk, party_name, reason in cursor.fetchall():
            if pk != exclude_id:
                found.setdefault(pk, DuplicateMatch(pk, party_name, reason))
    return list(found.values())


@functools.cache
def _duplicate_branches(vat: bool, email_count: int, name: bool) -> tuple[list[str], list[str]]:
    quote = connection.ops.quote_name
    party, point = quote(Party._meta.db_table), quote(ContactPoint._meta.db_table)
    live = "p.company_id = %s AND p.merged_into_id IS NULL"
    branches, params = [], []
    if vat:
        branches.append(
            f"SELECT p.id, p.name, 'vat_number' AS reason FROM {party} p "  # noqa: S608 - table names only
            f"WHERE p.merged_into_id IS NULL AND p.id IN (SELECT id FROM {party} "
            f"WHERE company_id = %s AND vat_number = %s AND NOT (vat_number = ''))"
        )
        params.append("vat")
    if email_count:
        placeholders = ", ".join(["%s"] * email_count)
        branches.append(
            f"SELECT p.id, p.name, 'email' AS reason FROM {party} p WHERE {live} AND p.id IN "  # noqa: S608 - table names only
            f"(SELECT c.party_id FROM {point} c WHERE c.kind = 'email' "
            f"AND c.normalized_value IN ({placeholders}))"
        )
        params.append("email")
    if name:
        branches.append(
            f"SELECT p.id, p.name, 'name' AS reason FROM {party} p WHERE {live} AND p.normalized_name = %s"  # noqa: S608 - table names only
        )
        params.append("name")
    return branches, params


def tag_ids(*, company_id: int, names: list[str]) -> dict[str, int]:
    """The ids of the company's tags with these names (read on every tagged creation)."""
    if not names:
        return {}
    table = connection.ops.quote_name(Tag._meta.db_table)
    placeholders = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, id FROM {table} WHERE company_id = %s AND name IN ({placeholders})",  # noqa: S608 - table name only
            [company_id, *names],
        )
        return dict(cursor.fetchall())


def organisation_exists(*, company_id: int, party_id: int) -> bool:
    """Whether `party_id` is a live organisation of the company (checked on every contact
    person's creation, so a plain indexed lookup by primary key)."""
    table = connection.ops.quote_name(Party._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND company_id = %s "  # noqa: S608 - table name only
            "AND kind = %s AND merged_into_id IS NULL",
            [party_id, company_id, PartyKind.ORGANISATION.value],
        )
        return cursor.fetchone() is not None


def timeline_of(party: Party) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(party=party).select_related("actor").order_by("-occurred_at", "-id")


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
