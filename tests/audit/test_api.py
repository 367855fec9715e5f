"""The audit surface of the HTTP API: a case's timeline, and the access log of staff reads."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from domain.case import Application
from domain.commands import StartCase
from domain.officer import Rank
from domain.people import Actor, Role
from domain.policy import load_bundled_policy
from domain.records import AuditEntry, CaseEvent
from store.cases import apply_event
from tests.helpers.api import Api, NewOfficer


async def test_the_timeline_merges_audit_events_with_temporal_history(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    response = await api.as_("auditor").get(f"/v1/cases/{case_id}/timeline")
    assert response.status_code == 200
    timeline = response.json()
    assert timeline["history_available"] is True
    entries = timeline["entries"]
    assert {e["source"] for e in entries} == {"audit", "temporal"}
    kinds = [e["kind"] for e in entries]
    assert "submit" in kinds and "workflow_execution_started" in kinds
    # The HR review's reminder and escalation are timers the workflow has armed.
    timers = [e for e in entries if e["kind"] == "timer_started"]
    assert timers and all("fires_at" in e["detail"] for e in timers)
    recorded = [e for e in entries if e["detail"].get("activity") == "record_event"]
    assert recorded and recorded[0]["kind"] == "activity_task_scheduled"
    audit = [e for e in entries if e["source"] == "audit"]
    assert [e["detail"]["seq"] for e in audit] == list(range(1, len(audit) + 1))
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    for role in ("caseworker", "hr_manager"):
        assert (await api.as_(role).get(f"/v1/cases/{case_id}/timeline")).status_code == 200
    assert (await api.as_(officer).get(f"/v1/cases/{case_id}/timeline")).status_code == 403


async def test_the_timeline_outlives_the_workflow_history(api: Api) -> None:
    """A case whose history retention has deleted: the audit events alone, flagged."""
    case_id = f"EX-GONE{secrets.token_hex(3).upper()}"
    caseworker = Actor(user_id="u_cw", role=Role.CASEWORKER)
    view = StartCase(
        case_id=case_id,
        officer_id="OF-gone",
        rank=Rank.SUPERINTENDENT,
        application=Application(),
        policy=load_bundled_policy(),
        created_by=caseworker,
    ).submitted_view(datetime.now(UTC))
    view = view.model_copy(update={"version": 1})
    entry = AuditEntry(
        seq=1,
        action="submit",
        actor=caseworker,
        from_state=None,
        to_state=view.state,
        occurred_at=datetime.now(UTC),
    )
    await apply_event(api.stack.pool, CaseEvent(view=view, audit=entry))
    response = await api.as_("auditor").get(f"/v1/cases/{case_id}/timeline")
    assert response.status_code == 200, response.text
    timeline = response.json()
    assert timeline["history_available"] is False
    assert [(e["source"], e["kind"]) for e in timeline["entries"]] == [("audit", "submit")]


async def test_staff_reads_are_in_the_access_log_and_officers_reads_are_not(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    before = datetime.now(UTC)
    await api.as_(officer).get(f"/v1/cases/{case_id}")
    await api.as_(officer).get(f"/v1/cases/{case_id}/audit")
    await api.as_("caseworker").get(f"/v1/cases/{case_id}")
    await api.as_("auditor").get(f"/v1/cases/{case_id}/audit")
    await api.as_("hr_manager").get(f"/v1/cases/{case_id}/timeline")
    response = await api.as_("auditor").get(
        "/v1/audit/access", params={"case_id": case_id, "since": before.isoformat()}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    reads = [json.loads(line) for line in response.text.splitlines()]
    assert [(r["role"], r["endpoint"]) for r in reads] == [
        ("caseworker", "GET /v1/cases/{case_id}"),
        ("auditor", "GET /v1/cases/{case_id}/audit"),
        ("hr_manager", "GET /v1/cases/{case_id}/timeline"),
    ]
    assert all(r["case_id"] == case_id and r["user_id"].startswith("u_") for r in reads)
    for role in ("caseworker", "hr_manager", "admin"):
        assert (await api.as_(role).get("/v1/audit/access")).status_code == 403


async def test_a_staff_read_of_a_case_that_does_not_exist_is_not_in_the_access_log(
    api: Api,
) -> None:
    # Staff reads are read and recorded in one statement (store.cases): only a case found is.
    missing = "EX-" + secrets.token_hex(5).upper()
    response = await api.as_("caseworker").get(f"/v1/cases/{missing}")
    assert response.status_code == 404
    logged = await api.as_("auditor").get("/v1/audit/access", params={"case_id": missing})
    assert logged.status_code == 200
    assert logged.text == ""
