"""Opening, reading, listing and acting on cases over HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from decimal import Decimal

from domain.clock import LONDON
from domain.officer import Rank
from tests.helpers.api import Api, NewOfficer, if_match
from tests.helpers.cases import left_the_force

PROBLEM = "application/problem+json"


async def test_open_starts_the_workflow_and_get_shows_allowed_actions(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    created = await api.open(officer, leaving_date="2026-12-31", statement="time to go")
    assert created["state"] == "submitted"
    assert created["officer_id"] == officer.officer_id
    assert created["policy_version"] == "api-test"
    case = await api.wait_for(created["case_id"], "hr_review")
    assert case["allowed_actions"] == ["review", "withdraw"]  # a caseworker's, in hr_review
    as_manager = await api.get(created["case_id"], as_="hr_manager")
    assert as_manager["allowed_actions"] == ["reassign", "suspend"]
    as_auditor = await api.get(created["case_id"], as_="auditor")
    assert as_auditor["allowed_actions"] == []
    own = await api.get(created["case_id"], as_=officer)
    assert own["allowed_actions"] == ["withdraw"]
    assert case["application"] == {
        "leaving_date": "2026-12-31",
        "statement": "time to go",
        "linked_from": None,
    }


async def test_officer_opens_own_case_only(api: Api, new_officer: NewOfficer) -> None:
    officer, other = await new_officer(), await new_officer()
    response = await api.as_(officer).post("/v1/cases", json={"officer_id": other.officer_id})
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    own = await api.as_(officer).post("/v1/cases", json={"officer_id": officer.officer_id})
    assert own.status_code == 201
    assert own.json()["created_by"]["role"] == "officer"
    assert own.headers["location"] == f"/v1/cases/{own.json()['case_id']}"


async def test_another_officers_case_is_not_found(api: Api, new_officer: NewOfficer) -> None:
    officer, other = await new_officer(), await new_officer()
    case = await api.open(other)
    for path in ("", "/audit"):
        response = await api.as_(officer).get(f"/v1/cases/{case['case_id']}{path}")
        assert response.status_code == 404, path
        assert response.json()["detail"] == "there is no case with this id that you may see"
    action = await api.as_(officer).post(
        f"/v1/cases/{case['case_id']}/actions/withdraw", json={"reason": "not mine"}
    )
    assert action.status_code == 404
    missing = await api.as_("caseworker").get("/v1/cases/EX-NOSUCHCASE")
    assert missing.status_code == 404
    assert missing.json()["detail"] == response.json()["detail"]  # no telling the two apart


async def test_second_open_case_for_an_officer_is_a_conflict(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    first = await api.open(officer)
    second = await api.as_("caseworker").post("/v1/cases", json={"officer_id": officer.officer_id})
    assert second.status_code == 409
    problem = second.json()
    assert problem["type"] == "/problems/open-case-exists"
    assert problem["case_id"] == first["case_id"]
    assert first["case_id"] in problem["detail"]


async def test_an_officer_whose_exit_was_completed_cannot_have_another_case(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    left = await left_the_force(api.stack.pool, officer.officer_id, Rank.SUPERINTENDENT)
    for caller in ("caseworker", officer):
        refused = await api.as_(caller).post("/v1/cases", json={"officer_id": officer.officer_id})
        assert refused.status_code == 409
        problem = refused.json()
        assert problem["type"] == "/problems/officer-has-left"
        assert problem["case_id"] == left
        assert problem["detail"] == (
            f"the officer's exit was completed in case {left}: they have left the force and "
            "cannot have another case"
        )
    count = "SELECT count(*) FROM cases WHERE officer_id = $1"
    assert await api.stack.pool.fetchval(count, officer.officer_id) == 1


async def test_unknown_officer_and_unavailable_kind(api: Api, new_officer: NewOfficer) -> None:
    unknown = await api.as_("caseworker").post("/v1/cases", json={"officer_id": "NOBODY"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "body.officer_id", "message": "not on the roster"}
    ]
    officer = await new_officer()
    proposal = {"critical_skills": "c", "performance": "p", "equality_impact_reference": "E1"}
    efficiency = await api.as_("hr_manager").post(
        "/v1/cases",
        json={
            "officer_id": officer.officer_id,
            "kind": "efficiency_retirement",
            "proposal": proposal,
        },
    )
    assert efficiency.status_code == 409
    today = datetime.now(LONDON).date().isoformat()
    assert efficiency.json()["detail"] == (
        f"no regulation in force on {today} permits efficiency retirement"
    )
    # Nothing started, but the refused attempt is on the record.
    refused = await api.stack.pool.fetchrow(
        "SELECT case_id, actor_role, to_state, details FROM audit_events "
        "WHERE action = 'start_refused' AND details->>'officer_id' = $1",
        officer.officer_id,
    )
    assert refused["actor_role"] == "hr_manager" and refused["to_state"] == "not_started"
    assert (
        await api.stack.pool.fetchval(
            "SELECT count(*) FROM cases WHERE officer_id = $1", officer.officer_id
        )
        == 0
    )
    missing = await api.as_("hr_manager").post(
        "/v1/cases", json={"officer_id": officer.officer_id, "kind": "efficiency_retirement"}
    )
    assert missing.status_code == 422
    voluntary_by_manager = await api.as_("hr_manager").post(
        "/v1/cases", json={"officer_id": "NOBODY"}
    )
    assert voluntary_by_manager.status_code == 403


async def test_fifty_concurrent_identical_requests_open_one_case(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    key = str(uuid.uuid4())
    body = {"officer_id": officer.officer_id, "leaving_date": "2026-12-31"}
    client = api.as_("caseworker")
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(client.post("/v1/cases", json=body, headers={"Idempotency-Key": key}) for _ in range(50))
    )
    elapsed = time.perf_counter() - started
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses][:3]
    assert len({r.content for r in responses}) == 1  # the same answer, byte for byte
    case_id = responses[0].json()["case_id"]
    rows = await api.stack.pool.fetch(
        "SELECT case_id FROM cases WHERE officer_id = $1", officer.officer_id
    )
    assert [r["case_id"] for r in rows] == [case_id]
    # Later retries get the same answer too, even once the case has moved on.
    await api.wait_for(case_id, "hr_review")
    again = await client.post("/v1/cases", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.content == responses[0].content
    print(f"\n50 concurrent idempotent POST /v1/cases: {elapsed:.2f} s")


async def test_idempotency_key_with_another_body_is_refused(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    key = str(uuid.uuid4())
    client = api.as_("caseworker")
    first = await client.post(
        "/v1/cases", json={"officer_id": officer.officer_id}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201
    changed = await client.post(
        "/v1/cases",
        json={"officer_id": officer.officer_id, "statement": "different"},
        headers={"Idempotency-Key": key},
    )
    assert changed.status_code == 422
    assert changed.json()["type"] == "/problems/idempotency-key-reused"
    # The same key from another user is that user's own key: no replay of someone else's answer.
    other = await api.as_("caseworker2").post(
        "/v1/cases", json={"officer_id": officer.officer_id}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409


async def test_actions_move_the_case_and_answer_with_the_new_state(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    case = await api.act(case_id, "review", "caseworker", decision="proceed", reason="fine")
    assert case["state"] == "approval"
    assert case["required_tiers"] == ["hr", "finance"]
    assert case["calculation"]["amount"].count(".") == 1
    assert len(case["calculation"]["amount"].split(".")[1]) == 2  # money: two places, a string
    # The read model agrees at once: the list shows the new state.
    listed = await api.as_("caseworker").get("/v1/cases", params={"state": "approval"})
    assert case_id in [item["case_id"] for item in listed.json()["items"]]
    # The wrong tier is refused before the workflow; the right one moves it on.
    wrong = await api.act(case_id, "approve", "approver_finance", expect=403)
    assert wrong["detail"] == "the hr tier is due on this case, not finance"
    case = await api.act(case_id, "approve", "approver_hr", reason="ok")
    assert case["state"] == "approval"
    assert [a["tier"] for a in case["approvals"]] == ["hr"]
    case = await api.act(case_id, "approve", "approver_finance")
    assert case["state"] == "offer_made"
    # The date offered can still be accepted when the offer lapses (ten days on), so it may be
    # later than the date calculated at review; the amount is for it, and no lower.
    offer, calculation = case["offer"], case["calculation"]
    assert offer["leaving_date"] >= calculation["calculation_date"]
    assert Decimal(offer["amount"]) >= Decimal(calculation["amount"])
    own = await api.get(case_id, as_=officer)
    assert own["allowed_actions"] == ["accept-offer", "decline-offer", "withdraw"]
    case = await api.act(case_id, "decline-offer", officer, reason="staying")
    assert case["state"] == "offer_declined"
    assert case["allowed_actions"] == []


async def test_refusals_are_problems_that_say_why_and_what_is_allowed(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    state = await api.act(case_id, "accept-offer", officer, expect=409)
    assert state["type"] == "/problems/invalid-state"
    assert state["detail"] == (
        "'accept-offer' is not allowed while the case is hr_review; "
        "allowed now: reassign, review, suspend, withdraw"
    )
    role = await api.act(case_id, "review", "auditor", expect=403, decision="proceed")
    assert role["detail"] == "the auditor role may not 'review'; it needs: caseworker"
    needs_reason = await api.act(case_id, "review", "caseworker", expect=422, decision="reject")
    assert needs_reason["detail"] == "'reject' needs a reason"
    await api.act(case_id, "review", "caseworker", decision="proceed")
    # An empty body is fine where every field is optional (the version travels in If-Match).
    approved = await api.as_("approver_hr").post(
        f"/v1/cases/{case_id}/actions/approve",
        headers=await if_match(api.stack.pool, case_id, "approve"),
    )
    assert approved.status_code == 200, approved.text
    adjust = await api.act(
        case_id, "adjust-compensation", "caseworker2", amount="50000.00", reason="agreed"
    )
    assert adjust["adjustment"]["amount"] == "50000.00"
    assert adjust["approvals"] == []  # a new amount starts approval again
    float_amount = await api.as_("caseworker2").post(
        f"/v1/cases/{case_id}/actions/adjust-compensation",
        json={"amount": 50000.5, "reason": "float", "version": adjust["version"]},
    )
    assert float_amount.status_code == 422
    assert float_amount.json()["errors"][0]["field"] == "body.amount"


async def test_caseworker_withdraws_on_the_officers_behalf(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    case = await api.act(case_id, "withdraw", "caseworker", reason="officer phoned in")
    assert case["state"] == "withdrawn"
    audit = await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")
    last = audit.json()["items"][-1]
    assert last["action"] == "withdraw"
    assert last["on_behalf_of"] == officer.officer_id
    assert last["actor_role"] == "caseworker"
    # The case is closed: any further action is a state conflict, even with the workflow gone.
    late = await api.act(case_id, "review", "caseworker", expect=409, decision="proceed")
    assert "withdrawn" in late["detail"]


async def test_unknown_action_is_not_found(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case = await api.open(officer)
    response = await api.as_("caseworker").post(
        f"/v1/cases/{case['case_id']}/actions/teleport", json={}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
