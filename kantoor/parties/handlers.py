"""Reactions to events: the party timeline (later apps add their own entries)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kantoor.core.models import User
from kantoor.parties.events import PartiesMerged, PartyArchived, PartyCreated, PartyUpdated
from kantoor.parties.models import Party, TimelineEntry


def timeline_add(
    *, party_id: int, kind: str, title: str, body: str = "", event_key: str
) -> None:
    """Write one timeline entry once per event key, so redelivered events add nothing."""
    party = Party.objects.filter(pk=party_id).values_list("company_id", flat=True).first()
    if party is None:
        return
    TimelineEntry.objects.get_or_create(
        party_id=party_id, event_key=event_key,
        defaults={"company_id": party, "kind": kind, "title": title, "body": body},
    )


def _who(actor_id: int | None) -> str:
    user = User.objects.filter(pk=actor_id).first() if actor_id else None
    return str(user) if user else ""


# Titles are stored untranslated (gettext_noop) and translated when shown.
def on_party_created(event: PartyCreated) -> None:
    timeline_add(party_id=event.party_id, kind="party.created", title=gettext_noop("Party created"),
                 body=_who(event.actor_id), event_key=event.event_id)


def on_party_updated(event: PartyUpdated) -> None:
    fields = ", ".join(event.changed_fields)
    timeline_add(party_id=event.party_id, kind="party.updated", title=gettext_noop("Details changed"),
                 body=f"{_who(event.actor_id)}: {fields}".strip(": "),
                 event_key=event.event_id)


def on_party_archived(event: PartyArchived) -> None:
    title = gettext_noop("Archived") if event.is_archived else gettext_noop("Restored")
    timeline_add(party_id=event.party_id, kind="party.archived", title=title,
                 body=_who(event.actor_id), event_key=event.event_id)


def on_parties_merged(event: PartiesMerged) -> None:
    timeline_add(party_id=event.target_id, kind="party.merged", title=gettext_noop("Merged with another party"),
                 body=f"{event.source_name} (#{event.source_id})",
                 event_key=event.event_id)
