"""Outbox tables: notifications waiting for delivery and hand-offs to payroll and pensions."""

from __future__ import annotations

from typing import Any

import asyncpg
from pydantic import BaseModel

from domain.records import ExitInstruction
from store.pool import Connection


async def record_exit_instruction(
    executor: asyncpg.Pool | Connection, instruction: ExitInstruction
) -> bool:
    """Record the hand-off once; a second call for the same case and kind changes nothing."""
    inserted = await executor.fetchval(
        """INSERT INTO exit_instructions (case_id, kind, payload) VALUES ($1, $2, $3)
           ON CONFLICT (case_id, kind) DO NOTHING RETURNING true""",
        instruction.case_id,
        instruction.kind,
        instruction.payload,
    )
    return bool(inserted)


class PendingNotification(BaseModel):
    notification_id: int
    case_id: str
    addresses: list[str]
    subject: str
    body: str
    document_id: str | None = None
    recipient_officer_id: str | None = None


# Who a notice reaches: the named user, the officer's own accounts, or everyone in the pool.
_PENDING = """
SELECT n.notification_id, n.case_id, n.subject, n.body, n.document_id, n.recipient_officer_id,
       coalesce(array_agg(u.email) FILTER (WHERE u.email IS NOT NULL), '{}') AS addresses
FROM (
    SELECT * FROM notifications WHERE sent_at IS NULL AND attempts < 10
    ORDER BY notification_id LIMIT $1 FOR UPDATE SKIP LOCKED
) n
LEFT JOIN users u ON u.revoked_at IS NULL AND (
       u.user_id = n.recipient_user_id
    OR (n.recipient_user_id IS NULL AND u.officer_id = n.recipient_officer_id)
    OR (n.recipient_user_id IS NULL AND n.recipient_officer_id IS NULL
        AND u.role = n.recipient_role
        AND (n.recipient_tier IS NULL OR u.tier = n.recipient_tier)))
GROUP BY n.notification_id, n.case_id, n.subject, n.body, n.document_id, n.recipient_officer_id
ORDER BY n.notification_id
"""


async def claim_pending(connection: Connection, limit: int) -> list[PendingNotification]:
    """Lock a batch of undelivered notifications (inside the caller's transaction)."""
    rows = await connection.fetch(_PENDING, limit)
    return [PendingNotification(**dict(row)) for row in rows]


async def mark_sent(connection: Connection, notification_id: int) -> None:
    await connection.execute(
        "UPDATE notifications SET sent_at = now(), attempts = attempts + 1 "
        "WHERE notification_id = $1",
        notification_id,
    )


async def mark_failed(connection: Connection, notification_id: int, error: str) -> None:
    await connection.execute(
        "UPDATE notifications SET attempts = attempts + 1, last_error = $2 "
        "WHERE notification_id = $1",
        notification_id,
        error[:500],
    )


async def exit_instructions(pool: asyncpg.Pool, case_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT kind, payload FROM exit_instructions WHERE case_id = $1 ORDER BY kind", case_id
    )
    return [dict(r) for r in rows]
