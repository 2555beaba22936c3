"""The crm demo: the default pipeline, lost reasons and the website's contact form; leads in
every state from several sources and channels (new, qualified, disqualified with a reason,
converted — once into a new party, once linked to an existing customer); opportunities in
every stage with close dates over the coming months, two won and two lost with reasons.

Runs after the parties demo (existing customers); the sales rep Daan (Sales North) owns most
of it, marketing brings in the event and campaign leads, the sales manager configures.
Re-running creates only what is missing: leads are known by their e-mail address,
opportunities by their name. Everything is the same on every run (no randomness).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import demo
from kantoor.core.models import Company, User
from kantoor.crm import selectors, services
from kantoor.crm.models import Lead, LostReason, Opportunity, PipelineStage, WebForm
from kantoor.parties.errors import DuplicatePartyError
from kantoor.parties.models import Party, PartyRoleType

log = logging.getLogger(__name__)

LOST_REASONS = ("Price too high", "Chose a competitor", "No budget", "Not now: timing", "No response")
WEB_FORM = "Website contact form"


@dataclass(frozen=True)
class DemoLead:
    email: str
    contact_name: str
    organisation_name: str
    source: str
    channel: str
    state: str  # new, qualified, disqualified, converted, linked (converted onto a customer)
    by: str = "sales"  # the demo user who enters it
    phone: str = ""
    job_title: str = ""
    message: str = ""
    detail: str = ""
    reason: str = ""  # for disqualified
    deal: dict[str, Any] = field(default_factory=dict)  # for converted: name, amount, stage, months


DEMO_LEADS = (
    DemoLead(
        "eva.smit@smitcatering.example",
        "Eva Smit",
        "Smit Catering",
        "web_form",
        "website",
        "new",
        phone="+31 20 555 0101",
        message="We are opening two new locations and need coffee machines and a service contract for both.",
        detail=WEB_FORM,
    ),
    DemoLead(
        "k.mol@gmail.com",
        "Kees Mol",
        "",
        "web_form",
        "website",
        "new",
        message="Price list please.",
        detail=WEB_FORM,
    ),
    DemoLead(
        "anna@bosbouw.example",
        "Anna Bos",
        "Bos Bouw",
        "event",
        "event",
        "qualified",
        by="marketing",
        job_title="Directeur",
        phone="+31 30 555 0142",
        detail="Vakbeurs Utrecht",
    ),
    DemoLead(
        "info@groenhoven.example",
        "Pieter Groen",
        "Groenhoven Kwekerij",
        "referral",
        "partner",
        "qualified",
        job_title="Owner",
        detail="Referred by Hotel Zeezicht",
    ),
    DemoLead(
        "m.dekker@hotmail.com",
        "Marco Dekker",
        "",
        "email",
        "email",
        "disqualified",
        message="Do you sell second-hand machines?",
        reason="Looking for second-hand equipment only",
    ),
    DemoLead(
        "sales@cheapbuy.example",
        "",
        "CheapBuy Wholesale",
        "import",
        "social",
        "disqualified",
        by="marketing",
        detail="LinkedIn campaign spring",
        reason="A reseller, not an end customer",
    ),
    DemoLead(
        "lisa@studiovorm.example",
        "Lisa van Dijk",
        "Studio Vorm",
        "manual",
        "phone",
        "converted",
        job_title="Office manager",
        phone="+31 10 555 0199",
        deal={"name": "Studio Vorm: office furniture", "amount": "14500", "stage": "Proposal", "months": 1},
    ),
    DemoLead(
        "jeroen@tulpentours.example",
        "Jeroen Bakker",
        "Tulpen Tours",
        "api",
        "website",
        "converted",
        message="Interested in a fleet of tablets for our guides.",
        deal={"name": "Tulpen Tours: guide tablets", "amount": "8200", "stage": "Qualified", "months": 2},
    ),
    DemoLead(
        "inkoop@existing-customer.example",
        "Sanne Vos",
        "",
        "email",
        "email",
        "linked",
        message="We want to extend our current order for the next quarter.",
        deal={"name": "Repeat order next quarter", "amount": "22000", "stage": "Negotiation", "months": 1},
    ),
)


@dataclass(frozen=True)
class DemoDeal:
    """An opportunity with one of the existing customers (the n-th by name)."""

    name: str
    customer: int
    amount: str
    stage: str
    months: int  # close date: this many months from today
    outcome: str = ""  # won / lost
    reason: str = ""


DEMO_DEALS = (
    DemoDeal("Coffee corner for the canteen", 0, "3200", "New", 2),
    DemoDeal("Annual service contract", 1, "6000", "Qualified", 3),
    DemoDeal("Laptops for the new office", 2, "18750", "Proposal", 2),
    DemoDeal("Meeting room screens", 3, "9400", "Negotiation", 1),
    DemoDeal("Printer fleet renewal", 4, "12300", "New", 4),
    DemoDeal("Ergonomic chairs", 5, "7800", "Proposal", 0, outcome="won"),
    DemoDeal("Warehouse scanners", 6, "5400", "Negotiation", 0, outcome="won"),
    DemoDeal("Standing desks", 7, "11200", "Proposal", 0, outcome="lost", reason="Chose a competitor"),
    DemoDeal("Webshop integration", 8, "4300", "Qualified", 0, outcome="lost", reason="Price too high"),
)


def _close_date(months: int) -> dt.date:
    today = timezone.localdate()
    month = today.month - 1 + months
    return dt.date(today.year + month // 12, month % 12 + 1, min(today.day, 28))


@demo.register("crm", order=85)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: Any,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """The pipeline, leads and opportunities, where missing."""
    del rng, options  # the demo is the same on every run
    advance = progress(_("CRM"), len(DEMO_LEADS) + len(DEMO_DEALS) + 1)
    if not {"sales", "sales_manager", "marketing", "admin"} <= set(users):
        log.warning("crm demo skipped: it needs the demo users sales, sales_manager, marketing and admin")
        advance(len(DEMO_LEADS) + len(DEMO_DEALS) + 1)
        return
    _configure(company, users)
    advance(1)
    customers = list(
        Party.objects.filter(
            company=company, roles__role=PartyRoleType.CUSTOMER, is_archived=False, merged_into__isnull=True
        ).order_by("normalized_name", "id")[:20]
    )
    known_emails = set(Lead.objects.filter(company=company).values_list("email", flat=True))
    for spec in DEMO_LEADS:
        if spec.email not in known_emails and (spec.state != "linked" or customers):
            _lead_load(spec, users, customers)
        advance(1)
    known_deals = set(Opportunity.objects.filter(company=company).values_list("name", flat=True))
    for deal in DEMO_DEALS:
        if deal.name not in known_deals and len(customers) > deal.customer:
            _deal_load(deal, users, customers[deal.customer])
        advance(1)


@transaction.atomic
def _configure(company: Company, users: Mapping[str, User]) -> None:
    manager = users["sales_manager"]
    selectors.stages_install_defaults(company.pk)
    known = set(LostReason.objects.filter(company=company).values_list("name", flat=True))
    for name in LOST_REASONS:
        if name not in known:
            services.lost_reason_create(actor=manager, name=name)
    if not WebForm.objects.filter(company=company, name=WEB_FORM).exists():
        team = users["sales"].teams.order_by("name").first()
        services.web_form_create(
            actor=manager, name=WEB_FORM, owner=users["sales"].pk, team=team.pk if team else None
        )


def _stage_id(company_id: int, name: str) -> int | None:
    return PipelineStage.objects.filter(company_id=company_id, name=name).values_list("pk", flat=True).first()


@transaction.atomic
def _lead_load(spec: DemoLead, users: Mapping[str, User], customers: list[Party]) -> None:
    author = users[spec.by]
    owner = users["sales"]
    team = owner.teams.order_by("name").first()
    lead = services.lead_create(
        actor=author,
        contact_name=spec.contact_name,
        organisation_name=spec.organisation_name,
        email=spec.email,
        phone=spec.phone,
        job_title=spec.job_title,
        country="NL",
        message=spec.message,
        source=spec.source,
        channel=spec.channel,
        source_detail=spec.detail,
        owner=owner.pk,
        team=team.pk if team else None,
    )
    if spec.state == "qualified":
        services.lead_qualify(actor=owner, lead_id=lead.pk)
    elif spec.state == "disqualified":
        services.lead_disqualify(actor=owner, lead_id=lead.pk, reason=spec.reason)
    elif spec.state in ("converted", "linked"):
        services.lead_qualify(actor=owner, lead_id=lead.pk)
        # The rep creates the new party; the manager, who sees every customer, links one.
        actor = users["sales_manager"] if spec.state == "linked" else owner
        party_id = customers[0].pk if spec.state == "linked" else None
        convert = {
            "opportunity_name": spec.deal["name"],
            "expected_revenue": spec.deal["amount"],
            "close_date": _close_date(spec.deal["months"]),
            "stage_id": _stage_id(lead.company_id, spec.deal["stage"]),
        }
        try:
            with transaction.atomic():
                services.lead_convert(actor=actor, lead_id=lead.pk, party_id=party_id, **convert)
        except DuplicatePartyError as exc:  # a look-alike from the parties demo: link it
            services.lead_convert(
                actor=users["sales_manager"], lead_id=lead.pk, party_id=exc.candidates[0]["id"], **convert
            )


@transaction.atomic
def _deal_load(deal: DemoDeal, users: Mapping[str, User], customer: Party) -> None:
    owner = users["sales"] if deal.customer % 3 else users["sales_manager"]
    team = owner.teams.order_by("name").first()
    opportunity = services.opportunity_create(
        actor=users["sales_manager"],
        name=deal.name,
        party=customer.pk,
        expected_revenue=deal.amount,
        close_date=_close_date(deal.months),
        stage=_stage_id(customer.company_id, deal.stage),
        owner=owner.pk,
        team=team.pk if team else None,
    )
    if deal.outcome == "won":
        services.opportunity_win(actor=users["sales_manager"], opportunity_id=opportunity.pk)
    elif deal.outcome == "lost":
        reason = LostReason.objects.get(company_id=customer.company_id, name=deal.reason)
        services.opportunity_lose(
            actor=users["sales_manager"], opportunity_id=opportunity.pk, lost_reason_id=reason.pk
        )
