"""The task list's query (``store.case_queries.list_tasks``): whose tasks, in what order, and
keyset pages that show each task once, against real PostgreSQL.

Each test works in a database of its own (other tests' tasks would be in the shared one's
inboxes) and in a transaction it rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest_asyncio

from domain.people import Role, Tier
from store.case_queries import TaskCursor, TaskItem, list_tasks, task_cursor
from tests.helpers.databases import scratch_database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def connection(postgres_server_url: str) -> AsyncIterator[asyncpg.Connection]:
    async with scratch_database(postgres_server_url, "exitcases_tasks") as url:
        lent = await asyncpg.connect(url)
        transaction = lent.transaction()
        await transaction.start()
        try:
            yield lent
        finally:
            await transaction.rollback()
            await lent.close()


async def add_case(connection: asyncpg.Connection, case_id: str, officer_id: str) -> None:
    await connection.execute(
        """INSERT INTO cases (case_id, kind, officer_id, rank, state, is_open, policy_version,
                              version, created_at, updated_at, view)
           VALUES ($1, 'voluntary_exit', $2, 'superintendent', 'hr_review', true, 'v1', 1,
                   $3, $3, '{}')""",
        case_id,
        officer_id,
        NOW,
    )


async def add_task(
    connection: asyncpg.Connection, case_id: str, kind: str, role: str, **fields: Any
) -> None:
    await connection.execute(
        """INSERT INTO tasks (case_id, kind, assignee_role, assignee_tier, assignee_user_id,
                              opened_at, due_at, escalated)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        case_id,
        kind,
        role,
        fields.get("tier"),
        fields.get("user_id"),
        NOW,
        fields.get("due_at"),
        fields.get("escalated", False),
    )


async def all_pages(connection: asyncpg.Connection, size: int, **who: Any) -> list[TaskItem]:
    seen: list[TaskItem] = []
    after: TaskCursor | None = None
    while True:
        # The transaction's connection answers ``fetch`` as the pool does.
        rows = await list_tasks(connection, limit=size, after=after, **who)
        seen += rows
        if len(rows) < size:
            return seen
        after = task_cursor(rows[-1])


CASEWORKER = {"user_id": "u_cw_me", "role": Role.CASEWORKER, "tier": None, "officer_id": None}


async def test_the_inbox_is_soonest_due_first_and_pages_show_each_task_once(
    connection: asyncpg.Connection,
) -> None:
    # Ties on the deadline (sorted then by case and task), undated work, overdue work, and
    # tasks that are someone else's: another caseworker's by name, another role's.
    due = [NOW - timedelta(days=3), NOW + timedelta(days=1), NOW - timedelta(days=3), None]
    for number, when in enumerate(due * 3):
        case_id = f"EX-TL{number:04d}"
        await add_case(connection, case_id, f"OFTL{number % 4}")
        await add_task(connection, case_id, "hr_review", "caseworker", due_at=when)
        await add_task(connection, case_id, "exit_checklist", "caseworker", due_at=when)
        await add_task(connection, case_id, "approval_hr", "approver", tier="hr", due_at=when)
        if number % 5 == 0:
            await add_task(connection, case_id, "provide_info", "caseworker", user_id="u_cw_other")
    await add_task(connection, "EX-TL0001", "provide_info", "hr_manager", user_id="u_cw_me")

    pages = await all_pages(connection, 5, **CASEWORKER)

    last = datetime.max.replace(tzinfo=UTC)
    expected = sorted(
        [
            (when or last, f"EX-TL{number:04d}", kind)
            for number, when in enumerate(due * 3)
            for kind in ("hr_review", "exit_checklist")
        ]
        + [(last, "EX-TL0001", "provide_info")],
    )
    assert [(t.due_at or last, t.case_id, t.kind) for t in pages] == expected
    assert [t.overdue for t in pages[:12]] == [True] * 12 and not pages[12].overdue
    assert all(t.case_kind == "voluntary_exit" and t.case_state == "hr_review" for t in pages)


async def test_scope_by_tier_by_officer_and_escalation(connection: asyncpg.Connection) -> None:
    for number in range(6):
        case_id = f"EX-TS{number:04d}"
        await add_case(connection, case_id, f"OFTS{number % 2}")
        await add_task(connection, case_id, "approval_hr", "approver", tier="hr")
        await add_task(connection, case_id, "approval_finance", "approver", tier="finance")
        await add_task(connection, case_id, "hr_review", "caseworker", escalated=number == 4)
        await add_task(connection, case_id, "respond_to_offer", "officer")

    finance = await all_pages(
        connection, 4, user_id="u_fin", role=Role.APPROVER, tier=Tier.FINANCE, officer_id=None
    )
    assert {t.kind for t in finance} == {"approval_finance"} and len(finance) == 6

    officer = await all_pages(
        connection, 2, user_id="u_off", role=Role.OFFICER, tier=None, officer_id="OFTS1"
    )
    assert [t.case_id for t in officer] == ["EX-TS0001", "EX-TS0003", "EX-TS0005"]

    escalated = await all_pages(
        connection,
        2,
        user_id="u_hrm",
        role=Role.HR_MANAGER,
        tier=None,
        officer_id=None,
        escalated_only=True,
    )
    assert [(t.case_id, t.kind) for t in escalated] == [("EX-TS0004", "hr_review")]
