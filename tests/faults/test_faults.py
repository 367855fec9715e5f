"""Crashes, restarts and outages in the middle of cases: nothing lost, nothing done twice.

Each test is bounded: the slowest waits out one activity's start-to-close timeout (30 s), the
time Temporal takes to notice that a killed worker's activity will never report back.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from api import health
from api.v1 import install_api
from domain.case import Application, CaseView
from domain.clock import local_date
from domain.commands import COMMANDS
from domain.lifecycle import Action, CaseKind, CaseState
from domain.officer import Officer, PensionScheme, Rank
from domain.people import Actor, Role, Tier
from service.cases import act, open_case
from store.officers import upsert_officers
from store.pool import create_pool
from tests.helpers.faults import (
    FAST_POLICY,
    Rig,
    assert_recorded_exactly_once,
    wait_for_a_blocked_write,
)

CASEWORKER = Actor(user_id="u_cw_faults", role=Role.CASEWORKER)
HR_APPROVER = Actor(user_id="u_hr_faults", role=Role.APPROVER, tier=Tier.HR)


async def new_case(rig: Rig, officer_id: str) -> str:
    subject = Officer(
        officer_id=officer_id,
        name="Fault Tolerant",
        rank=Rank.SUPERINTENDENT,
        date_of_birth="1975-01-01",
        service_start="2001-01-01",
        annual_pay="30000.00",  # one approval tier
        pension_scheme=PensionScheme.P2015,
    )
    await upsert_officers(rig.pool, [subject])
    view = await open_case(
        rig.pool,
        rig.client,
        rig.settings,
        officer_id=officer_id,
        kind=CaseKind.VOLUNTARY_EXIT,
        application=Application(),
        actor=CASEWORKER,
        policy=FAST_POLICY,
    )
    return view.case_id


async def do(rig: Rig, case_id: str, action: Action, actor: Actor, **body: object) -> CaseView:
    command = COMMANDS[action].model_validate({"actor": actor, **body})
    return await act(rig.client, rig.pool, case_id, action, command)


async def view(rig: Rig, case_id: str) -> CaseView:
    return await rig.client.get_workflow_handle(case_id).query("case", result_type=CaseView)


async def wait_for(rig: Rig, case_id: str, state: CaseState, within: float = 90) -> CaseView:
    async with asyncio.timeout(within):
        while (current := await view(rig, case_id)).state is not state:
            await asyncio.sleep(0.2)
    return current


async def to_accepted(rig: Rig, case_id: str, officer_id: str) -> None:
    await wait_for(rig, case_id, CaseState.HR_REVIEW)
    await do(rig, case_id, Action.REVIEW, CASEWORKER, decision="proceed")
    await do(rig, case_id, Action.APPROVE, HR_APPROVER)
    officer = Actor(user_id=f"u_{officer_id}", role=Role.OFFICER, officer_id=officer_id)
    today = local_date(datetime.now(UTC))
    await do(rig, case_id, Action.ACCEPT_OFFER, officer, leaving_date=today.isoformat())


async def finish(rig: Rig, case_id: str) -> None:
    await wait_for(rig, case_id, CaseState.EXIT_PROCESSING)
    async with asyncio.timeout(30):
        while len((await view(rig, case_id)).checklist) < 2:
            await asyncio.sleep(0.2)
    for item in ("access_revocation", "equipment_return"):
        await do(rig, case_id, Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item=item)
    result = await rig.client.get_workflow_handle(case_id).result()
    assert result["state"] == "completed"
    instructions = await rig.pool.fetch(
        "SELECT kind FROM exit_instructions WHERE case_id = $1 ORDER BY kind", case_id
    )
    assert [r["kind"] for r in instructions] == ["payroll", "pension"]


async def test_a_killed_worker_loses_nothing_on_a_timer_or_in_an_activity(rig: Rig) -> None:
    first = rig.workers.start()
    case_id = await new_case(rig, "FLT-KILL")
    await to_accepted(rig, case_id, "FLT-KILL")
    # Waiting out cooling-off on a timer: the worker dies.
    rig.workers.kill(first)

    # The next worker picks the timer up and records its transition, which a lock on the read
    # model holds in mid-activity; that worker dies there too.
    async with rig.pool.acquire() as blocker:
        transaction = blocker.transaction()
        await transaction.start()
        try:
            await blocker.execute("LOCK TABLE cases IN EXCLUSIVE MODE")
            second = rig.workers.start()
            await wait_for_a_blocked_write(rig, "INSERT INTO cases")
            rig.workers.kill(second)
        finally:
            await transaction.rollback()

    rig.workers.start()
    await finish(rig, case_id)
    await assert_recorded_exactly_once(rig, case_id)


async def test_the_case_resumes_after_the_temporal_server_restarts(rig: Rig) -> None:
    rig.workers.start()
    case_id = await new_case(rig, "FLT-RESTART")
    await wait_for(rig, case_id, CaseState.HR_REVIEW)
    rig.server.stop()
    await rig.server.start()  # the same file: the case is still there
    await do(rig, case_id, Action.REVIEW, CASEWORKER, decision="proceed")
    await do(rig, case_id, Action.APPROVE, HR_APPROVER)
    officer = Actor(user_id="u_flt", role=Role.OFFICER, officer_id="FLT-RESTART")
    await do(rig, case_id, Action.ACCEPT_OFFER, officer)
    await finish(rig, case_id)
    await assert_recorded_exactly_once(rig, case_id)


async def test_postgres_unreachable_retries_and_the_api_says_so(rig: Rig) -> None:
    rig.workers.start()
    case_id = await new_case(rig, "FLT-PG")
    await wait_for(rig, case_id, CaseState.HR_REVIEW)
    api_pool = await create_pool(rig.proxy.url, max_size=2)
    app = FastAPI()
    install_api(app)
    app.include_router(health.router)
    app.state.pool, app.state.temporal, app.state.settings = api_pool, rig.client, rig.settings
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")
    try:
        await rig.proxy.cut()
        # The review is accepted by the workflow; recording it waits for the database.
        review = asyncio.create_task(
            do(rig, case_id, Action.REVIEW, CASEWORKER, decision="proceed")
        )
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and "postgres" in ready.json()["detail"]
        write = await http.post(
            "/v1/cases", json={"officer_id": "FLT-PG"}, headers={"Authorization": "Bearer x"}
        )
        assert write.status_code == 503
        assert write.headers["content-type"] == "application/problem+json"
        assert "nothing was changed" in write.json()["detail"]
        await asyncio.sleep(4)  # several retries, backing off
        assert not review.done()
        await rig.proxy.open()
        async with asyncio.timeout(90):
            moved = await review
        assert moved.state is CaseState.APPROVAL
        assert (await http.get("/readyz")).status_code == 200
    finally:
        await http.aclose()
        await api_pool.close()
    await do(rig, case_id, Action.APPROVE, HR_APPROVER)
    officer = Actor(user_id="u_flt_pg", role=Role.OFFICER, officer_id="FLT-PG")
    await do(rig, case_id, Action.ACCEPT_OFFER, officer)
    await finish(rig, case_id)
    await assert_recorded_exactly_once(rig, case_id)
