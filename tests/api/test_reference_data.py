"""Roster import, scheme policies and regulation records over HTTP."""

from __future__ import annotations

import uuid

from domain.people import Role
from domain.policy import load_bundled_policy
from tests.helpers.api import Api, Stack, add_user

HEADER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,"
    "misconduct_pending\n"
)


def _row(officer_id: str, pay: str = "82000.00", rank: str = "superintendent") -> str:
    return f"{officer_id},A. Example,{rank},1975-03-14,2001-09-03,{pay},2006,false\n"


async def test_roster_import_all_or_nothing(api: Api) -> None:
    one, two = f"IMP{uuid.uuid4().hex[:6]}", f"IMP{uuid.uuid4().hex[:6]}"
    client = api.as_("caseworker")
    csv_headers = {"Content-Type": "text/csv"}
    created = await client.post(
        "/v1/officers/import", content=HEADER + _row(one) + _row(two), headers=csv_headers
    )
    assert created.status_code == 200, created.text
    assert created.json() == {"created": 2, "updated": 0}
    updated = await client.post(
        "/v1/officers/import", content=HEADER + _row(one, pay="90000.00"), headers=csv_headers
    )
    assert updated.json() == {"created": 0, "updated": 1}
    pay = await api.stack.pool.fetchval(
        "SELECT annual_pay FROM officers WHERE officer_id = $1", one
    )
    assert str(pay) == "90000.00"

    three = f"IMP{uuid.uuid4().hex[:6]}"
    bad = HEADER + _row(three) + _row("BAD1", rank="general") + _row("BAD2", pay="lots")
    refused = await client.post("/v1/officers/import", content=bad, headers=csv_headers)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["detail"] == "2 rows are invalid; nothing was imported"
    assert [e["field"].split(":")[0] for e in problem["errors"]] == ["line 3", "line 4"]
    assert "A. Example" not in refused.text  # no personal data in the problem
    assert (
        await api.stack.pool.fetchval("SELECT count(*) FROM officers WHERE officer_id = $1", three)
        == 0
    )

    wrong_type = await client.post("/v1/officers/import", json={"rows": []})
    assert wrong_type.status_code == 415
    assert (
        await api.as_("auditor").post("/v1/officers/import", content=HEADER, headers=csv_headers)
    ).status_code == 403


async def test_roster_import_with_an_idempotency_key_answers_the_first_result(api: Api) -> None:
    officer_id = f"IMP{uuid.uuid4().hex[:6]}"
    headers = {"Content-Type": "text/csv", "Idempotency-Key": str(uuid.uuid4())}
    client = api.as_("admin")
    body = HEADER + _row(officer_id)
    first = await client.post("/v1/officers/import", content=body, headers=headers)
    again = await client.post("/v1/officers/import", content=body, headers=headers)
    assert first.json() == again.json() == {"created": 1, "updated": 0}


async def test_policies_read_by_staff_written_by_admins(isolated_stack: Stack) -> None:
    stack = isolated_stack
    admin = await add_user(stack.pool, "admin", Role.ADMIN)
    caseworker = await add_user(stack.pool, "cw", Role.CASEWORKER)
    demo = load_bundled_policy("demo").model_dump(mode="json")
    async with stack.http(admin.token) as client, stack.http(caseworker.token) as reader:
        assert (await reader.get("/v1/policies/current")).status_code == 404
        created = await client.post("/v1/policies", json=demo)
        assert created.status_code == 201, created.text
        assert created.json()["version"] == "demo"
        current = await reader.get("/v1/policies/current")
        assert current.json()["offer_consideration"] == "PT60S"
        assert current.json()["approval"]["finance_above"] == "50000.00"
        same = await client.post("/v1/policies", json=demo)
        assert same.status_code == 200
        changed = await client.post("/v1/policies", json={**demo, "cooling_off": "PT20S"})
        assert changed.status_code == 409
        assert changed.json()["type"] == "/problems/policy-conflict"
        invalid = await client.post(
            "/v1/policies", json={**demo, "version": "x2", "notice_min": "soon"}
        )
        assert invalid.status_code == 422
        assert [e["field"] for e in invalid.json()["errors"]] == ["body.notice_min"]
        assert (await reader.post("/v1/policies", json=demo)).status_code == 403
        assert (await reader.get("/v1/policies/demo")).json()["version"] == "demo"
        assert (await reader.get("/v1/policies/nope")).status_code == 404


REGULATION = {
    "legal_reference": "Police Pensions Regulations 1987, reg. A19 (reinstated)",
    "version": "2026-1",
    "effective_from": "2026-09-01",
    "parameters": {"eligible_ranks": ["chief_inspector", "superintendent"]},
}


async def test_regulations_are_validated_stored_once_and_listed(isolated_stack: Stack) -> None:
    stack = isolated_stack
    admin = await add_user(stack.pool, "admin", Role.ADMIN)
    auditor = await add_user(stack.pool, "aud", Role.AUDITOR)
    async with stack.http(admin.token) as client, stack.http(auditor.token) as reader:
        created = await client.post("/v1/regulations", json=REGULATION)
        assert created.status_code == 201, created.text
        record = created.json()
        assert record["created_by"] == admin.user_id
        assert record["parameters"]["minimum_pensionable_service_years"] == "30"
        assert record["parameters"]["notice_period"] == "P3M"
        assert record["parameters"]["representations_window"] == "P28D"
        assert sorted(record["parameters"]["required_assessments"]) == [
            "critical_skills",
            "equality_impact",
            "performance",
        ]
        assert (await client.post("/v1/regulations", json=REGULATION)).status_code == 200
        conflict = await client.post(
            "/v1/regulations", json={**REGULATION, "effective_from": "2026-10-01"}
        )
        assert conflict.status_code == 409
        backwards = await client.post(
            "/v1/regulations",
            json={**REGULATION, "version": "2026-2", "effective_to": "2026-01-01"},
        )
        assert backwards.status_code == 422
        assert "effective_to is before effective_from" in backwards.text
        bad_period = await client.post(
            "/v1/regulations",
            json={**REGULATION, "version": "2026-3", "parameters": {"notice_period": "3 months"}},
        )
        assert bad_period.status_code == 422
        assert bad_period.json()["errors"][0]["field"] == "body.parameters.notice_period"
        listed = await reader.get("/v1/regulations")
        assert [r["version"] for r in listed.json()] == ["2026-1"]
        before = await reader.get("/v1/regulations", params={"in_force_on": "2026-08-31"})
        assert before.json() == []
        assert (await reader.post("/v1/regulations", json=REGULATION)).status_code == 403
