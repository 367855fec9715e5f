"""What the scheme report reads, as rewritten for a million cases (BENCHMARKS.md): the budget and
leavers read only cases in COUNTED_STATES, and the applied invitations are counted as one set.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from domain.case import Acceptance, Adjustment, Application, CaseView, Offer
from domain.compensation import calculate
from domain.lifecycle import CaseKind, CaseState
from domain.officer import Rank
from domain.people import Actor, Role
from domain.scheme import COUNTED_STATES, Scheme, budget_figures, is_leaving
from store import schemes
from store.cases import insert_submitted
from tests.helpers.cases import POLICY
from tests.helpers.officers import officer

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SCHEME = Scheme(
    name="reads",
    policy_version=POLICY.version,
    application_opens=date(2026, 1, 5),
    application_closes=date(2026, 3, 31),
    budget=Decimal("1000000.00"),
)
LEAVING = date(2026, 9, 30)


def full_view(state: CaseState, *, case_id: str = "EX-FULL", officer_id: str = "OF1") -> CaseView:
    """A case that has everything a budget or a leaving month looks at: an offer, an adjusted
    amount, an acceptance and a leaving date."""
    calculation = calculate(officer(officer_id=officer_id), AT.date(), POLICY)
    return CaseView(
        case_id=case_id,
        kind=CaseKind.VOLUNTARY_EXIT,
        state=state,
        policy_version=POLICY.version,
        officer_id=officer_id,
        rank=Rank.SUPERINTENDENT,
        created_by=Actor(user_id="u_cw", role=Role.CASEWORKER),
        created_at=AT,
        updated_at=AT,
        version=5,
        application=Application(),
        calculation=calculation,
        adjustment=Adjustment(amount=Decimal("50000.00"), reason="x", by="u_cw", at=AT),
        offer=Offer(amount=Decimal("50000.00"), leaving_date=LEAVING, made_at=AT, lapses_at=AT),
        acceptance=Acceptance(accepted_at=AT, cooling_off_ends_at=AT, leaving_date=LEAVING),
        leaving_date=LEAVING,
    )


def test_a_case_outside_the_counted_states_counts_for_neither_budget_nor_leavers() -> None:
    def spent(view: CaseView) -> Decimal:
        figures = budget_figures(SCHEME, [view])
        return figures.offered + figures.committed + figures.paid

    for state in set(CaseState) - COUNTED_STATES:
        view = full_view(state)
        assert spent(view) == 0, state
        assert not is_leaving(view), state
    # The set is not needlessly wide either: each counted state can count.
    for state in COUNTED_STATES - {CaseState.SUSPENDED}:
        assert spent(full_view(state)) == Decimal("50000.00"), state
    suspended = full_view(CaseState.SUSPENDED)
    suspended.suspended_from = CaseState.LEAVING_SCHEDULED
    assert is_leaving(suspended)


async def _case(pool: asyncpg.Pool, view: CaseView, scheme: str) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await insert_submitted(connection, view)
        await schemes.link_case(connection, view.case_id, scheme)


async def test_the_report_reads_the_counted_cases_and_counts_each_applicant_once(
    pool: asyncpg.Pool,
) -> None:
    run = secrets.token_hex(3).upper()
    scheme, other = f"reads-{run.lower()}", f"other-{run.lower()}"
    officers = [f"OFREAD{run}{n}" for n in range(4)]
    # Officer 0 applied twice (a withdrawn case and a leaving one), officer 1 only under another
    # scheme, officer 2 not at all; officer 3 applied without an invitation.
    cases = [
        (CaseState.WITHDRAWN, officers[0], scheme),
        (CaseState.LEAVING_SCHEDULED, officers[0], scheme),
        (CaseState.COMPLETED, officers[1], other),
        (CaseState.OFFER_MADE, officers[3], scheme),
    ]
    for n, (state, officer_id, under) in enumerate(cases):
        await _case(pool, full_view(state, case_id=f"EX-R{run}{n}", officer_id=officer_id), under)
    await pool.execute(
        """INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by, reminded_at)
           SELECT $1, unnest($2::text[]), 'r', 'u_admin', now()""",
        scheme,
        officers[:3],
    )

    totals = await schemes.invitation_totals(pool, scheme)
    views = await schemes.case_views(pool, scheme)
    leavers = await schemes.leavers(pool, scheme)

    assert totals == {"invited": 3, "reminded": 3, "applied": 1}
    assert sorted(v.case_id for v in views) == [f"EX-R{run}1", f"EX-R{run}3"]
    assert leavers == {("2026-09", Rank.SUPERINTENDENT): 1}
    assert await schemes.leavers(pool, scheme, without=f"EX-R{run}1") == {}
