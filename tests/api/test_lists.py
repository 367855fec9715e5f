"""Case lists and task inboxes: filters, keyset pages, and correctness while cases move."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from domain.officer import Rank
from domain.people import Role, Tier
from domain.policy import Deadline, ServiceLevel
from store.officers import upsert_officers
from store.policies import add_policy
from tests.helpers.api import API_POLICY, Api, NewOfficer, Stack, add_user
from tests.helpers.officers import officer as officer_record


async def _pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[list[dict]]:
    pages: list[list[dict]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_keyset_pages_filter_and_stay_correct_while_cases_move(
    api: Api, new_officer: NewOfficer
) -> None:
    # Chief inspectors are this test's own: no other test opens cases for that rank.
    officers = [await new_officer(rank=Rank.CHIEF_INSPECTOR) for _ in range(7)]
    opened = [await api.open(o) for o in officers]
    for case in opened:
        await api.wait_for(case["case_id"], "hr_review")
    newest_first = [c["case_id"] for c in reversed(opened)]
    client = api.as_("caseworker")

    pages = await _pages(client, "/v1/cases", rank="chief_inspector", limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [c["case_id"] for p in pages for c in p] == newest_first

    # Page one, then cases move (one on page one, one on page two), then the rest.
    first = await client.get("/v1/cases", params={"rank": "chief_inspector", "limit": 3})
    moved_on_page_two = newest_first[4]
    await api.act(moved_on_page_two, "withdraw", "caseworker", reason="moved while paging")
    await api.act(newest_first[0], "withdraw", "caseworker", reason="moved while paging")
    rest = await _pages(
        client,
        "/v1/cases",
        rank="chief_inspector",
        limit=3,
        cursor=first.json()["next_cursor"],
    )
    seen = [c["case_id"] for c in first.json()["items"]] + [c["case_id"] for p in rest for c in p]
    assert seen == newest_first  # nothing twice, nothing skipped
    moved = next(c for p in rest for c in p if c["case_id"] == moved_on_page_two)
    assert moved["state"] == "withdrawn"  # shown as it is when its page is read

    withdrawn = await _pages(client, "/v1/cases", rank="chief_inspector", state="withdrawn")
    assert {c["case_id"] for p in withdrawn for c in p} == {newest_first[0], moved_on_page_two}
    kinds = await client.get(
        "/v1/cases", params={"rank": "chief_inspector", "kind": "efficiency_retirement"}
    )
    assert kinds.json() == {"items": [], "next_cursor": None}


async def test_officers_list_only_their_own_cases(api: Api, new_officer: NewOfficer) -> None:
    officer, other = await new_officer(), await new_officer()
    mine = await api.open(officer)
    await api.open(other)
    response = await api.as_(officer).get("/v1/cases")
    assert [c["case_id"] for c in response.json()["items"]] == [mine["case_id"]]


async def test_a_cursor_out_of_its_pattern_is_a_422_naming_the_parameter(api: Api) -> None:
    response = await api.as_("caseworker").get("/v1/cases", params={"cursor": "not a cursor"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"]
    # Any cursor that fits the documented pattern is a position in the list, even one far
    # beyond the last time there is: the whole list is after it.
    for cursor in ("0.EX-0000000000", "999999999999999999.zzz"):
        page = await api.as_("caseworker").get("/v1/cases", params={"cursor": cursor})
        assert page.status_code == 200, page.text
    tasks = await api.as_("caseworker").get("/v1/tasks", params={"cursor": "1.EX-0000000000"})
    assert tasks.status_code == 422  # a task's cursor has three parts
    limit = await api.as_("caseworker").get("/v1/cases", params={"limit": 0})
    assert limit.status_code == 422
    assert limit.json()["errors"][0]["field"] == "query.limit"


async def test_tasks_are_the_callers_by_role_and_tier(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)

    async def task_cases(who: str) -> dict[str, str]:
        pages = await _pages(api.as_(who), "/v1/tasks", limit=200)
        return {t["case_id"]: t["kind"] for p in pages for t in p}

    assert (await task_cases("caseworker"))[case_id] == "hr_review"
    assert case_id not in await task_cases("approver_hr")
    await api.act(case_id, "review", "caseworker", decision="proceed")
    assert case_id not in await task_cases("caseworker")
    assert (await task_cases("approver_hr"))[case_id] == "approval_hr"
    assert case_id not in await task_cases("approver_finance")
    await api.act(case_id, "approve", "approver_hr")
    assert case_id not in await task_cases("approver_hr")
    assert (await task_cases("approver_finance"))[case_id] == "approval_finance"
    assert await task_cases("auditor") == {}


# A policy whose HR review falls overdue a second after it opens.
FAST_POLICY = API_POLICY.model_copy(
    update={
        "version": "api-fast-sla",
        "hr_review_sla": ServiceLevel(
            reminder=Deadline(after="PT1S"), escalation=Deadline(after="PT2S")
        ),
    }
)


async def test_overdue_work_is_flagged_and_filtered(isolated_stack: Stack) -> None:
    stack = isolated_stack
    await add_policy(stack.pool, API_POLICY, "test")
    caseworker = await add_user(stack.pool, "cw", Role.CASEWORKER)
    manager = await add_user(stack.pool, "mgr", Role.HR_MANAGER)
    approver = await add_user(stack.pool, "apr", Role.APPROVER, Tier.HR)
    on_time_officer, late_officer = officer_record(), officer_record()
    await upsert_officers(stack.pool, [on_time_officer, late_officer])
    async with stack.http(caseworker.token) as client:
        on_time = (
            await client.post("/v1/cases", json={"officer_id": on_time_officer.officer_id})
        ).json()
        await add_policy(stack.pool, FAST_POLICY, "test")
        late = (await client.post("/v1/cases", json={"officer_id": late_officer.officer_id})).json()
        assert late["policy_version"] == "api-fast-sla"
        async with asyncio.timeout(15):
            while True:
                tasks = (await client.get("/v1/tasks")).json()["items"]
                if any(t["case_id"] == late["case_id"] and t["overdue"] for t in tasks):
                    break
                await asyncio.sleep(0.2)
        # Soonest due first: the late case's two-second deadline before the other's ten days.
        assert [t["case_id"] for t in tasks] == [late["case_id"], on_time["case_id"]]
        assert [t["overdue"] for t in tasks] == [True, False]
        overdue = (await client.get("/v1/cases", params={"overdue": "true"})).json()["items"]
        assert [c["case_id"] for c in overdue] == [late["case_id"]]
        assert overdue[0]["overdue"] is True
        not_overdue = (await client.get("/v1/cases", params={"overdue": "false"})).json()
        assert [c["case_id"] for c in not_overdue["items"]] == [on_time["case_id"]]
    # Escalations come to HR managers: the escalated task shows in their inbox.
    async with stack.http(manager.token) as client:
        async with asyncio.timeout(15):
            while not (items := (await client.get("/v1/tasks")).json()["items"]):
                await asyncio.sleep(0.2)
        assert [(t["case_id"], t["escalated"]) for t in items] == [(late["case_id"], True)]
    async with stack.http(approver.token) as client:
        assert (await client.get("/v1/tasks")).json()["items"] == []
