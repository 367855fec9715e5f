"""The equality monitoring report (issue 17, item 5), for the API: facts from the store, figures
from the domain."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from domain.clock import local_date
from domain.equality import EqualityReport, Person, ReportKind, equality_report
from service.schemes import UnknownPolicy, UnknownScheme
from store import equality, policies, schemes
from store.pool import Connection


async def report(
    pool: asyncpg.Pool,
    kind: ReportKind,
    *,
    scheme: str | None,
    period_from: date | None,
    period_to: date | None,
) -> EqualityReport:
    """Ages are worked out on the period's last day, or today when the period is open."""
    as_of = period_to or local_date(datetime.now(UTC))
    # A report reads the cases and the roster in several statements; one snapshot for all of
    # them, so an officer whose case or record changes meanwhile is counted once, as they were.
    async with (
        pool.acquire() as connection,
        connection.transaction(readonly=True, isolation="repeatable_read"),
    ):
        if kind is ReportKind.EFFICIENCY_RETIREMENT:
            scheme = None
            people = await equality.efficiency_people(connection, period_from, period_to, as_of)
        else:
            assert scheme is not None
            people = await _scheme_people(connection, scheme, period_from, period_to)
    return equality_report(
        kind, people, as_of=as_of, scheme=scheme, period_from=period_from, period_to=period_to
    )


async def _scheme_people(
    connection: Connection, scheme: str, period_from: date | None, period_to: date | None
) -> list[Person]:
    found = await schemes.get_scheme(connection, scheme)
    if found is None:
        raise UnknownScheme(scheme)
    policy = await policies.get_policy(connection, found.scheme.policy_version)
    if policy is None:
        raise UnknownPolicy(found.scheme.policy_version)
    return await equality.scheme_people(
        connection, scheme, policy.eligible_ranks, period_from, period_to
    )
