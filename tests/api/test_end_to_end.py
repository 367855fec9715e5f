"""One voluntary-exit case from application to completed exit, over HTTP only.

The real app on uvicorn, the Temporal dev server (real time), a worker, PostgreSQL, and the
demo policy (second-long durations) added through the API, as an admin would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.clock import local_date
from domain.people import Role, Tier
from tests.helpers.api import Stack, add_user
from tests.helpers.live import live_server

DEMO_POLICY = Path(__file__).parents[2] / "domain" / "policies" / "demo.json"

ROSTER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,"
    "misconduct_pending\n"
    "E2E001,Pat Example,chief_superintendent,1978-06-02,2003-10-06,118000.00,2006,false\n"
)


class Person:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    async def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        assert response.status_code == expect, (method, path, response.text)
        content_type = response.headers["content-type"].split(";")[0]
        json_types = {"application/json", "application/problem+json"}
        return response.json() if content_type in json_types else response.text

    async def act(
        self, case_id: str, action: str, version: int | None = None, **body: Any
    ) -> dict[str, Any]:
        """Act; ``version`` is the case as this person read it, sent as If-Match."""
        headers = {"If-Match": f'"{version}"'} if version is not None else {}
        return await self.call(
            "POST", f"/v1/cases/{case_id}/actions/{action}", json=body, headers=headers
        )

    async def read(self, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/cases/{case_id}")
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
        return response.json()

    async def wait_for(self, case_id: str, state: str, within: float = 30) -> dict[str, Any]:
        return await self.wait_until(case_id, lambda case: case["state"] == state, within)

    async def wait_until(
        self, case_id: str, done: Callable[[dict[str, Any]], bool], within: float = 30
    ) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while not done(case := await self.call("GET", f"/v1/cases/{case_id}")):
                await asyncio.sleep(0.2)
        return case


@pytest.mark.slow
async def test_one_case_through_the_whole_lifecycle_over_http(isolated_stack: Stack) -> None:
    stack = isolated_stack
    users = {
        "admin": await add_user(stack.pool, "Ada Admin", Role.ADMIN),
        "caseworker": await add_user(stack.pool, "Cas Worker", Role.CASEWORKER),
        "hr": await add_user(stack.pool, "Hal HR", Role.APPROVER, Tier.HR),
        "finance": await add_user(stack.pool, "Fin Ance", Role.APPROVER, Tier.FINANCE),
        "executive": await add_user(stack.pool, "Exe Cutive", Role.APPROVER, Tier.EXECUTIVE),
        "officer": await add_user(stack.pool, "Pat Example", Role.OFFICER, officer_id="E2E001"),
        "auditor": await add_user(stack.pool, "Aud Itor", Role.AUDITOR),
    }
    started = time.perf_counter()
    async with live_server(stack) as base_url:
        people = {name: Person(base_url, user.token) for name, user in users.items()}
        admin, caseworker, officer, auditor = (
            people["admin"],
            people["caseworker"],
            people["officer"],
            people["auditor"],
        )
        policy = await admin.call(
            "POST", "/v1/policies", expect=201, json=json.loads(DEMO_POLICY.read_text())
        )
        assert policy["version"] == "demo"
        imported = await caseworker.call(
            "POST",
            "/v1/officers/import",
            content=ROSTER,
            headers={"Content-Type": "text/csv"},
        )
        assert imported == {"created": 1, "updated": 0}

        # The officer applies.
        case = await officer.call(
            "POST",
            "/v1/cases",
            expect=201,
            json={"officer_id": "E2E001", "statement": "I would like to go."},
            headers={"Idempotency-Key": "e2e-application"},
        )
        case_id = case["case_id"]
        assert case["policy_version"] == "demo"
        await caseworker.wait_for(case_id, "hr_review")
        inbox = await caseworker.call("GET", "/v1/tasks")
        assert [(t["case_id"], t["kind"]) for t in inbox["items"]] == [(case_id, "hr_review")]

        # HR review asks for information; the officer answers; HR proceeds.
        asked = await caseworker.act(case_id, "review", decision="request_info", reason="payslip?")
        assert asked["state"] == "info_requested"
        answered = await officer.act(case_id, "provide-info", note="Sent by post.")
        assert answered["state"] == "hr_review"
        reviewed = await caseworker.act(case_id, "review", decision="proceed")
        assert reviewed["state"] == "approval"
        amount = reviewed["calculation"]["amount"]

        # Each tier the amount needs approves, in order.
        tiers = reviewed["required_tiers"]
        assert tiers[0] == "hr" and len(tiers) >= 2
        for tier in tiers:
            due = await people[tier].call("GET", "/v1/tasks")
            assert case_id in [t["case_id"] for t in due["items"]]
            seen = await people[tier].read(case_id)
            case = await people[tier].act(
                case_id, "approve", version=seen["version"], reason=f"{tier} content"
            )
        assert case["state"] == "offer_made"
        assert case["offer"]["amount"] == amount

        # The officer accepts, leaving today: the demo policy needs no notice.
        mine = await officer.read(case_id)
        assert "accept-offer" in mine["allowed_actions"]
        today = local_date(datetime.now(UTC)).isoformat()
        accepted = await officer.act(
            case_id, "accept-offer", version=mine["version"], leaving_date=today
        )
        assert accepted["state"] == "accepted"
        assert accepted["leaving_date"] == today

        # Ten seconds of cooling off, then the leaving date has come: exit processing.
        await caseworker.wait_for(case_id, "exit_processing")
        # The system opens the checklist, then records its payroll and pension hand-offs on it.
        automatic = {"payroll_instruction", "pension_notification"}
        processing = await caseworker.wait_until(
            case_id, lambda case: {e["item"] for e in case["checklist"]} == automatic
        )
        assert [t["kind"] for t in processing["tasks"]] == ["exit_checklist"]
        await caseworker.act(case_id, "complete-checklist-item", item="access_revocation")
        done = await caseworker.act(case_id, "complete-checklist-item", item="equipment_return")
        assert done["state"] == "completed"
        assert done["allowed_actions"] == []

        # The officer's own timeline, and the auditor's export, tell the whole story.
        audit = await officer.call("GET", f"/v1/cases/{case_id}/audit")
        states = [e["to_state"] for e in audit["items"]]
        for state in (
            "submitted",
            "hr_review",
            "info_requested",
            "approval",
            "offer_made",
            "accepted",
            "leaving_scheduled",
            "exit_processing",
            "completed",
        ):
            assert state in states
        assert states[-1] == "completed"
        export = await auditor.call("GET", "/v1/audit/export", params={"format": "jsonl"})
        exported = [json.loads(line) for line in export.splitlines()]
        assert [e["seq"] for e in exported if e["case_id"] == case_id] == [
            e["seq"] for e in audit["items"]
        ]
        completed = await auditor.call("GET", "/v1/cases", params={"state": "completed"})
        assert [c["case_id"] for c in completed["items"]] == [case_id]
        for person in people.values():
            await person.http.aclose()
    print(f"\nend-to-end lifecycle over HTTP: {time.perf_counter() - started:.1f} s")
