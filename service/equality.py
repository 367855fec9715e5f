"""The equality monitoring report (issue 17, item 5), for the API: facts from the store, figures
from the domain."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from domain.clock import local_date
from domain.equality import EqualityReport, ReportKind, equality_report
from service.schemes import UnknownPolicy, UnknownScheme
from store import equality, policies, schemes


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
    if kind is ReportKind.EFFICIENCY_RETIREMENT:
        people = await equality.efficiency_people(pool, period_from, period_to, as_of)
        return equality_report(
            kind, people, as_of=as_of, period_from=period_from, period_to=period_to
        )
    assert scheme is not None
    found = await schemes.get_scheme(pool, scheme)
    if found is None:
        raise UnknownScheme(scheme)
    policy = await policies.get_policy(pool, found.scheme.policy_version)
    if policy is None:
        raise UnknownPolicy(found.scheme.policy_version)
    people = await equality.scheme_people(
        pool, scheme, policy.eligible_ranks, period_from, period_to
    )
    return equality_report(
        kind, people, as_of=as_of, scheme=scheme, period_from=period_from, period_to=period_to
    )
