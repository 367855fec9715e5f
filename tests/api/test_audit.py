"""A case's audit events, and the audit export streamed as JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from store.audit import UNKNOWN_CASE, record_access
from tests.helpers.api import Api, NewOfficer


async def test_case_audit_oldest_first_with_who_and_why(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    await api.act(case_id, "review", "caseworker", decision="request_info", reason="payslips?")
    await api.act(case_id, "provide-info", officer, note="attached")
    response = await api.as_(officer).get(f"/v1/cases/{case_id}/audit")
    assert response.status_code == 200
    events = response.json()["items"]
    assert [e["action"] for e in events] == [
        "submit",
        "eligibility_checked",
        "review",
        "provide-info",
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert events[2]["reason"] == "payslips?"
    assert events[2]["to_state"] == "info_requested"
    assert events[3]["actor_role"] == "officer" and events[3]["on_behalf_of"] is None
    paged = await api.as_("auditor").get(f"/v1/cases/{case_id}/audit", params={"limit": 3})
    assert len(paged.json()["items"]) == 3
    rest = await api.as_("auditor").get(
        f"/v1/cases/{case_id}/audit", params={"cursor": paged.json()["next_cursor"]}
    )
    assert [e["seq"] for e in rest.json()["items"]] == [4]
    assert rest.json()["next_cursor"] is None


async def test_a_case_opened_for_an_officer_is_recorded_on_their_behalf(
    api: Api, new_officer: NewOfficer
) -> None:
    officer, applicant = await new_officer(), await new_officer()
    for_officer = await api.to_hr_review(officer, by="caseworker")
    own = await api.to_hr_review(applicant, by=applicant)
    assert (await api.get(for_officer))["created_by"]["on_behalf_of"] == officer.officer_id
    firsts = []
    for case_id, reader in ((for_officer, officer), (own, applicant)):
        response = await api.as_(reader).get(f"/v1/cases/{case_id}/audit")
        firsts.append(response.json()["items"][0])
    assert [(e["action"], e["actor_role"], e["on_behalf_of"]) for e in firsts] == [
        ("submit", "caseworker", officer.officer_id),
        ("submit", "officer", None),
    ]


async def test_export_streams_jsonl_and_csv_within_the_window(
    api: Api, new_officer: NewOfficer
) -> None:
    before = datetime.now(UTC)
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    after = datetime.now(UTC) + timedelta(seconds=1)
    client = api.as_("auditor")
    params = {"since": before.isoformat(), "until": after.isoformat()}
    jsonl = await client.get("/v1/audit/export", params=params)
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    ours = [e for e in lines if e["case_id"] == case_id]
    assert [e["action"] for e in ours] == ["submit", "eligibility_checked"]
    assert all(before <= datetime.fromisoformat(e["occurred_at"]) < after for e in lines)
    times = [(e["occurred_at"], e["event_id"]) for e in lines]
    assert times == sorted(times)

    as_csv = await client.get("/v1/audit/export", params={**params, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["event_id"] for r in rows] == [str(e["event_id"]) for e in lines]
    assert json.loads(rows[0]["details"]) == lines[0]["details"]

    empty = await client.get(
        "/v1/audit/export", params={"since": after.isoformat(), "until": after.isoformat()}
    )
    assert empty.text == ""
    backwards = await client.get(
        "/v1/audit/export", params={"since": after.isoformat(), "until": before.isoformat()}
    )
    assert backwards.status_code == 422
    naive = await client.get("/v1/audit/export", params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.since"
    for role in ("caseworker", "admin", "hr_manager"):
        assert (await api.as_(role).get("/v1/audit/export")).status_code == 403


async def test_csv_export_neutralises_a_reason_that_starts_like_a_formula(
    api: Api, new_officer: NewOfficer
) -> None:
    before = datetime.now(UTC)
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    reason = "+cmd|' /C calc'!A0"
    await api.act(case_id, "review", "caseworker", decision="request_info", reason=reason)
    params = {"since": before.isoformat(), "format": "csv"}
    as_csv = await api.as_("auditor").get("/v1/audit/export", params=params)
    assert as_csv.status_code == 200
    rows = [r for r in csv.DictReader(io.StringIO(as_csv.text)) if r["case_id"] == case_id]
    assert [r["reason"] for r in rows if r["action"] == "review"] == ["'" + reason]
    jsonl = await api.as_("auditor").get("/v1/audit/export", params={"since": before.isoformat()})
    events = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [e["reason"] for e in events if e["case_id"] == case_id and e["action"] == "review"] == [
        reason
    ]


BAD_MOMENTS = [
    ("since", "0001-01-01T00:00:00+14:00", "outside the years 1-9999"),
    ("until", "9999-12-31T23:59:59-14:00", "outside the years 1-9999"),
    ("since", "2026-01-01T00:00:00", "timezone"),
]


@pytest.mark.parametrize("path", ["/v1/audit/export", "/v1/audit/access"])
@pytest.mark.parametrize(("name", "value", "why"), BAD_MOMENTS)
async def test_a_moment_outside_utc_range_is_a_problem_before_anything_streams(
    api: Api, path: str, name: str, value: str, why: str
) -> None:
    response = await api.as_("auditor").get(path, params={name: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == f"query.{name}" and why in error["message"]
    assert value not in response.text


@pytest.mark.parametrize("path", ["/v1/audit/export", "/v1/audit/access"])
async def test_until_before_since_is_a_problem_on_both_exports(api: Api, path: str) -> None:
    params = {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    response = await api.as_("auditor").get(path, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "query.until", "message": "must not be before since"}
    ]


@pytest.mark.parametrize("case_id", ["\x00", "EX-4K7M2Q9TX\x00", "EX-NOSUCHCASE", "ex-4k7m2q9txa"])
async def test_the_access_log_refuses_a_case_id_that_is_not_one(api: Api, case_id: str) -> None:
    response = await api.as_("auditor").get("/v1/audit/access", params={"case_id": case_id})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "query.case_id"


async def test_decodes_of_payloads_that_named_no_case_can_be_looked_up(api: Api) -> None:
    pool = api.stack.pool
    await record_access(
        pool, user_id="u_unknown_reader", role="auditor", case_id=UNKNOWN_CASE, endpoint="POST x"
    )
    response = await api.as_("auditor").get("/v1/audit/access", params={"case_id": UNKNOWN_CASE})
    assert response.status_code == 200, response.text
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert rows and {row["case_id"] for row in rows} == {UNKNOWN_CASE}
    assert "u_unknown_reader" in {row["user_id"] for row in rows}
