"""Users and their bearer tokens. A token is shown once, at creation; only its SHA-256 is kept.

Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force that a
slow hash would protect, and every request checks one.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Iterable
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.people import Actor, Role, Tier, check_officer_id

_ID_ALPHABET = string.ascii_lowercase + string.digits

# Notified (by a trigger, migration 0005) whenever any user changes.
USERS_CHANNEL = "exitcases_users"


class UserExists(Exception):
    """A user with this id exists already (an idempotent creation that ran before)."""


class User(BaseModel):
    """A user as admins see them: never the token or its hash."""

    user_id: str
    name: str
    role: Role
    tier: Tier | None = None
    officer_id: str | None = None
    email: str | None = None
    created_at: datetime
    revoked: bool = False


class UserCursor(BaseModel):
    """Where a page of users ends: users are listed oldest first, by (created_at, user_id)."""

    created_at: datetime
    user_id: str


def user_id_from(number: int) -> str:
    """``u_`` and twelve characters of ``number`` in base 36."""
    digits = []
    for _ in range(12):
        number, digit = divmod(number, len(_ID_ALPHABET))
        digits.append(_ID_ALPHABET[digit])
    return "u_" + "".join(digits)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_from_row(row: asyncpg.Record) -> User:
    return User(
        user_id=row["user_id"],
        name=row["name"],
        role=Role(row["role"]),
        tier=Tier(row["tier"]) if row["tier"] else None,
        officer_id=row["officer_id"],
        email=row["email"],
        created_at=row["created_at"],
        revoked=row["revoked_at"] is not None,
    )


async def create_user(
    pool: asyncpg.Pool,
    *,
    name: str,
    role: Role | str,
    tier: Tier | str | None = None,
    officer_id: str | None = None,
    email: str | None = None,
    user_id: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns it and its token, which is never retrievable again.

    Raises ValueError when the role and its fields do not fit (an approver needs a tier,
    an officer an officer id, and only an officer has one), and :class:`UserExists` when
    ``user_id`` is taken.
    """
    if not name.strip():
        raise ValueError("a user needs a name")
    role = Role(role)
    if role is Role.SYSTEM:
        raise ValueError("the system role belongs to the service itself")
    # The same rules as an Actor's: checked before anything is written.
    Actor(user_id="u_new", role=role, tier=Tier(tier) if tier else None, officer_id=officer_id)
    check_officer_id(role, officer_id)
    token = secrets.token_urlsafe(32)
    user_id = user_id or user_id_from(secrets.randbits(64))
    row = await pool.fetchrow(
        """INSERT INTO users (user_id, name, role, tier, officer_id, email, token_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (user_id) DO NOTHING RETURNING *""",
        user_id,
        name.strip(),
        role.value,
        Tier(tier).value if tier else None,
        officer_id,
        email,
        token_hash(token),
    )
    if row is None:
        raise UserExists(user_id)
    return user_from_row(row), token


async def user_for_token(pool: asyncpg.Pool, token: str) -> User | None:
    """The token's user (revoked ones too, marked so); None for a token nobody holds."""
    row = await pool.fetchrow("SELECT * FROM users WHERE token_hash = $1", token_hash(token))
    return user_from_row(row) if row else None


async def revoke_user(pool: asyncpg.Pool, user_id: str) -> bool:
    """End the user's token now; False if there is no such user or it was already revoked."""
    status = await pool.execute(
        "UPDATE users SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
    )
    return status == "UPDATE 1"


async def get_user(pool: asyncpg.Pool, user_id: str) -> User | None:
    row = await pool.fetchrow("SELECT * FROM users WHERE user_id = $1", user_id)
    return user_from_row(row) if row else None


async def names_of(pool: asyncpg.Pool, user_ids: Iterable[str]) -> dict[str, str]:
    """Each known user's name by id, for pages that say who did what; unknown ids are left out."""
    rows = await pool.fetch(
        "SELECT user_id, name FROM users WHERE user_id = ANY($1::text[])", sorted(set(user_ids))
    )
    return {row["user_id"]: row["name"] for row in rows}


async def list_users(
    pool: asyncpg.Pool,
    *,
    include_revoked: bool = True,
    limit: int | None = None,
    after: UserCursor | None = None,
) -> list[User]:
    """Users oldest first, for admins reviewing who holds a token: all of them, or up to
    ``limit`` after the cursor (keyset on columns that never change, so pages stay stable)."""
    rows = await pool.fetch(
        """SELECT * FROM users
           WHERE ($1 OR revoked_at IS NULL)
             AND ($2::timestamptz IS NULL OR (created_at, user_id) > ($2, $3))
           ORDER BY created_at, user_id
           LIMIT $4""",
        include_revoked,
        after.created_at if after else None,
        after.user_id if after else None,
        limit,
    )
    return [user_from_row(row) for row in rows]


async def count_users(pool: asyncpg.Pool, role: Role) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM users WHERE role = $1", role.value)
    return count


async def list_representatives(pool: asyncpg.Pool, *, limit: int = 200) -> list[User]:
    """Current (unrevoked) users with the representative role, by name: those an officer may
    nominate. A staff association's friends are a few dozen at most; ``limit`` bounds a page."""
    rows = await pool.fetch(
        """SELECT * FROM users WHERE role = $1 AND revoked_at IS NULL
           ORDER BY name, user_id LIMIT $2""",
        Role.REPRESENTATIVE.value,
        limit,
    )
    return [user_from_row(row) for row in rows]
