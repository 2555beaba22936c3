"""Lead scoring: a number saying how promising a lead looks, with the reasons.

`LeadScorer` is the interface; `RuleBasedScorer` is today's implementation: rules as data
(each a test on the lead's facts and a number of points, which a company may change), the
score their sum clamped to 0–100. A later issue can swap in a learned model by providing
another `LeadScorer` through `scorer_for()`; services only ever call `scorer.score(facts)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.translation import gettext_lazy as _

# Addresses at these domains say nothing about a company (a business domain says more).
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.nl",
        "outlook.com",
        "outlook.nl",
        "live.com",
        "live.nl",
        "msn.com",
        "yahoo.com",
        "yahoo.nl",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "web.de",
        "proton.me",
        "protonmail.com",
        "ziggo.nl",
        "kpnmail.nl",
        "planet.nl",
        "home.nl",
        "xs4all.nl",
        "telfort.nl",
        "hetnet.nl",
        "chello.nl",
        "casema.nl",
    }
)


@dataclass(frozen=True)
class LeadFacts:
    """What a scorer may look at: the lead's fields and the company's own country."""

    organisation_name: str = ""
    contact_name: str = ""
    email: str = ""
    phone: str = ""
    job_title: str = ""
    country: str = ""
    message: str = ""
    source: str = ""
    channel: str = ""
    company_country: str = ""

    @property
    def email_domain(self) -> str:
        return self.email.rpartition("@")[2].lower() if "@" in self.email else ""


@dataclass(frozen=True)
class ScoreItem:
    rule: str
    label: str
    points: int

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "label": self.label, "points": self.points}


@dataclass(frozen=True)
class Score:
    value: int
    items: tuple[ScoreItem, ...] = ()

    def details(self) -> list[dict[str, object]]:
        return [item.as_dict() for item in self.items]


class LeadScorer(Protocol):
    """Anything that scores a lead 0–100 and says why."""

    def score(self, facts: LeadFacts) -> Score: ...


@dataclass(frozen=True)
class Rule:
    code: str
    label: object  # a lazy translation
    default_points: int
    applies: Callable[[LeadFacts], bool]


def _decision_maker(facts: LeadFacts) -> bool:
    title = facts.job_title.lower()
    words = ("director", "directeur", "owner", "eigenaar", "ceo", "cfo", "cto", "manager", "head", "hoofd")
    return any(word in title for word in words)


RULES: tuple[Rule, ...] = (
    Rule("has_organisation", _("Organisation given"), 15, lambda f: bool(f.organisation_name.strip())),
    Rule(
        "business_email",
        _("Business e-mail address"),
        20,
        lambda f: bool(f.email_domain) and f.email_domain not in FREE_MAIL_DOMAINS,
    ),
    Rule("free_email", _("Free e-mail address"), -5, lambda f: f.email_domain in FREE_MAIL_DOMAINS),
    Rule("has_phone", _("Phone number given"), 10, lambda f: bool(f.phone.strip())),
    Rule("has_job_title", _("Job title given"), 5, lambda f: bool(f.job_title.strip())),
    Rule("decision_maker", _("Decision maker"), 10, _decision_maker),
    Rule("detailed_message", _("Detailed message"), 10, lambda f: len(f.message.strip()) >= 80),
    Rule(
        "short_message",
        _("Short message"),
        5,
        lambda f: 0 < len(f.message.strip()) < 80,
    ),
    Rule(
        "home_country",
        _("In the company's country"),
        10,
        lambda f: bool(f.country) and f.country.upper() == f.company_country.upper(),
    ),
    Rule("source_referral", _("Referred by someone"), 20, lambda f: f.source == "referral"),
    Rule("source_event", _("Met at an event"), 15, lambda f: f.source == "event"),
    Rule("source_web_form", _("Filled in the web form"), 10, lambda f: f.source == "web_form"),
    Rule("source_email", _("Wrote an e-mail"), 10, lambda f: f.source == "email"),
    Rule("channel_partner", _("Came through a partner"), 10, lambda f: f.channel == "partner"),
)
RULE_CODES = frozenset(rule.code for rule in RULES)
DEFAULT_WEIGHTS: dict[str, int] = {rule.code: rule.default_points for rule in RULES}


@dataclass(frozen=True)
class RuleBasedScorer:
    """Σ points of the rules that apply, clamped to 0–100."""

    weights: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def score(self, facts: LeadFacts) -> Score:
        items = tuple(
            ScoreItem(rule.code, str(rule.label), self.weights.get(rule.code, rule.default_points))
            for rule in RULES
            if rule.applies(facts) and self.weights.get(rule.code, rule.default_points) != 0
        )
        total = sum(item.points for item in items)
        return Score(value=max(0, min(100, total)), items=items)


def weights_for(company_id: int) -> dict[str, int]:
    """Every rule's points for the company: its own where it set them, else the default."""
    from kantoor.crm.models import ScoringWeight

    weights = dict(DEFAULT_WEIGHTS)
    weights.update(
        {
            rule: points
            for rule, points in ScoringWeight.objects.filter(company_id=company_id).values_list(
                "rule", "points"
            )
            if rule in RULE_CODES
        }
    )
    return weights


def scorer_for(company_id: int) -> LeadScorer:
    """The scorer the company's leads are scored with (the place to plug in a model)."""
    return RuleBasedScorer(weights=weights_for(company_id))
