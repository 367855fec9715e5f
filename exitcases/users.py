"""`exitcases users add` and `exitcases users revoke`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from pydantic import ValidationError

from exitcases.runtime import database_url
from exitcases.settings import Settings
from store.pool import create_pool
from store.users import User, create_user, revoke_user


async def _add(settings: Settings, args: argparse.Namespace) -> tuple[User, str]:
    pool = await create_pool(database_url(settings))
    try:
        return await create_user(
            pool,
            name=args.name,
            role=args.role,
            tier=args.tier,
            officer_id=args.officer_id,
            email=args.email,
        )
    finally:
        await pool.close()


def add_user_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        user, token = asyncio.run(_add(settings, args))
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


async def _revoke(settings: Settings, user_id: str) -> bool:
    pool = await create_pool(database_url(settings))
    try:
        return await revoke_user(pool, user_id)
    finally:
        await pool.close()


def revoke_user_command(args: argparse.Namespace, settings: Settings) -> int:
    if not asyncio.run(_revoke(settings, args.user_id)):
        print(f"error: no active user {args.user_id}", file=sys.stderr)
        return 1
    print(f"user {args.user_id} revoked")
    return 0
