"""`exitcases audit verify | export | access | redact`: an auditor's tools on the command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import asyncpg

from config.runtime import database_url
from config.settings import Settings
from domain.window import check_window
from store import audit
from store.pool import create_pool


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
    processes = args.processes or settings.verify_processes or os.cpu_count() or 1

    async def work(pool: asyncpg.Pool) -> int:
        report = await audit.verify(
            pool, args.case, database_url=database_url(settings), processes=processes
        )
        if args.case is not None and not report.cases:
            # Nothing to check is not "clean": a mistyped id must not pass for a verified case.
            print(f"error: there is no case {args.case} to verify", file=sys.stderr)
            return 1
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
        fmt = audit.ExportFormat(args.format)
        await _write(audit.export(pool, args.since, args.until, fmt))
        return 0

    return _windowed(args, settings, work)


def access_command(args: argparse.Namespace, settings: Settings) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        lines = audit.export_access(pool, case_id=args.case, since=args.since, until=args.until)
        await _write(lines)
        return 0

    return _windowed(args, settings, work)


def _windowed(
    args: argparse.Namespace, settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[int]]
) -> int:
    """Run ``work`` once --since and --until (already parsed by argparse) make a window."""
    try:
        check_window(args.since, args.until)
    except ValueError as error:
        print(f"error: --until: {error}", file=sys.stderr)
        return 2
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
