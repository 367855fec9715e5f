"""The scheme as a whole (issue 17): its window, monthly caps, budget, invitations and report.

Each test has a database of its own: a scheme in force changes what every new case meets.
Figures in the report are checked against counts made here, independently, from the cases
as the API shows them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.officer import Rank
from domain.people import Actor, Role
from domain.scheme import InvitationProgress, RunFigures
from service.schemes import invitations_workflow_id
from store import schemes
from store.officers import upsert_officers
from tests.helpers.api import API_POLICY, Api, User, add_user
from tests.helpers.cases import left_the_force
from tests.helpers.officers import officer as officer_record
from tests.helpers.temporal import save_history


def scheme(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": "ves-2026",
        "policy_version": API_POLICY.version,
        "application_opens": "2000-01-01",
        "application_closes": "2099-12-31",
        "budget": "10000000.00",
    }
    return document | overrides


async def add_scheme(api: Api, **overrides: Any) -> dict[str, Any]:
    response = await api.as_("admin").post("/v1/schemes", json=scheme(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def new_officer(api: Api, **overrides: Any) -> User:
    record = officer_record(**overrides)
    await upsert_officers(api.stack.pool, [record])
    return await add_user(api.stack.pool, "Officer", Role.OFFICER, officer_id=record.officer_id)


async def test_applications_outside_the_window_are_refused_naming_it(scheme_api: Api) -> None:
    api = scheme_api
    await add_scheme(api, application_opens="2000-01-01", application_closes="2001-12-31")
    officer = await new_officer(api)
    response = await api.as_("caseworker").post(
        "/v1/cases", json={"officer_id": officer.officer_id}
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"] == "/problems/outside-application-window"
    assert "from 2000-01-01 to 2001-12-31" in problem["detail"]
    assert await api.stack.pool.fetchval("SELECT count(*) FROM cases") == 0

    # A new version reopens the window: the case opens, under the scheme and its policy.
    version = await add_scheme(api)
    assert version["version"] == 2
    case = await api.open(officer)
    assert case["policy_version"] == API_POLICY.version
    linked = await api.stack.pool.fetchval(
        "SELECT scheme FROM scheme_cases WHERE case_id = $1", case["case_id"]
    )
    assert linked == "ves-2026"


async def to_offer(api: Api, officer: User) -> str:
    case_id = await api.to_approval(officer)
    await api.approve_all(case_id)
    return case_id


async def test_a_month_at_its_cap_refuses_the_next_leaver_naming_months_with_room(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api, monthly_caps={"superintendent": 1})
    first, second, inspector = (
        await new_officer(api),
        await new_officer(api),
        await new_officer(api, rank=Rank.CHIEF_INSPECTOR),
    )
    cases = [await to_offer(api, o) for o in (first, second, inspector)]
    # The notice window: one to three months after acceptance today.
    month = date.today().replace(day=1) + timedelta(days=62)
    in_month, next_month = month.replace(day=10), (month + timedelta(days=31)).replace(day=5)

    await api.act(cases[0], "accept-offer", first, leaving_date=in_month.isoformat())
    refused = await api.act(
        cases[1], "accept-offer", second, expect=409, leaving_date=in_month.isoformat()
    )
    assert refused["type"] == "/problems/leavers-cap-reached"
    named = f"{in_month:%Y-%m} already has 1 superintendent leaver(s)"
    assert named in refused["detail"]
    assert f"months with room: {next_month:%Y-%m}" in refused["detail"]
    assert (await api.get(cases[1]))["state"] == "offer_made"

    # Another rank has no cap; the next month has room.
    await api.act(cases[2], "accept-offer", inspector, leaving_date=in_month.isoformat())
    await api.act(cases[1], "accept-offer", second, leaving_date=next_month.isoformat())

    # Moving the first leaver into the full next month is refused the same way.
    refused = await api.act(
        cases[0],
        "change-leaving-date",
        "caseworker",
        expect=409,
        leaving_date=next_month.replace(day=20).isoformat(),
        reason="asked to",
    )
    assert f"{next_month:%Y-%m} already has 1" in refused["detail"]


async def test_an_approval_over_budget_needs_the_executive_with_a_reason(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api, budget="150000.00")
    first, second = await new_officer(api), await new_officer(api)
    offered = await api.get(await to_offer(api, first))
    assert offered["required_tiers"] == ["hr", "finance"]
    assert offered["budget_warning"] is None

    case_id = await api.to_approval(second)
    case = await api.get(case_id)
    # Two tiers for the amount alone; over the budget with the first offer, the executive too.
    assert case["required_tiers"] == ["hr", "finance", "executive"]
    assert "over its budget of 150000.00" in case["budget_warning"]
    await api.act(case_id, "approve", "approver_hr")
    await api.act(case_id, "approve", "approver_finance")
    refused = await api.act(case_id, "approve", "approver_executive", expect=422)
    assert "approve with a reason" in refused["detail"]
    case = await api.act(
        case_id, "approve", "approver_executive", reason="two districts merge; agreed by board"
    )
    assert case["state"] == "offer_made"
    await save_history(api.stack.client.get_workflow_handle(case_id), "over_budget_executive")
    recorded = await api.stack.pool.fetchrow(
        """SELECT reason, details FROM audit_events
           WHERE case_id = $1 AND action = 'approve' ORDER BY seq DESC LIMIT 1""",
        case_id,
    )
    assert recorded["reason"] == "two districts merge; agreed by board"
    review = await api.stack.pool.fetchval(
        "SELECT details FROM audit_events WHERE case_id = $1 AND action = 'review'", case_id
    )
    assert "budget_warning" in review


async def test_the_report_counts_what_the_cases_show_and_only_managers_and_auditors_see_it(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api, monthly_caps={"superintendent": 5})
    officers = [await new_officer(api) for _ in range(4)]
    in_review = await api.to_hr_review(officers[0])
    offered = await to_offer(api, officers[1])
    accepted = await to_offer(api, officers[2])
    leaving = (date.today().replace(day=1) + timedelta(days=62)).replace(day=12)
    await api.act(accepted, "accept-offer", officers[2], leaving_date=leaving.isoformat())
    adjusted = await api.to_approval(officers[3])
    await api.act(adjusted, "adjust-compensation", "caseworker", amount="99999.99", reason="r")
    await api.approve_all(adjusted)

    response = await api.as_("caseworker").get("/v1/reports/scheme")
    assert response.status_code == 403
    response = await api.as_("hr_manager").get("/v1/reports/scheme")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (await api.as_("auditor").get("/v1/reports/scheme?scheme=ves-2026")).status_code == 200

    views = [await api.get(c, "auditor") for c in (in_review, offered, accepted, adjusted)]
    by_state = Counter((v["kind"], v["state"]) for v in views)
    assert {(r["kind"], r["state"]): r["cases"] for r in report["cases_by_state_and_kind"]} == (
        by_state
    )
    offer_of = {v["case_id"]: Decimal(v["offer"]["amount"]) for v in views if v["offer"]}
    accepted_view = next(v for v in views if v["case_id"] == accepted)
    budget = report["budget"]
    committed = Decimal(accepted_view["calculation"]["amount"])
    assert Decimal(budget["offered"]) == offer_of[offered] + offer_of[adjusted]
    assert Decimal(budget["committed"]) == committed
    assert Decimal(budget["paid"]) == 0
    assert Decimal(budget["remaining"]) == (
        Decimal("10000000.00") - offer_of[offered] - offer_of[adjusted] - committed
    )
    adjusted_view = next(v for v in views if v["case_id"] == adjusted)
    entitlement = Decimal(adjusted_view["calculation"]["amount"])
    assert budget["special_severance"] == [
        {
            "case_id": adjusted,
            "state": "offer_made",
            "amount": "99999.99",
            "entitlement": str(entitlement),
            "above_entitlement": str(Decimal("99999.99") - entitlement),
        }
    ]
    assert report["leavers_by_month"] == [
        {
            "month": f"{leaving:%Y-%m}",
            "rank": "superintendent",
            "leavers": 1,
            "cap": 5,
            "room": 4,
        }
    ]
    logged = await api.stack.pool.fetch(
        "SELECT role, endpoint FROM access_log WHERE case_id = 'scheme:ves-2026' ORDER BY at"
    )
    assert [(r["role"], r["endpoint"]) for r in logged] == [
        ("hr_manager", "GET /v1/reports/scheme"),
        ("auditor", "GET /v1/reports/scheme"),
    ]


async def test_inviting_the_cohort_invites_each_officer_once_however_many_runs(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api)
    ranks = [Rank.CHIEF_INSPECTOR, Rank.SUPERINTENDENT, Rank.CHIEF_SUPERINTENDENT, Rank.INSPECTOR]
    roster = [officer_record(officer_id=f"INV{n:04d}", rank=ranks[n % 4]) for n in range(120)]
    await upsert_officers(api.stack.pool, roster)
    # A chief inspector whose exit was completed: still on the roster until HR's next import,
    # but gone, so never invited.
    gone = roster[0]
    await left_the_force(api.stack.pool, gone.officer_id, gone.rank)
    expected = {o.officer_id for o in roster if o.rank is not Rank.INSPECTOR} - {gone.officer_id}
    superintendents = {o.officer_id for o in roster if o.rank is Rank.SUPERINTENDENT}

    runs = []
    for key, body in (("first-run", {"ranks": ["superintendent"]}), ("second-run", {})):
        response = await api.as_("hr_manager").post(
            "/v1/schemes/ves-2026/invitations", json=body, headers={"Idempotency-Key": key}
        )
        assert response.status_code == 202, response.text
        runs.append(response.headers["Location"])
        progress = await finished(api, response.headers["Location"])
        assert progress["processed"] == progress["total"]
    first, second = [(await api.as_("auditor").get(r)).json() for r in runs]
    assert (first["total"], first["invited"]) == (len(superintendents), len(superintendents))
    # Inspectors are not eligible under the policy; the superintendents were invited already.
    assert (second["total"], second["invited"]) == (len(expected), len(expected - superintendents))
    inspectors = [o for o in roster if o.rank is Rank.INSPECTOR]
    assert (second["skipped"], second["not_eligible"]) == (len(superintendents), len(inspectors))
    assert first["state"] == second["state"] == "completed"
    listed = (await api.as_("auditor").get("/v1/schemes/ves-2026/invitations")).json()
    assert [r["run_id"] for r in listed] == [second["run_id"], first["run_id"]]
    assert [r["ranks"] for r in listed] == [[r.value for r in Rank], ["superintendent"]]

    # Sent again with its key, the second request names the same run and starts none.
    again = await api.as_("hr_manager").post(
        "/v1/schemes/ves-2026/invitations", json={}, headers={"Idempotency-Key": "second-run"}
    )
    assert (again.status_code, again.headers["Location"]) == (202, runs[1])
    invited = await api.stack.pool.fetch("SELECT officer_id FROM scheme_invitations")
    assert sorted(r["officer_id"] for r in invited) == sorted(expected)
    # Two runs, two events in the scheme's audit chain: the double submit added none.
    started = await api.stack.pool.fetch(
        "SELECT seq, actor_user_id, actor_role, details FROM audit_events "
        "WHERE case_id = 'scheme:ves-2026' ORDER BY seq"
    )
    hr_manager = api.staff["hr_manager"].user_id
    assert [(e["seq"], e["actor_user_id"], e["actor_role"]) for e in started] == [
        (1, hr_manager, "hr_manager"),
        (2, hr_manager, "hr_manager"),
    ]
    assert [e["details"] for e in started] == [
        {"run_id": first["run_id"], "ranks": ["superintendent"]},
        {"run_id": second["run_id"], "ranks": [r.value for r in Rank]},
    ]
    notices = await api.stack.pool.fetch(
        "SELECT recipient_officer_id FROM notifications WHERE template = 'invitation'"
    )
    assert sorted(r["recipient_officer_id"] for r in notices) == sorted(expected)


async def finished(api: Api, location: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            response = await api.as_("hr_manager").get(location)
            assert response.status_code == 200, response.text
            progress = response.json()
            if progress["status"] in {"waiting_to_remind", "done"}:
                return progress
            await asyncio.sleep(0.1)


async def test_invited_officers_who_have_not_applied_are_reminded_before_the_window_closes(
    scheme_api: Api,
) -> None:
    api = scheme_api
    # Closing in two days: the policy's five working days before it have begun already.
    closes = date.today() + timedelta(days=2)
    await add_scheme(api, application_closes=closes.isoformat())
    roster = [officer_record(officer_id=f"REM{n:03d}") for n in range(5)]
    await upsert_officers(api.stack.pool, roster)
    applicant = await add_user(api.stack.pool, "Applicant", Role.OFFICER, officer_id="REM000")
    await api.open(applicant)

    response = await api.as_("hr_manager").post("/v1/schemes/ves-2026/invitations", json={})
    assert response.status_code == 202, response.text
    async with asyncio.timeout(30):
        while (progress := (await api.as_("hr_manager").get(response.headers["Location"])).json())[
            "status"
        ] != "done":
            await asyncio.sleep(0.1)
    assert (progress["invited"], progress["reminded"]) == (5, 4)
    run = invitations_workflow_id("ves-2026", progress["run_id"])
    await save_history(api.stack.client.get_workflow_handle(run), "scheme_invitations_figures")
    reminded = await api.stack.pool.fetch(
        "SELECT recipient_officer_id, subject FROM notifications "
        "WHERE template = 'invitation_reminder' ORDER BY recipient_officer_id"
    )
    assert [r["recipient_officer_id"] for r in reminded] == [f"REM{n:03d}" for n in range(1, 5)]
    assert str(closes) in reminded[0]["subject"]
    stored = await api.stack.pool.fetchrow(
        "SELECT state, status, total, processed, invited, skipped, not_eligible, failed, "
        "reminded, finished_at FROM scheme_invitation_runs WHERE run_id = $1",
        progress["run_id"],
    )
    assert stored is not None and stored["finished_at"] is not None
    assert dict(stored) | {"finished_at": None} == {
        "state": "completed",
        "status": "done",
        "total": 5,
        "processed": 5,
        "invited": 5,
        "skipped": 0,
        "not_eligible": 0,
        "failed": 0,
        "reminded": 4,
        "finished_at": None,
    }


async def test_a_run_temporal_no_longer_keeps_shows_the_figures_it_recorded(
    scheme_api: Api,
) -> None:
    """A run past the namespace's retention: its row and figures, no workflow of that id."""
    api = scheme_api
    await add_scheme(api)
    pool = api.stack.pool
    manager = Actor(user_id=api.staff["hr_manager"].user_id, role=Role.HR_MANAGER)
    for run_id, status in (("gone0000", "done"), ("gone0001", "waiting_to_remind")):
        await schemes.record_run(pool, "ves-2026", run_id, [Rank.SUPERINTENDENT], manager)
        progress = InvitationProgress(
            scheme="ves-2026",
            run_id=run_id,
            status=status,
            total=40,
            processed=40,
            invited=31,
            not_eligible=2,
            reminder_day=date(2099, 12, 1),
            reminded=7 if status == "done" else 0,
        )
        await schemes.record_figures(
            pool, RunFigures(progress=progress, finished_at=datetime.now(UTC))
        )
    # A run that recorded no figures before Temporal dropped it shows only what is known.
    await schemes.record_run(pool, "ves-2026", "gone0002", [Rank.SUPERINTENDENT], manager)

    run = await api.as_("auditor").get("/v1/schemes/ves-2026/invitations/gone0001")
    assert run.status_code == 200, run.text
    assert {k: run.json()[k] for k in ("state", "status", "invited", "skipped", "failed")} == {
        "state": "completed",
        "status": "waiting_to_remind",
        "invited": 31,
        "skipped": 9,
        "failed": 0,
    }
    listed = (await api.as_("auditor").get("/v1/schemes/ves-2026/invitations")).json()
    assert sorted((r["run_id"], r["state"], r["reminded"], r["started_by"]) for r in listed) == [
        ("gone0000", "completed", 7, manager.user_id),
        ("gone0001", "completed", 0, manager.user_id),
        ("gone0002", "unknown", 0, manager.user_id),
    ]
    unknown = (await api.as_("auditor").get("/v1/schemes/ves-2026/invitations/gone0002")).json()
    assert (unknown["state"], unknown["total"], unknown["invited"]) == ("unknown", None, 0)
    missing = await api.as_("auditor").get("/v1/schemes/ves-2026/invitations/gone9999")
    assert missing.status_code == 404, missing.text


async def test_a_scheme_is_refused_naming_the_field_and_only_admins_add_one(
    scheme_api: Api,
) -> None:
    api = scheme_api
    cases = [
        (scheme(budget="99999999999.00"), "body.budget"),
        (scheme(application_closes="9999-12-31"), "body.application_closes"),
        (scheme(monthly_caps={"superintendent": 0}), "body.monthly_caps.superintendent"),
    ]
    for document, field in cases:
        response = await api.as_("admin").post("/v1/schemes", json=document)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    response = await api.as_("admin").post("/v1/schemes", json=scheme(policy_version="nope"))
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/unknown-policy"
    assert (await api.as_("hr_manager").post("/v1/schemes", json=scheme())).status_code == 403
    assert (await api.as_("admin").get("/v1/schemes")).json() == []


async def test_the_dashboard_page_shows_the_report_to_managers_only_and_logs_each_view(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api, budget="250000.00", monthly_caps={"superintendent": 3})
    officer = await new_officer(api)
    case_id = await to_offer(api, officer)
    offered = Decimal((await api.get(case_id))["offer"]["amount"])
    pages = {}
    for role in ("hr_manager", "caseworker"):
        async with api.stack.http() as browser:
            signed = await browser.post("/sign-in", data={"token": api.staff[role].token})
            assert signed.status_code == 303, signed.text
            pages[role] = await browser.get("/scheme")
    assert pages["caseworker"].status_code == 403
    page = pages["hr_manager"]
    assert page.status_code == 200, page.text
    assert 'href="/scheme"' in page.text  # in the HR manager's menu
    assert f"£{offered:,.2f}" in page.text
    assert f"£{Decimal('250000.00') - offered:,.2f}" in page.text
    logged = await api.stack.pool.fetch(
        "SELECT role, endpoint FROM access_log WHERE case_id = 'scheme:ves-2026'"
    )
    assert [(r["role"], r["endpoint"]) for r in logged] == [("hr_manager", "GET /scheme")]
