"""Rule-based lead scoring: rules as data, points a company may change, 0–100."""

from __future__ import annotations

import pytest

from kantoor.crm import selectors, services
from kantoor.crm.errors import CrmSettingsInvalidError
from kantoor.crm.scoring import DEFAULT_WEIGHTS, LeadFacts, LeadScorer, RuleBasedScorer
from kantoor.crm.tests.conftest import nothing_written


@pytest.mark.parametrize(
    ("facts", "score", "rules"),
    [
        (LeadFacts(), 0, []),
        (LeadFacts(email="kees@gmail.com"), 0, ["free_email"]),  # -5, clamped at 0
        (
            LeadFacts(
                organisation_name="Bos Bouw",
                email="anna@bosbouw.nl",
                phone="0201234567",
                job_title="Directeur",
                message="x" * 80,
                country="nl",
                company_country="NL",
                source="referral",
                channel="partner",
            ),
            100,  # 15 + 20 + 10 + 5 + 10 + 10 + 10 + 20 + 10 = 110, clamped at 100
            [
                "has_organisation",
                "business_email",
                "has_phone",
                "has_job_title",
                "decision_maker",
                "detailed_message",
                "home_country",
                "source_referral",
                "channel_partner",
            ],
        ),
        (LeadFacts(source="web_form", message="hi", country="BE", company_country="NL"), 15, None),
    ],
)
def test_rule_based_scorer(facts, score, rules):
    scorer: LeadScorer = RuleBasedScorer()
    result = scorer.score(facts)
    assert result.value == score
    if rules is not None:
        assert [item.rule for item in result.items] == rules


def test_a_company_changes_the_points_and_rescores(manager, rep):
    lead = services.lead_create(actor=rep, contact_name="Anna", phone="0201234567")
    assert lead.score == 10
    weights = services.scoring_weights_set(actor=manager, weights={"has_phone": 35})
    assert weights == {**DEFAULT_WEIGHTS, "has_phone": 35}
    assert services.leads_rescore(actor=manager) == 1
    lead.refresh_from_db()
    assert lead.score == 35
    assert selectors.scoring_weights(rep)["has_phone"] == 35


@pytest.mark.parametrize("weights", [{"no_such_rule": 5}, {"has_phone": 101}, {"has_phone": True}])
def test_bad_weights_are_refused(manager, weights):
    with nothing_written(), pytest.raises(CrmSettingsInvalidError):
        services.scoring_weights_set(actor=manager, weights=weights)
