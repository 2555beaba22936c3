"""The pipeline's configuration: stages (add, rename, reorder, deactivate, delete), lost
reasons and web forms — each refusal names its field and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kantoor.crm import selectors, services
from kantoor.crm.errors import CrmSettingsInvalidError
from kantoor.crm.models import PipelineStage
from kantoor.crm.tests.conftest import nothing_written
from kantoor.parties.services import party_create


def test_default_stages_are_installed_once(manager, rep):
    names = [(s.name, s.sequence, s.probability) for s in selectors.pipeline_stages(manager)]
    assert names == [
        ("New", 10, Decimal(10)),
        ("Qualified", 20, Decimal(30)),
        ("Proposal", 30, Decimal(60)),
        ("Negotiation", 40, Decimal(80)),
    ]
    selectors.pipeline_stages(rep)
    assert PipelineStage.objects.count() == 4


def test_stage_update_and_reorder(manager, stages):
    stage = services.stage_update(
        actor=manager,
        stage_id=stages["Proposal"].pk,
        version=1,
        changes={"name": "Offer", "probability": "55"},
    )
    assert (stage.name, stage.probability, stage.version) == ("Offer", Decimal(55), 2)
    with nothing_written(), pytest.raises(CrmSettingsInvalidError) as refused:
        services.stage_update(actor=manager, stage_id=stage.pk, version=None, changes={"name": "new"})
    assert list(refused.value.field_errors) == ["name"]
    order = [stages["Negotiation"].pk, stages["New"].pk, stages["Qualified"].pk, stages["Proposal"].pk]
    services.stages_reorder(actor=manager, stage_ids=order)
    assert [s.pk for s in selectors.pipeline_stages(manager)] == order
    with nothing_written(), pytest.raises(CrmSettingsInvalidError):
        services.stages_reorder(actor=manager, stage_ids=order[:3])


def test_a_stage_with_open_opportunities_stays_active(manager, admin_user, stages):
    party = party_create(actor=admin_user, kind="organisation", name="Bos Bouw")
    services.opportunity_create(actor=manager, name="Deal", party=party.pk)
    with nothing_written(), pytest.raises(CrmSettingsInvalidError) as refused:
        services.stage_update(
            actor=manager, stage_id=stages["New"].pk, version=None, changes={"is_active": False}
        )
    assert list(refused.value.field_errors) == ["is_active"]
    with nothing_written(), pytest.raises(CrmSettingsInvalidError):
        services.stage_delete(actor=manager, stage_id=stages["New"].pk)
    services.stage_update(
        actor=manager, stage_id=stages["Proposal"].pk, version=None, changes={"is_active": False}
    )
    assert [s.name for s in selectors.pipeline_stages(manager)] == ["New", "Qualified", "Negotiation"]
    services.stage_delete(actor=manager, stage_id=stages["Qualified"].pk)
    assert [s.name for s in selectors.pipeline_stages(manager, include_inactive=True)] == [
        "New",
        "Proposal",
        "Negotiation",
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [({"name": ""}, "name"), ({"probability": "120"}, "probability"), ({"name": "new"}, "name")],
)
def test_stage_create_refuses(manager, stages, values, field):
    with nothing_written(), pytest.raises(CrmSettingsInvalidError) as refused:
        services.stage_create(actor=manager, **{"name": "Demo", "probability": "10", **values})
    assert field in refused.value.field_errors


def test_lost_reasons_and_web_forms(manager, rep, outsider):
    reason = services.lost_reason_create(actor=manager, name="Timing")
    with nothing_written(), pytest.raises(CrmSettingsInvalidError):
        services.lost_reason_create(actor=manager, name="timing")
    services.lost_reason_update(actor=manager, lost_reason_id=reason.pk, is_active=False)
    assert selectors.lost_reasons(rep) == []
    assert selectors.lost_reasons(rep, include_inactive=True) == [reason]
    form = services.web_form_create(actor=manager, name="Landing", owner=rep.pk)
    assert len(form.key) >= 30
    with nothing_written(), pytest.raises(CrmSettingsInvalidError) as refused:
        services.web_form_create(actor=manager, name="Other", owner=outsider.pk)
    assert list(refused.value.field_errors) == ["owner"]
    assert selectors.web_forms(manager) == [form]
    assert selectors.web_forms(rep) == []
