"""Browser sessions: a random id in a cookie, kept here only as its SHA-256, like tokens.

A session ends when it has been idle too long, when it reaches its absolute lifetime, when its
user signs out, or when its user is revoked (a trigger, migration 0007, deletes their rows).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import asyncpg

from store.users import User, token_hash, user_from_row


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
    """The session's user if the session is live (and marks it used now); None otherwise."""
    row = await pool.fetchrow(
        """UPDATE sessions AS s SET last_seen_at = now() FROM users AS u
           WHERE s.session_hash = $1 AND u.user_id = s.user_id AND u.revoked_at IS NULL
             AND s.last_seen_at > now() - $2::interval AND s.created_at > now() - $3::interval
           RETURNING u.*""",
        token_hash(session_id),
        idle,
        lifetime,
    )
    return user_from_row(row) if row else None


async def end_session(pool: asyncpg.Pool, session_id: str) -> None:
    await pool.execute("DELETE FROM sessions WHERE session_hash = $1", token_hash(session_id))
