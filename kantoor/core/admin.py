"""Admin for support staff: read-only. Every write goes through a service (UI, API, CLI),
so the admin is never a second write path that skips policy, audit and events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kantoor.core import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Company)
class CompanyAdmin(ReadOnlyAdmin):
    list_display = ("name", "base_currency", "country", "time_zone")


@admin.register(models.User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "email", "company", "is_active", "language")
    search_fields = ("username", "email", "first_name", "last_name")


@admin.register(models.Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "company")


@admin.register(models.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "model", "object_id", "object_repr")
    list_filter = ("model", "action")


@admin.register(models.OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "created_at", "attempts", "processed_at")
    list_filter = ("name",)
