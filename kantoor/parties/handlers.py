"""Reactions to events: the party timeline (later apps add their own entries)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kantoor.parties.events import PartiesMerged, PartyArchived, PartyCreated, PartyUpdated
from kantoor.parties.services import timeline_entry_add


# Titles are stored untranslated (gettext_noop) and translated when shown; the actor is
# kept as a reference, so the page shows their current name.
def on_party_created(event: PartyCreated) -> None:
    timeline_entry_add(
        party_id=event.party_id,
        kind="party.created",
        title=gettext_noop("Party created"),
        actor_id=event.actor_id,
        event=event,
    )


def on_party_updated(event: PartyUpdated) -> None:
    timeline_entry_add(
        party_id=event.party_id,
        kind="party.updated",
        title=gettext_noop("Details changed"),
        body=", ".join(event.changed_fields),
        actor_id=event.actor_id,
        event=event,
    )


def on_party_archived(event: PartyArchived) -> None:
    title = gettext_noop("Archived") if event.is_archived else gettext_noop("Restored")
    timeline_entry_add(
        party_id=event.party_id, kind="party.archived", title=title, actor_id=event.actor_id, event=event
    )


def on_parties_merged(event: PartiesMerged) -> None:
    timeline_entry_add(
        party_id=event.target_id,
        kind="party.merged",
        title=gettext_noop("Merged with another party"),
        body=f"{event.source_name} (#{event.source_id})",
        actor_id=event.actor_id,
        event=event,
    )
