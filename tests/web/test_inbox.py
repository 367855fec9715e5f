"""The inbox and the queue in-process: overdue work first with its badge, and who may open
each page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from domain.people import Role
from tests.helpers.api import Api, NewOfficer, User, add_user
from web.session import page_user


@asynccontextmanager
async def signed_in(api: Api, user: User) -> AsyncIterator[httpx.AsyncClient]:
    async with api.stack.http() as browser:
        signed = await browser.post("/sign-in", data={"token": user.token})
        assert signed.status_code == 303, signed.text
        yield browser


async def test_overdue_work_comes_first_with_its_badge(api: Api, new_officer: NewOfficer) -> None:
    caseworker = await add_user(api.stack.pool, "Inbox caseworker", Role.CASEWORKER)
    first = await api.to_hr_review(await new_officer())
    late = await api.to_hr_review(await new_officer())
    # Assigned by name to this caseworker (the inbox also holds every caseworker's unassigned
    # work, from other tests); one of them is late.
    await api.stack.pool.execute(
        "UPDATE tasks SET assignee_user_id = $1 WHERE case_id = ANY($2::text[])",
        caseworker.user_id,
        [first, late],
    )
    await api.stack.pool.execute(
        "UPDATE tasks SET due_at = now() - interval '1 day' WHERE case_id = $1", late
    )
    async with signed_in(api, caseworker) as browser:
        page = (await browser.get("/tasks")).text
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)[1:]
    at = {
        case_id: next(i for i, row in enumerate(rows) if case_id in row)
        for case_id in (first, late)
    }
    assert at[late] < at[first]
    # Overdue work leads, every row of it badged.
    assert all('moj-badge--red">Overdue' in row for row in rows[: at[late] + 1])
    assert "Overdue" not in rows[at[first]] and "On time" in rows[at[first]]


async def test_the_queue_is_for_approvers_and_the_inbox_for_staff(
    api: Api, staff: dict[str, User], new_officer: NewOfficer
) -> None:
    async with signed_in(api, staff["caseworker"]) as caseworker:
        refused = await caseworker.get("/approvals")
    assert refused.status_code == 403 and "for approvers" in refused.text
    waiting = await api.to_approval(await new_officer())
    # Due long ago, so it leads the queue whatever other tests left waiting in it.
    await api.stack.pool.execute(
        "UPDATE tasks SET due_at = now() - interval '300 days' WHERE case_id = $1", waiting
    )
    async with signed_in(api, staff["approver_hr"]) as approver:
        queue = await approver.get("/approvals")
        assert queue.status_code == 200 and "Cases waiting for the HR tier" in queue.text
        # Each row from the page's one read of its cases: the amount, the tiers needed.
        row = re.search(rf'href="/cases/{waiting}">.*?</tr>', queue.text, re.S)
        assert row and "£" in row.group(0) and "HR" in row.group(0), queue.text
        assert (await approver.get("/")).headers["location"] == "/approvals"
    officer = await new_officer()
    async with signed_in(api, officer) as browser:
        assert (await browser.get("/tasks")).status_code == 403
        assert (await browser.get("/")).headers["location"] == "/your-case"


async def test_a_database_that_cannot_be_reached_is_the_unavailable_page(api: Api) -> None:
    async def unreachable() -> None:
        raise ConnectionRefusedError

    api.stack.app.dependency_overrides[page_user] = unreachable
    try:
        async with api.stack.http() as browser:
            page = await browser.get("/tasks")
    finally:
        del api.stack.app.dependency_overrides[page_user]
    assert page.status_code == 503 and "Nothing was changed" in page.text


async def test_a_task_not_yet_due_reads_on_time_in_the_inbox_and_on_its_case(
    api: Api, new_officer: NewOfficer
) -> None:
    case_id = await api.to_hr_review(await new_officer())
    async with signed_in(api, api.staff["caseworker"]) as browser:
        inbox = (await browser.get("/tasks")).text
        case = (await browser.get(f"/cases/{case_id}")).text
    [row] = [r for r in re.findall(r"<tr.*?</tr>", inbox, re.DOTALL) if case_id in r]
    [tasks] = re.findall(r"Open tasks</caption>.*?</table>", case, re.DOTALL)
    for shown in (row, tasks):
        assert re.search(r"<td[^>]*>\s*On time\s*</td>", shown)
