"""Activities run twice write once; the notifier delivers to a real (local) SMTP server."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.notifier import Notifier
from config.settings import Settings
from domain.case import Application, CaseView
from domain.lifecycle import CaseKind, CaseState
from domain.officer import Rank
from domain.people import Role
from domain.records import AuditEntry, CaseEvent, ExitInstruction, Notice, Recipient
from tests.helpers.cases import CASEWORKER
from tests.helpers.mail import Inbox, deliver_pending_without_mail
from tests.helpers.processes import free_port


def event(case_id: str, seq: int = 1) -> CaseEvent:
    now = datetime.now(UTC)
    view = CaseView(
        case_id=case_id,
        kind=CaseKind.VOLUNTARY_EXIT,
        state=CaseState.SUBMITTED,
        policy_version="test",
        officer_id="OF-ACT",
        rank=Rank.SUPERINTENDENT,
        created_by=CASEWORKER,
        created_at=now,
        updated_at=now,
        version=seq,
        application=Application(),
    )
    return CaseEvent(
        view=view,
        audit=AuditEntry(
            seq=seq,
            action="submit",
            actor=CASEWORKER,
            from_state=None,
            to_state=CaseState.SUBMITTED,
            occurred_at=now,
        ),
        notices=[
            Notice(
                recipient=Recipient(role=Role.CASEWORKER),
                template="review_due",
                subject=f"Exit case {case_id}: new case to review",
                body="A new case.",
            )
        ],
    )


async def test_record_event_twice_writes_one_audit_event_and_one_notice(pool: asyncpg.Pool) -> None:
    case_id = f"EX-TWICE{secrets.token_hex(3)}"
    activities = CaseActivities(pool)
    env = ActivityEnvironment()
    first = event(case_id)
    await env.run(activities.record_event, first)
    await env.run(activities.record_event, first)
    assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE case_id = $1", case_id) == 1
    assert (
        await pool.fetchval("SELECT count(*) FROM notifications WHERE case_id = $1", case_id) == 1
    )


async def test_an_older_event_never_overwrites_a_newer_view(pool: asyncpg.Pool) -> None:
    case_id = f"EX-ORDER{secrets.token_hex(3)}"
    activities = CaseActivities(pool)
    newer = event(case_id, seq=2)
    newer.view.state = CaseState.HR_REVIEW
    # The chain needs its predecessor: an early event is refused whole, and its retry lands.
    with pytest.raises(RuntimeError, match="arrived before event 1"):
        await ActivityEnvironment().run(activities.record_event, newer)
    assert await pool.fetchval("SELECT count(*) FROM cases WHERE case_id = $1", case_id) == 0
    await ActivityEnvironment().run(activities.record_event, event(case_id, seq=1))
    await ActivityEnvironment().run(activities.record_event, newer)
    # A late retry of the first event changes nothing.
    await ActivityEnvironment().run(activities.record_event, event(case_id, seq=1))
    assert await pool.fetchval("SELECT state FROM cases WHERE case_id = $1", case_id) == "hr_review"
    assert await pool.fetchval("SELECT count(*) FROM audit_events WHERE case_id = $1", case_id) == 2


async def test_payroll_hand_off_twice_records_one_instruction(pool: asyncpg.Pool) -> None:
    case_id = f"EX-PAY{secrets.token_hex(3)}"
    activities = CaseActivities(pool)
    instruction = ExitInstruction(case_id=case_id, kind="payroll", payload={"compensation": "1.00"})
    await ActivityEnvironment().run(activities.hand_off_exit, instruction)
    await ActivityEnvironment().run(activities.hand_off_exit, instruction)
    rows = await pool.fetch("SELECT kind FROM exit_instructions WHERE case_id = $1", case_id)
    assert [r["kind"] for r in rows] == ["payroll"]


@pytest.mark.slow
async def test_notifier_delivers_through_smtp_once(pool: asyncpg.Pool) -> None:
    await deliver_pending_without_mail(pool)
    case_id = f"EX-MAIL{secrets.token_hex(3)}"
    tier = secrets.token_hex(2)
    await pool.execute(
        "INSERT INTO users (user_id, name, role, email, token_hash)"
        " VALUES ($1, 'C', 'caseworker', $2, $3)",
        f"u_mail{tier}",
        f"caseworker{tier}@force.example",
        secrets.token_hex(16),
    )
    await ActivityEnvironment().run(CaseActivities(pool).record_event, event(case_id))
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        notifier = Notifier(pool, Settings(smtp_host="127.0.0.1", smtp_port=port))
        assert await notifier.deliver_once() >= 1
        assert await notifier.deliver_once() == 0
        await asyncio.sleep(0)
    finally:
        controller.stop()
    mine = [m for m in inbox.messages if case_id in m[1]]
    assert len(mine) == 1
    assert f"caseworker{tier}@force.example" in mine[0][0]
    sent = await pool.fetchval("SELECT sent_at FROM notifications WHERE case_id = $1", case_id)
    assert sent is not None
