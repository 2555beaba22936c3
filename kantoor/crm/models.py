"""Customer relationship management: leads (who showed interest, from where), the sales
pipeline's configurable stages, opportunities moving through them until won or lost, the
reasons deals are lost, the public web forms that capture leads, and the weights of the
rule-based lead score."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kantoor.core.models import Company, Team
from kantoor.core.policy import ScopeFields
from kantoor.parties.models import Party


class LeadSource(models.TextChoices):
    """How the lead reached the company (the record's path into Kantoor)."""

    WEB_FORM = "web_form", _("Web form")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Manual entry")
    EMAIL = "email", _("E-mail")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")


class LeadChannel(models.TextChoices):
    """The marketing channel that brought the lead in."""

    WEBSITE = "website", _("Website")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    PARTNER = "partner", _("Partner")
    EVENT = "event", _("Event")
    OTHER = "other", _("Other")


class LeadState(models.TextChoices):
    NEW = "new", _("New")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    DISQUALIFIED = "disqualified", _("Disqualified")


# The lead workflow as data: one service per transition (see services.py).
LEAD_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (LeadState.NEW, LeadState.QUALIFIED),
        (LeadState.NEW, LeadState.DISQUALIFIED),
        (LeadState.QUALIFIED, LeadState.DISQUALIFIED),
        (LeadState.NEW, LeadState.CONVERTED),
        (LeadState.QUALIFIED, LeadState.CONVERTED),
        (LeadState.DISQUALIFIED, LeadState.NEW),  # reopened: disqualified by mistake
    }
)
# A converted lead lives on as its party and opportunity; only open leads are edited.
LEAD_EDITABLE_STATES = (LeadState.NEW, LeadState.QUALIFIED)


class OpportunityState(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPPORTUNITY_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (OpportunityState.OPEN, OpportunityState.WON),
        (OpportunityState.OPEN, OpportunityState.LOST),
        (OpportunityState.WON, OpportunityState.OPEN),  # reopened
        (OpportunityState.LOST, OpportunityState.OPEN),
    }
)


def origin_of(opportunity_id: int) -> str:
    """How a quotation names the opportunity it was made for (SalesOrder.origin)."""
    return f"crm.opportunity:{opportunity_id}"


class PipelineStage(models.Model):
    """A step of the company's sales pipeline (New, Qualified, Proposal…), in order, with
    the probability of winning an opportunity that has reached it. Winning and losing are
    states of the opportunity, not stages, so every stage is a column of the board."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    sequence = models.PositiveIntegerField(_("sequence"), default=10)
    probability = models.DecimalField(_("probability %"), max_digits=5, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ("company", "sequence", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="crm_stage_name_unique"),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100), name="crm_stage_probability_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    """Why a deal was lost (price, competitor, timing…): chosen when an opportunity is lost."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ("company", "name")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="crm_lost_reason_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    """Someone who showed interest and is not (yet) a customer: captured from a web form,
    the API, an import or by hand, qualified, then converted into a party and an
    opportunity — or disqualified with a reason."""

    # A sales rep changes own leads and sees the team's; a manager sees all (core.policy caps).
    policy_scope = ScopeFields(company="company", owner="owner", team="team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=12, choices=LeadState.choices, default=LeadState.NEW)
    source = models.CharField(_("source"), max_length=12, choices=LeadSource.choices)
    channel = models.CharField(
        _("channel"), max_length=12, choices=LeadChannel.choices, default=LeadChannel.OTHER
    )
    # Which form, campaign, event or referrer — free text beside the source.
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True, default="")
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True, default="")
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True, default="")
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    job_title = models.CharField(_("job title"), max_length=120, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    message = models.TextField(_("message"), blank=True, default="")
    disqualify_reason = models.CharField(
        _("reason for disqualifying"), max_length=300, blank=True, default=""
    )
    score = models.IntegerField(_("score"), default=0)
    # How the score came about: [{"rule": ..., "label": ..., "points": ...}], for the page.
    score_details = models.JSONField(_("score details"), default=list, blank=True)
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
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(state__in=LeadState.values), name="crm_lead_state_valid"),
            models.CheckConstraint(
                condition=~Q(contact_name="", organisation_name=""), name="crm_lead_has_name"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["company", "state", "-created_at"], name="crm_lead_state"),
            models.Index(fields=["company", "email"], name="crm_lead_email"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.contact_name and self.organisation_name:
            return f"{self.contact_name} ({self.organisation_name})"
        return self.contact_name or self.organisation_name

    @property
    def is_open(self) -> bool:
        return self.state in LEAD_EDITABLE_STATES

    def can_transition_to(self, state: str) -> bool:
        return (self.state, state) in LEAD_TRANSITIONS


class Opportunity(models.Model):
    """A possible deal with a party: how much it may bring in, when, how likely (its stage's
    probability unless set), who works on it; open until won or lost (with a reason)."""

    policy_scope = ScopeFields(company="company", owner="owner", team="team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    party = models.ForeignKey(Party, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stage = models.ForeignKey(
        PipelineStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    state = models.CharField(
        _("state"), max_length=8, choices=OpportunityState.choices, default=OpportunityState.OPEN
    )
    probability = models.DecimalField(_("probability %"), max_digits=5, decimal_places=2, default=0)
    expected_revenue = models.DecimalField(_("expected revenue"), max_digits=20, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    close_date = models.DateField(_("expected close date"), null=True, blank=True)
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
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lost_note = models.TextField(_("note on the loss"), blank=True, default="")
    won_at = models.DateTimeField(_("won at"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(state__in=OpportunityState.values), name="crm_opportunity_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="crm_opportunity_probability_range",
            ),
            models.CheckConstraint(
                condition=Q(expected_revenue__gte=0), name="crm_opportunity_revenue_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(state=OpportunityState.LOST) | Q(lost_reason__isnull=False),
                name="crm_opportunity_lost_has_reason",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["company", "state", "stage"], name="crm_opportunity_board"),
            models.Index(fields=["company", "state", "close_date"], name="crm_opportunity_forecast"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == OpportunityState.OPEN

    @property
    def origin(self) -> str:
        return origin_of(self.pk)

    def can_transition_to(self, state: str) -> bool:
        return (self.state, state) in OPPORTUNITY_TRANSITIONS


class WebForm(models.Model):
    """A public lead form on the company's website, addressed by an unguessable key; the
    leads it captures get its channel and are assigned to its owner and team."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(_("public key"), max_length=40, unique=True)
    channel = models.CharField(
        _("channel"), max_length=12, choices=LeadChannel.choices, default=LeadChannel.WEBSITE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ("company", "name")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="crm_web_form_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ScoringWeight(models.Model):
    """A company's own number of points for one lead-scoring rule (kantoor.crm.scoring),
    overriding the rule's default."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(_("rule"), max_length=40)
    points = models.IntegerField(_("points"))

    class Meta:
        verbose_name = _("scoring weight")
        verbose_name_plural = _("scoring weights")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "rule"], name="crm_scoring_weight_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.points}"
