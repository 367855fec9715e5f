"""Users and their bearer tokens. A token is shown once, at creation; only its SHA-256 is kept.

Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force that a
slow hash would protect, and every request checks one.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.people import Actor, Role, Tier

_ID_ALPHABET = string.ascii_lowercase + string.digits

# Notified (by a trigger, migration 0005) whenever any user changes.
USERS_CHANNEL = "exitcases_users"


class User(BaseModel):
    user_id: str
    name: str
    role: Role
    tier: Tier | None = None
    officer_id: str | None = None
    email: str | None = None
    created_at: datetime
    revoked: bool = False


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
) -> tuple[User, str]:
    """Create a user; returns it and its token, which is never retrievable again.

    Raises ValueError when the role and its fields do not fit (an approver needs a tier,
    an officer an officer id).
    """
    if not name.strip():
        raise ValueError("a user needs a name")
    role = Role(role)
    if role is Role.SYSTEM:
        raise ValueError("the system role belongs to the service itself")
    # The same rules as an Actor's: checked before anything is written.
    Actor(user_id="u_new", role=role, tier=Tier(tier) if tier else None, officer_id=officer_id)
    token = secrets.token_urlsafe(32)
    user_id = "u_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
    row = await pool.fetchrow(
        """INSERT INTO users (user_id, name, role, tier, officer_id, email, token_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
        user_id,
        name.strip(),
        role.value,
        Tier(tier).value if tier else None,
        officer_id,
        email,
        token_hash(token),
    )
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


async def list_users(pool: asyncpg.Pool, *, include_revoked: bool = True) -> list[User]:
    """Every user, oldest first: for admins reviewing who holds a token."""
    rows = await pool.fetch(
        "SELECT * FROM users WHERE $1 OR revoked_at IS NULL ORDER BY created_at, user_id",
        include_revoked,
    )
    return [user_from_row(row) for row in rows]


async def count_users(pool: asyncpg.Pool, role: Role) -> int:
    return await pool.fetchval("SELECT count(*) FROM users WHERE role = $1", role.value)
