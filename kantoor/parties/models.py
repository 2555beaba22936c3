"""The single Party record for every organisation and person the company deals with."""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kantoor.core.models import Company, Team
from kantoor.core.policy import ScopeFields

_LEGAL_FORMS = re.compile(
    r"\b(b\.?v\.?|n\.?v\.?|v\.?o\.?f\.?|c\.?v\.?|gmbh|ag|ltd|limited|llc|inc|sa|sarl|srl|bvba|plc|co)\b"
)


def normalise_name(name: str) -> str:
    """Lower case, accents and legal forms removed, punctuation and spaces collapsed:
    'Bakkerij De Vries B.V.' and 'bakkerij de vries' compare equal."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = _LEGAL_FORMS.sub(" ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


class PartyKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    PERSON = "person", _("Person")


class PartyRoleType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PROSPECT = "prospect", _("Prospect")
    SUPPLIER = "supplier", _("Supplier")
    PARTNER = "partner", _("Partner")
    EMPLOYEE = "employee", _("Employee")
    CONTACT = "contact", _("Contact person")


class Tag(models.Model):
    """A free label on parties, per company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["company", "name"], name="tag_unique")]
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Party(models.Model):
    """An organisation or a person the company deals with, in whatever roles."""

    policy_scope = ScopeFields(company="company", owner="owner", team="team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=PartyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False)
    organisation = models.ForeignKey(
        "self",
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        limit_choices_to={"kind": PartyKind.ORGANISATION},
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    coc_number = models.CharField(_("Chamber of Commerce number"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="parties")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        indexes: ClassVar = [
            # Walked in name order by lists and the prefix search; the filter columns after `id`
            # let the walk skip merged, archived and non-matching rows without reading the table
            # (4× faster for a rare prefix at 100,000 parties).
            models.Index(
                fields=["company", "normalized_name", "id", "merged_into", "is_archived", "vat_number"],
                name="party_name_idx",
            ),
            models.Index(fields=["company", "vat_number"], name="party_vat_idx", condition=~Q(vat_number="")),
            models.Index(fields=["company", "-created_at", "-id"], name="party_recent_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(kind__in=PartyKind.values), name="party_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="party_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_organisation(self) -> bool:
        return self.kind == PartyKind.ORGANISATION


class PartyRole(models.Model):
    """One role a party plays for the company (customer, supplier…)."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=PartyRoleType.choices)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["party", "role"], name="party_role_unique")]
        indexes: ClassVar = [models.Index(fields=["role", "party"])]

    def __str__(self) -> str:
        return f"{self.party}: {self.role}"


class ContactPointKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    MOBILE = "mobile", _("Mobile")
    WEBSITE = "website", _("Website")


class ContactPoint(models.Model):
    """An e-mail address, phone number or website of a party."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactPointKind.choices)
    value = models.CharField(_("value"), max_length=254)
    normalized_value = models.CharField(max_length=254, editable=False)
    label = models.CharField(_("label"), max_length=60, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["kind", "normalized_value"], name="contact_point_lookup")]
        ordering = ("kind", "-is_primary", "id")

    def __str__(self) -> str:
        return self.value


class AddressKind(models.TextChoices):
    VISIT = "visit", _("Visiting address")
    POSTAL = "postal", _("Postal address")
    INVOICE = "invoice", _("Invoice address")
    DELIVERY = "delivery", _("Delivery address")
    HOME = "home", _("Home address")


class Address(models.Model):
    """A postal address of a party, by purpose."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=AddressKind.choices)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ("kind", "-is_primary", "id")

    def __str__(self) -> str:
        return ", ".join(
            p for p in (self.street, f"{self.postal_code} {self.city}".strip(), self.country) if p
        )


class TimelineEntry(models.Model):
    """One thing that happened with a party, written by event handlers of any app."""

    # Written for most events: the party's index below (party first) is the only one it needs.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    occurred_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=80)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    event_name = models.CharField(max_length=80, blank=True)
    event_key = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes: ClassVar = [models.Index(fields=["party", "-occurred_at", "-id"])]
        constraints: ClassVar = [
            # Idempotent handlers: one entry per (party, event) even on redelivery.
            models.UniqueConstraint(
                fields=["party", "event_key"], condition=~Q(event_key=""), name="timeline_event_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title
