"""`exitcases audit verify | export | access | redact`: an auditor's tools on the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg

from exitcases.runtime import database_url
from exitcases.settings import Settings
from store import audit
from store.pool import create_pool


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"--{name} needs a zone, e.g. 2026-11-01T00:00:00Z")
    return moment


def _run(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[int]]) -> int:
    async def run() -> int:
        pool = await create_pool(database_url(settings), max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(run())
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def verify_command(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        report = await audit.verify(pool, args.case)
        for broken in report.breaks:
            print(broken)
        verdict = "clean" if report.clean else f"{len(report.breaks)} broken chain(s)"
        print(f"verified {report.events} events in {report.cases} cases: {verdict}")
        return 0 if report.clean else 1

    return _run(settings, work)


async def _write(chunks: AsyncIterator[str]) -> None:
    async for chunk in chunks:
        sys.stdout.write(chunk)
    sys.stdout.flush()


def export_command(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        since, until = _moment(args.since, "since"), _moment(args.until, "until")
        await _write(audit.export(pool, since, until, audit.ExportFormat(args.format)))
        return 0

    return _run(settings, work)


def access_command(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        since, until = _moment(args.since, "since"), _moment(args.until, "until")
        await _write(audit.export_access(pool, case_id=args.case, since=since, until=until))
        return 0

    return _run(settings, work)


def redact_command(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        days = args.older_than_days or settings.retention_days
        if days <= 0:
            raise ValueError("--older-than-days must be a positive number of days")
        count = await audit.redact_closed_cases(pool, older_than=timedelta(days=days))
        print(f"redacted the personal data of {count} officer(s) closed over {days} days ago")
        return 0

    return _run(settings, work)
