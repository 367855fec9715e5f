"""Browser sessions: a random id in a cookie, kept here only as its SHA-256, like tokens.

A session ends when it has been idle too long, when it reaches its absolute lifetime, when its
user signs out, or when its user is revoked (a trigger, migration 0007, deletes their rows).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import asyncpg

from store.users import User, token_hash, user_from_row

# How stale ``last_seen_at`` may get before a request writes it (see session_user).
TOUCH_AFTER = timedelta(seconds=60)


async def start_session(
    pool: asyncpg.Pool,
    user_id: str,
    *,
    idle: timedelta,
    lifetime: timedelta,
    replacing: str | None = None,
) -> str:
    """A new session for the user; returns its id, which is never retrievable again.

    ``replacing``: the browser's previous session, ended in the same transaction, so signing
    in (as anyone) never leaves an earlier session alive behind the new cookie.
    """
    session_id = secrets.token_urlsafe(32)
    async with pool.acquire() as connection, connection.transaction():
        if replacing is not None:
            await connection.execute(
                "DELETE FROM sessions WHERE session_hash = $1", token_hash(replacing)
            )
        # Sessions nobody can use any more go as new ones come, so the table stays small.
        await connection.execute(
            """DELETE FROM sessions
               WHERE last_seen_at <= now() - $1::interval OR created_at <= now() - $2::interval""",
            idle,
            lifetime,
        )
        await connection.execute(
            "INSERT INTO sessions (session_hash, user_id) VALUES ($1, $2)",
            token_hash(session_id),
            user_id,
        )
    return session_id


async def session_user(
    pool: asyncpg.Pool, session_id: str, *, idle: timedelta, lifetime: timedelta
) -> User | None:
    """The session's user if the session is live; None otherwise.

    Every page view and API call asks this, so it only reads: ``last_seen_at`` is moved on
    when it is more than ``TOUCH_AFTER`` old, not on every request. A session therefore ends
    between ``idle - TOUCH_AFTER`` and ``idle`` after its last use: never later than ``idle``.
    """
    session_hash = token_hash(session_id)
    row = await pool.fetchrow(
        """SELECT u.*, s.last_seen_at <= now() - $4::interval AS stale
           FROM sessions AS s JOIN users AS u USING (user_id)
           WHERE s.session_hash = $1 AND u.revoked_at IS NULL
             AND s.last_seen_at > now() - $2::interval AND s.created_at > now() - $3::interval""",
        session_hash,
        idle,
        lifetime,
        TOUCH_AFTER,
    )
    if row is None:
        return None
    if row["stale"]:
        # The condition again, so concurrent requests of one browser write once between them.
        await pool.execute(
            """UPDATE sessions SET last_seen_at = now()
               WHERE session_hash = $1 AND last_seen_at <= now() - $2::interval""",
            session_hash,
            TOUCH_AFTER,
        )
    return user_from_row(row)


async def end_session(pool: asyncpg.Pool, session_id: str) -> None:
    await pool.execute("DELETE FROM sessions WHERE session_hash = $1", token_hash(session_id))
