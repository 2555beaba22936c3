"""Company, users, teams, roles and the platform's bookkeeping rows (audit, outbox, numbering)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Sales")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SERVICE = "service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    FINANCE = "finance", _("Finance")
    HR = "hr", _("Human resources")
    IT = "it", _("IT")
    OPERATIONS = "operations", _("Operations")
    LEGAL = "legal", _("Legal")
    MANAGEMENT = "management", _("Management")
    ADMIN = "admin", _("Administrator")


class Scope(models.TextChoices):
    """How far a role reaches: the actor's own records, their teams' records, or all."""

    OWN = "own", _("Own records")
    TEAM = "team", _("Team records")
    COMPANY = "company", _("Whole company")


class Company(models.Model):
    """The organisation that runs Kantoor: the owner of every business record."""

    name = models.CharField(_("name"), max_length=200)
    base_currency = models.CharField(_("base currency"), max_length=3, default="EUR")
    country = models.CharField(_("country"), max_length=2, default="NL")
    fiscal_year_start_month = models.PositiveSmallIntegerField(_("fiscal year start month"), default=1)
    fiscal_year_start_day = models.PositiveSmallIntegerField(_("fiscal year start day"), default=1)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")
    language = models.CharField(_("language"), max_length=8, default="en")
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True)
    # The legal details an invoice must show (Dutch law: address, VAT and KvK numbers).
    street = models.CharField(_("street and number"), max_length=200, blank=True, default="")
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True, default="")
    coc_number = models.CharField(_("Chamber of Commerce number"), max_length=20, blank=True, default="")
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    website = models.CharField(_("website"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="company_fiscal_month_valid",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year_start_day__gte=1, fiscal_year_start_day__lte=28),
                name="company_fiscal_day_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def fiscal_year_of(self, day: Any) -> int:
        """The fiscal year (named by the calendar year it starts in) that contains `day`."""
        start = (self.fiscal_year_start_month, self.fiscal_year_start_day)
        return day.year if (day.month, day.day) >= start else day.year - 1


class KantoorUserManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """A person who signs in to Kantoor, working for one company."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    email = models.EmailField(_("email address"), blank=True, db_index=True)
    # The company's own process (handlers, scheduled jobs) when it writes on nobody's behalf:
    # no password, hidden from people lists, recorded as the actor in the audit trail.
    is_system = models.BooleanField(_("system"), default=False, editable=False)

    objects = KantoorUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A team or department: the unit of 'team' scope in the policy."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints: ClassVar = [models.UniqueConstraint(fields=["company", "name"], name="team_name_unique")]
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A role held by a user, reaching as far as its scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.COMPANY)

    class Meta:
        verbose_name = _("role assignment")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.role} ({self.scope})"


class NumberSequence(models.Model):
    """The next free number of one document sequence in one fiscal year; gapless by design."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sequences")
    code = models.CharField(max_length=40)
    year = models.PositiveIntegerField()
    pattern = models.CharField(max_length=80, default="{prefix}-{year}-{number:05d}")
    prefix = models.CharField(max_length=20)
    next_number = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code", "year"], name="sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.year}: {self.next_number}"


class ExchangeRate(models.Model):
    """Units of `currency` per one unit of the company's base currency, from `valid_from`."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="exchange_rates")
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["company", "currency", "valid_from"], name="exchange_rate_unique"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "currency", "-valid_from"])]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} @ {self.valid_from}"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Audit rows are evidence: the application never updates or deletes them."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit entries are append-only")


class AuditEntry(models.Model):
    """Who changed which record when, with the fields' values before and after."""

    # Every service write adds a row: no index of the company's own, (company, -at) serves it.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=40)
    model = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes: ClassVar = [
            models.Index(fields=["model", "object_id", "-at"]),
            models.Index(fields=["company", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        # Model.delete() goes through the deletion collector, not the queryset: refuse it here too.
        raise TypeError("audit entries are append-only")


class OutboxEvent(models.Model):
    """A published domain event, written in the publisher's transaction (the outbox)."""

    # Every service write adds a row and nothing looks events up by company: no index.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    name = models.CharField(max_length=80)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["available_at", "id"],
                condition=Q(processed_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class HandlerReceipt(models.Model):
    """Marks one handler as done with one event, so redelivery never runs it twice."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="receipts")
    handler = models.CharField(max_length=200)
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "handler"], name="handler_receipt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.handler} ✓ {self.event_id}"


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed on a retry."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


class ApiToken(models.Model):
    """A personal API token: only its SHA-256 is stored; scoped and revocable."""

    PREFIX = "knt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    is_read_only = models.BooleanField(_("read only"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ScheduledJob(models.Model):
    """The state of one periodic job (kantoor.core.schedule): when it last ran and how, when
    it runs next, and the lease of the worker running it now (`running_until`)."""

    class Status(models.TextChoices):
        OK = "ok", _("OK")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("name"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    running_until = models.DateTimeField(_("running until"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=10, choices=Status.choices, blank=True)
    last_message = models.TextField(_("last message"), blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
