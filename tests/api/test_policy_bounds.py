"""Poison figures are refused at the door, and a case under one stored earlier still closes.

A policy or regulation record with a figure beyond its bounds (docs/policy-bounds.md) is a
422 naming the field, and nothing is stored. A policy that slipped in before the bounds existed
(written straight into the table here) stops its cases with ``needs_attention`` instead of
wedging them: they are listed for HR managers, counted in /metrics, and can be withdrawn.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.metrics import count_cases
from domain.people import Role
from domain.policy import load_bundled_policy
from store.officers import upsert_officers
from tests.api.test_reference_data import REGULATION
from tests.helpers.api import Api, Stack, add_user
from tests.helpers.officers import officer as officer_record

DEMO = load_bundled_policy("demo").model_dump(mode="json")

# (field changed, value, the field the 422 must name)
POISON_POLICIES: list[tuple[str, Any, str]] = [
    ("tariff_weeks_per_year", "1e300", "body.tariff_weeks_per_year"),
    ("tariff_weeks_per_year", "0", "body.tariff_weeks_per_year"),
    ("offer_consideration", "P99999999Y", "body.offer_consideration"),
    ("days_per_service_year", 2**70, "body.days_per_service_year"),
    ("eligible_ranks", [], "body.eligible_ranks"),
    ("leaving_reminders_before", ["PT5S"] * 10_000, "body.leaving_reminders_before"),
    ("leaving_reminders_before", ["P99Y"], "body.leaving_reminders_before.0"),
    ("cap_months_below_pension_age", "37", "body.cap_months_below_pension_age"),
    ("application_opens", "0001-01-01", "body.application_opens"),
    ("application_closes", "9999-12-31", "body.application_closes"),
    ("earliest_leaving_date", "9999-12-31", "body.earliest_leaving_date"),
    ("cooling_off", "PT0S", "body.cooling_off"),
    ("notice_max", "PT1S", "body.notice_max"),  # shorter than notice_min below
    ("offer_reminder_before_lapse", "PT90S", "body.offer_reminder_before_lapse"),
    (
        "hr_review_sla",
        {"reminder": {"after": "PT90S"}, "escalation": {"after": "PT60S"}},
        "body.hr_review_sla.escalation",
    ),
    (
        "approval_tier_sla",
        {"reminder": {"working_days": 3}, "escalation": {"working_days": 100_000}},
        "body.approval_tier_sla.escalation.working_days",
    ),
    ("pension_age", {**DEMO["pension_age"], "2015": {"age": 500}}, "body.pension_age.2015.age"),
    ("full_service_years", {"1987": 2**40}, "body.full_service_years.1987"),
    (
        "approval",
        {**DEMO["approval"], "executive_annual_pay_from": "1e30"},
        "body.approval.executive_annual_pay_from",
    ),
]

POISON_REGULATIONS: list[tuple[dict[str, Any], str]] = [
    ({"effective_from": "0001-01-01"}, "body.effective_from"),
    ({"effective_from": "9999-01-01"}, "body.effective_from"),
    ({"effective_to": "9999-12-31"}, "body.effective_to"),
    ({"parameters": {"representations_window": "PT0S"}}, "body.parameters.representations_window"),
    ({"parameters": {"notice_period": "P99999999Y"}}, "body.parameters.notice_period"),
]


@pytest.mark.parametrize(("field", "value", "named"), POISON_POLICIES)
async def test_a_poison_policy_is_refused_naming_the_field(
    api: Api, field: str, value: Any, named: str
) -> None:
    version = f"poison-{uuid.uuid4().hex[:8]}"
    document = {**DEMO, "version": version, "notice_min": "PT10S", field: value}
    response = await api.as_("admin").post("/v1/policies", json=document)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input"
    assert [e["field"] for e in problem["errors"]] == [named]
    assert (await api.as_("admin").get(f"/v1/policies/{version}")).status_code == 404


async def test_a_policy_at_the_bounds_is_accepted(isolated_stack: Stack) -> None:
    # Its own database: an accepted version becomes the current policy.
    admin = await add_user(isolated_stack.pool, "admin", Role.ADMIN)
    document = {
        **DEMO,
        "version": f"edge-{uuid.uuid4().hex[:8]}",
        "tariff_weeks_per_year": "52",
        "cap_months_below_pension_age": "36",
        "application_opens": "2000-01-01",
        "application_closes": "2100-12-31",
        "offer_consideration": "P2Y",
        "notice_min": "P2Y",
        "notice_max": "P2Y",
        "leaving_reminders_before": ["P1Y", "P6M", "P1M", "P7D", "PT1S"],
    }
    async with isolated_stack.http(admin.token) as client:
        response = await client.post("/v1/policies", json=document)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("change", "named"), POISON_REGULATIONS)
async def test_a_poison_regulation_is_refused_naming_the_field(
    api: Api, change: dict[str, Any], named: str
) -> None:
    reference = f"Poison regulations ({uuid.uuid4().hex[:8]})"
    document = {**REGULATION, "legal_reference": reference, **change}
    response = await api.as_("admin").post("/v1/regulations", json=document)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [named]
    listed = await api.as_("admin").get("/v1/regulations")
    assert reference not in {r["legal_reference"] for r in listed.json()}


async def _stored_unchecked(stack: Stack, version: str, **figures: Any) -> None:
    """A policy version as one stored before the bounds would be: straight into the table."""
    await stack.pool.execute(
        "INSERT INTO policies (version, document, created_by) VALUES ($1, $2, 'legacy')",
        version,
        {**DEMO, **figures, "version": version, "application_opens": "2000-01-01"},
    )


async def _needing_attention_metric(stack: Stack) -> float | None:
    """The gauge as a scrape of /metrics sets it."""
    collected = stack.app.state.metrics
    await count_cases(collected, stack.pool)
    return collected.registry.get_sample_value(
        "exitcases_cases_needing_attention", {"reason": "calculation_failed"}
    )


async def test_a_case_under_a_poison_policy_needs_attention_and_can_be_withdrawn(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    await _stored_unchecked(stack, "legacy-poison", tariff_weeks_per_year="1e300")
    record = officer_record()
    await upsert_officers(stack.pool, [record])
    officer = await add_user(stack.pool, "o", Role.OFFICER, officer_id=record.officer_id)
    caseworker = await add_user(stack.pool, "cw", Role.CASEWORKER)
    manager = await add_user(stack.pool, "hrm", Role.HR_MANAGER)
    api = Api(stack, {"caseworker": caseworker, "hr_manager": manager})
    try:
        case_id = await api.to_hr_review(officer)
        assert await _needing_attention_metric(stack) == 0

        # The calculation cannot be done: the review is refused at once, not left hanging.
        refused = await api.act(case_id, "review", caseworker, expect=409, decision="proceed")
        assert "needs attention" in refused["detail"]
        case = await api.get(case_id)
        assert case["state"] == "hr_review" and case["needs_attention"] == "calculation_failed"
        assert case["allowed_actions"] == ["withdraw"]
        audit = await api.as_(manager).get(f"/v1/cases/{case_id}/audit")
        last = audit.json()["items"][-1]
        assert last["action"] == "needs_attention"
        assert last["details"] == {"reason": "calculation_failed", "error": "InvalidOperation"}

        listed = await api.as_(manager).get("/v1/cases/needs-attention")
        assert listed.status_code == 200, listed.text
        assert [(c["case_id"], c["needs_attention"]) for c in listed.json()["items"]] == [
            (case_id, "calculation_failed")
        ]
        assert (await api.as_(caseworker).get("/v1/cases/needs-attention")).status_code == 403
        assert (await api.as_(officer).get("/v1/cases/needs-attention")).status_code == 403
        assert await _needing_attention_metric(stack) == 1
        # Nothing but closing the case is allowed now.
        await api.act(case_id, "review", caseworker, expect=409, decision="proceed")

        withdrawn = await api.act(case_id, "withdraw", officer, reason="changed my mind")
        assert withdrawn["state"] == "withdrawn" and withdrawn["needs_attention"] is None
        listed = await api.as_(manager).get("/v1/cases/needs-attention")
        assert listed.json()["items"] == []
        assert await _needing_attention_metric(stack) == 0
    finally:
        await api.close()
