"""Read-only admin for support staff (writes go through parties.services)."""

from django.contrib import admin

from kantoor.core.admin import ReadOnlyAdmin
from kantoor.parties import models


@admin.register(models.Party)
class PartyAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "vat_number", "company", "is_archived")
    search_fields = ("normalized_name", "vat_number")
    list_filter = ("kind", "is_archived")


@admin.register(models.TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "party", "kind", "title")
