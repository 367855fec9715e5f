"""`exitcases users add`, `exitcases users list` and `exitcases users revoke`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from pydantic import ValidationError

from config.runtime import database_url
from config.settings import Settings
from store.pool import create_pool
from store.users import User, create_user, list_users, revoke_user

Result = TypeVar("Result")


async def _with_pool(
    settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[Result]]
) -> Result:
    pool = await create_pool(database_url(settings))
    try:
        return await work(pool)
    finally:
        await pool.close()


def add_user_command(args: argparse.Namespace, settings: Settings) -> int:
    def add(pool: asyncpg.Pool) -> Awaitable[tuple[User, str]]:
        return create_user(
            pool,
            name=args.name,
            role=args.role,
            tier=args.tier,
            officer_id=args.officer_id,
            email=args.email,
        )

    try:
        user, token = asyncio.run(_with_pool(settings, add))
    except ValidationError as invalid:
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in invalid.errors())
        print(f"error: {messages}", file=sys.stderr)
        return 2
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"user_id": user.user_id, "token": token}))
    else:
        print(f"user {user.user_id} ({user.role.value}) created; its token, shown only now:")
        print(token)
    return 0


_COLUMNS = ("user_id", "role", "tier", "officer_id", "created", "status", "name")


def _row(user: User) -> tuple[str, ...]:
    return (
        user.user_id,
        user.role.value,
        user.tier.value if user.tier else "-",
        user.officer_id or "-",
        user.created_at.strftime("%Y-%m-%d %H:%M"),
        "revoked" if user.revoked else "active",
        user.name,
    )


def list_users_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        users = asyncio.run(_with_pool(settings, list_users))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([user.model_dump(mode="json") for user in users], indent=2))
        return 0
    rows = [_COLUMNS, *(_row(user) for user in users)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def revoke_user_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        revoked = asyncio.run(_with_pool(settings, lambda pool: revoke_user(pool, args.user_id)))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not revoked:
        print(f"error: no active user {args.user_id}", file=sys.stderr)
        return 1
    print(f"user {args.user_id} revoked")
    return 0
