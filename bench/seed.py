"""A read model of a force's shape, streamed into PostgreSQL: ten years of cases under a run
of schemes, the roster they came from, the current scheme's invitations and the open work.

    cases      ``count`` rows by COPY, generated as they are sent (memory stays flat): 1 in 100
               an efficiency retirement of anyone on the roster (no scheme), the rest voluntary
               exit, 4,000 to a scheme (the first scheme was offered to about 700 officers),
               each of a distinct officer of an eligible rank; the schemes split ten years
               evenly, the newest is the one in force. The newest scheme's cases are in every
               state, older ones have ended (completed, withdrawn, declined, lapsed, rejected,
               ineligible). Each view holds what its state implies: calculation, approvals,
               offer, acceptance, leaving date, ineligibility reasons, the efficiency record.
    officers   ``count // 10`` (at least 80,000: a large force's roster with its leavers),
               equality data as ``tests/helpers/equality.py`` draws it (1.5 % redacted),
               ranks as a force has them (``FORCE_RANKS``: about 6 % eligible).
    schemes    one row per scheme and its ``scheme_cases``; invitations to the scheme in force
               for every unredacted officer of an eligible rank.
    tasks      one per open case, due when the read model says.

Nothing is left to chance: the same ``count`` gives the same rows, so a kept database
(``--keep-database``) is recognised and reused instead of seeded again.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from bench.common import BENCH_POLICY, CASEWORKER, bench_officer
from domain.case import (
    Acceptance,
    Application,
    ApprovalDecision,
    CaseView,
    Offer,
    case_id_from,
)
from domain.commands import StartCase
from domain.compensation import calculate
from domain.efficiency import EfficiencyCase, PanelDecision, PanelOutcome, Proposal, RegulationRef
from domain.eligibility import IneligibilityReason
from domain.lifecycle import TERMINAL_STATES, CaseKind, CaseState
from domain.officer import Rank
from domain.people import Tier
from domain.regulation import RegulationParameters
from domain.scheme import Scheme
from store.policies import add_policy
from store.schemes import add_scheme
from tests.helpers.equality import Truth, synthetic_roster

# Changes whenever what the seed writes does: a kept database with another mark is not reused.
SEED_VERSION = "seed 3"
# A scheme's cases: most of its eligible pool applying (the first scheme had about 700).
CASES_PER_SCHEME = 4_000
HISTORY = timedelta(days=3652)  # ten years of cases
ROSTER_SHARE = 10  # cases per officer on the roster
# Enough officers of the eligible ranks (about 6 %) for a scheme's cases to be of distinct ones.
SMALLEST_ROSTER = 80_000
# A force's ranks, constables to commanders (the chief officers left out).
FORCE_RANKS = [
    (Rank.CONSTABLE, 0.74),
    (Rank.SERGEANT, 0.14),
    (Rank.INSPECTOR, 0.06),
    (Rank.CHIEF_INSPECTOR, 0.03),
    (Rank.SUPERINTENDENT, 0.02),
    (Rank.CHIEF_SUPERINTENDENT, 0.008),
    (Rank.COMMANDER, 0.002),
]
CHUNK = 5_000  # rows per COPY message: large enough to be cheap, small enough to stay flat

VOLUNTARY_STATES = [
    CaseState.SUBMITTED,
    CaseState.INELIGIBLE,
    CaseState.HR_REVIEW,
    CaseState.INFO_REQUESTED,
    CaseState.APPROVAL,
    CaseState.OFFER_MADE,
    CaseState.OFFER_LAPSED,
    CaseState.OFFER_DECLINED,
    CaseState.ACCEPTED,
    CaseState.LEAVING_SCHEDULED,
    CaseState.EXIT_PROCESSING,
    CaseState.COMPLETED,
    CaseState.WITHDRAWN,
    CaseState.REJECTED,
]
# How the cases of a closed scheme ended.
ENDED = [
    (CaseState.COMPLETED, 30),
    (CaseState.WITHDRAWN, 15),
    (CaseState.INELIGIBLE, 15),
    (CaseState.OFFER_DECLINED, 15),
    (CaseState.OFFER_LAPSED, 15),
    (CaseState.REJECTED, 10),
]
EFFICIENCY_STATES = [
    CaseState.DECISION_PENDING,
    CaseState.REPRESENTATIONS,
    CaseState.LEAVING_SCHEDULED,
    CaseState.COMPLETED,
    CaseState.RETIREMENT_WITHDRAWN,
]
EFFICIENCY_ENDED = [CaseState.COMPLETED, CaseState.RETIREMENT_WITHDRAWN]
REASONS = ("misconduct_pending", "full_pensionable_service", "open_case_exists")
LEAVING = {
    CaseState.ACCEPTED,
    CaseState.LEAVING_SCHEDULED,
    CaseState.EXIT_PROCESSING,
    CaseState.COMPLETED,
}
OFFERED = LEAVING | {CaseState.OFFER_MADE, CaseState.OFFER_LAPSED, CaseState.OFFER_DECLINED}
CALCULATED = OFFERED | {CaseState.APPROVAL, CaseState.REJECTED}
CASE_COLUMNS = [
    "case_id", "kind", "officer_id", "rank", "state", "is_open", "policy_version", "version",
    "created_at", "updated_at", "due_at", "leaving_date", "view",
]  # fmt: skip
OFFICER_COLUMNS = [
    "officer_id", "name", "rank", "date_of_birth", "service_start", "annual_pay",
    "pension_scheme", "misconduct_pending", "sex", "ethnicity", "disability", "redacted_at",
]  # fmt: skip
# Substituted into each view template (str.format fields; the JSON's own braces are doubled).
FIELDS = ("case_id", "officer_id", "rank", "scheme", "created_at", "updated_at", "version")


def scheme_name(number: int) -> str:
    return f"bench-{number:02d}"


def schemes_for(count: int) -> int:
    return max(1, -(-count // CASES_PER_SCHEME))


def _view(state: CaseState, kind: CaseKind, reason: int, now: datetime) -> CaseView:
    """A case in ``state`` with what getting there recorded (validated: the API reads it)."""
    view = StartCase(
        case_id="EX-TEMPLATE",
        kind=kind,
        officer_id="OFTEMPLATE",
        rank=Rank.SUPERINTENDENT,
        policy=BENCH_POLICY,
        created_by=CASEWORKER,
        application=Application(statement="I would like to go at the end of the year."),
    ).submitted_view(now)
    view.state = state
    leaving = date(2027, 3, 31)
    if kind is CaseKind.EFFICIENCY_RETIREMENT:
        served = state is not CaseState.DECISION_PENDING
        view.efficiency = EfficiencyCase(
            regulation=RegulationRef(
                legal_reference="A19", version="bench", parameters=RegulationParameters()
            ),
            proposal=Proposal(),
            notice_served_on=now.date() if served else None,
            panel_decisions=[
                PanelDecision(outcome=PanelOutcome.CONFIRM, reason="bench", by="u_panel", at=now)
            ]
            if state in LEAVING
            else [],
        )
        view.leaving_date = leaving if state in LEAVING else None
        return CaseView.model_validate(view.model_dump())
    if state is CaseState.INELIGIBLE:
        view.ineligibility = [IneligibilityReason(code=REASONS[reason], detail="bench")]
    if state in CALCULATED:
        view.calculation = calculate(bench_officer("OFTEMPLATE"), now.date(), BENCH_POLICY)
        view.required_tiers = [Tier.HR, Tier.FINANCE]
        approved = state is not CaseState.REJECTED
        view.approvals = [
            ApprovalDecision(tier=Tier.HR, user_id="u_bench_hr", approved=approved, at=now)
        ]
    if state in OFFERED:
        view.approvals.append(
            ApprovalDecision(tier=Tier.FINANCE, user_id="u_bench_finance", approved=True, at=now)
        )
        assert view.calculation is not None  # every offered state is a calculated one
        view.offer = Offer(
            amount=view.calculation.amount,
            leaving_date=leaving,
            made_at=now,
            lapses_at=now + timedelta(days=28),
        )
    if state in LEAVING:
        view.acceptance = Acceptance(
            accepted_at=now, cooling_off_ends_at=now + timedelta(days=14), leaving_date=leaving
        )
        view.leaving_date = leaving
    return CaseView.model_validate(view.model_dump())


@dataclass(frozen=True)
class Template:
    text: str  # the view's JSON escaped for COPY's text format, with FIELDS to str.format
    leaving_date: date | None


def _template(view: CaseView) -> Template:
    fields = [f for f in FIELDS if f != "scheme" or view.kind is CaseKind.VOLUNTARY_EXIT]
    text = json.dumps(view.model_dump(mode="json") | {f: f"@{f}@" for f in fields})
    text = text.replace("\\", "\\\\").replace("{", "{{").replace("}", "}}")
    for f in fields:
        field = "{" + f + "}"
        text = text.replace(f'"@{f}@"', field if f == "version" else f'"{field}"')
    return Template(text, view.leaving_date)


def _templates(now: datetime) -> dict[tuple[CaseKind, CaseState, int], Template]:
    """Every (kind, state, ineligibility reason) a seeded case can have, as a template."""
    out = {}
    for state in VOLUNTARY_STATES:
        for reason in range(len(REASONS) if state is CaseState.INELIGIBLE else 1):
            view = _view(state, CaseKind.VOLUNTARY_EXIT, reason, now)
            out[CaseKind.VOLUNTARY_EXIT, state, reason] = _template(view)
    for state in EFFICIENCY_STATES:
        view = _view(state, CaseKind.EFFICIENCY_RETIREMENT, 0, now)
        out[CaseKind.EFFICIENCY_RETIREMENT, state, 0] = _template(view)
    return out


def case_id(number: int) -> str:
    """The seeded case ``number``'s id: an odd multiplier is a bijection on the id's 50 bits,
    so ids are distinct, look random and need no memory to recall."""
    return case_id_from((number * 0x9E3779B97F4A7C15 + 0x5EED) % (1 << 64))


@dataclass(frozen=True)
class Officer:
    officer_id: str
    rank: Rank
    truth: Truth  # the equality data and redaction tests/helpers/equality.py drew


@functools.cache
def roster(size: int) -> list[Officer]:
    """The force's roster: equality data as the tests draw it, ranks as a force has them."""
    rng = random.Random(3)
    ranks, weights = zip(*FORCE_RANKS, strict=True)
    return [
        Officer(t.officer.officer_id, rng.choices(ranks, weights)[0], t)
        for t in synthetic_roster(size)
    ]


@dataclass(frozen=True)
class Shape:
    """Where seeded case ``number`` falls: its kind, scheme, officer and time."""

    count: int

    @property
    def schemes(self) -> int:
        return max(1, -(-self.count // CASES_PER_SCHEME))

    @property
    def officers(self) -> int:
        return max(self.count // ROSTER_SHARE, SMALLEST_ROSTER)

    @functools.cached_property
    def eligible(self) -> list[int]:
        """Roster positions of the officers a scheme is open to."""
        ranks = BENCH_POLICY.eligible_ranks
        return [n for n, o in enumerate(roster(self.officers)) if o.rank in ranks]

    def kind(self, number: int) -> CaseKind:
        return CaseKind.EFFICIENCY_RETIREMENT if number % 100 == 99 else CaseKind.VOLUNTARY_EXIT

    def scheme(self, number: int) -> int:
        return number // CASES_PER_SCHEME

    def officer(self, number: int) -> Officer:
        """A scheme's cases are of distinct eligible officers (fewer cases than eligible
        officers); an efficiency retirement may be anyone's."""
        if self.kind(number) is CaseKind.EFFICIENCY_RETIREMENT:
            return roster(self.officers)[number * 7919 % self.officers]
        position = (number % CASES_PER_SCHEME + self.scheme(number) * 7919) % len(self.eligible)
        return roster(self.officers)[self.eligible[position]]

    def window(self, scheme: int, now: datetime) -> tuple[datetime, timedelta]:
        """When a scheme's cases were opened: the history split evenly, the newest last."""
        length = HISTORY / self.schemes
        return now - (self.schemes - scheme) * length, length


def _copy_text(*values: object) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


def _case_lines(shape: Shape, now: datetime) -> Iterator[str]:
    rng = random.Random(7)
    templates = _templates(now)
    weights = [w for _, w in ENDED]
    ended = [s for s, _ in ENDED]
    newest = shape.schemes - 1
    for number in range(shape.count):
        kind, scheme = shape.kind(number), shape.scheme(number)
        if kind is CaseKind.EFFICIENCY_RETIREMENT:
            state = rng.choice(EFFICIENCY_STATES if scheme == newest else EFFICIENCY_ENDED)
        elif scheme == newest:
            state = rng.choice(VOLUNTARY_STATES)
        else:
            state = rng.choices(ended, weights)[0]
        reason = rng.randrange(len(REASONS)) if state is CaseState.INELIGIBLE else 0
        template = templates[kind, state, reason]
        officer = shape.officer(number)
        opens, length = shape.window(scheme, now)
        created = opens + timedelta(seconds=rng.randrange(int(length.total_seconds())))
        updated = min(now, created + timedelta(seconds=rng.randrange(30 * 24 * 3600)))
        version = rng.randrange(1, 15)
        is_open = state not in TERMINAL_STATES
        due = updated + timedelta(days=10) if is_open else None
        ids = {
            "case_id": case_id(number),
            "officer_id": officer.officer_id,
            "rank": officer.rank.value,
            "scheme": scheme_name(scheme),
            "created_at": created.isoformat(),
            "updated_at": updated.isoformat(),
            "version": version,
        }
        yield _copy_text(
            ids["case_id"], kind.value, ids["officer_id"], ids["rank"], state.value,
            "t" if is_open else "f", BENCH_POLICY.version, version, ids["created_at"],
            ids["updated_at"], due.isoformat() if due else None, template.leaving_date,
            template.text.format(**ids),
        )  # fmt: skip


async def _chunks(lines: Iterator[str]) -> AsyncIterator[bytes]:
    """The lines, CHUNK at a time: COPY's data as it is made, never all of it at once."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == CHUNK:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def sample_ids(count: int, size: int = 10_000) -> list[str]:
    """Ids of ``size`` seeded cases spread over all of them (for reads of single cases)."""
    step = max(1, count // size)
    return [case_id(n) for n in range(0, count, step)]


async def seed(database_url: str, count: int) -> list[str]:
    """``count`` cases in the read model by COPY, vacuumed; ids of a sample of them."""
    shape = Shape(count)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.copy_to_table(
            "cases",
            source=_chunks(_case_lines(shape, datetime.now(UTC))),
            columns=CASE_COLUMNS,
        )
        # Vacuumed as a long-lived read model would be, so autovacuum does not start mid-run.
        await connection.execute("VACUUM (ANALYZE) cases")
    finally:
        await connection.close()
    return sample_ids(count)


def _officer_rows(shape: Shape, now: datetime) -> Iterator[tuple[Any, ...]]:
    for member in roster(shape.officers):
        o, rank = member.truth.officer, member.rank.value
        if member.truth.redacted:
            yield (o.officer_id, o.name, rank, None, o.service_start, None,
                   o.pension_scheme.value, None, None, None, None, now)  # fmt: skip
        else:
            yield (o.officer_id, o.name, rank, o.date_of_birth, o.service_start,
                   o.annual_pay, o.pension_scheme.value, o.misconduct_pending, o.sex,
                   o.ethnicity, o.disability, None)  # fmt: skip


def _scheme_case_lines(shape: Shape) -> Iterator[str]:
    for number in range(shape.count):
        if shape.kind(number) is CaseKind.VOLUNTARY_EXIT:
            yield _copy_text(case_id(number), scheme_name(shape.scheme(number)))


def bench_scheme(number: int, newest: bool) -> Scheme:
    opens = date(2000, 1, 1) + timedelta(days=15 * number)
    return Scheme(
        name=scheme_name(number),
        policy_version=BENCH_POLICY.version,
        application_opens=opens if not newest else date(2000, 1, 1),
        application_closes=opens + timedelta(days=90) if not newest else date(2099, 12, 31),
        budget=Decimal(CASES_PER_SCHEME * 40_000),
        monthly_caps={Rank.CHIEF_SUPERINTENDENT: 200},
    )


async def seed_reports(pool: asyncpg.Pool, database_url: str, count: int) -> str:
    """What the scheme and equality reports read, around :func:`seed`'s ``count`` cases: the
    roster, the schemes (the newest in force) and their cases, the newest's invitations, a
    task for each open case. Returns the scheme in force."""
    shape = Shape(count)
    await add_policy(pool, BENCH_POLICY, "bench")
    for number in range(shape.schemes):
        await add_scheme(pool, bench_scheme(number, number == shape.schemes - 1), "bench")
    current = scheme_name(shape.schemes - 1)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.copy_records_to_table(
            "officers",
            records=_officer_rows(shape, datetime.now(UTC)),
            columns=OFFICER_COLUMNS,
        )
        await connection.copy_to_table(
            "scheme_cases",
            source=_chunks(_scheme_case_lines(shape)),
            columns=["case_id", "scheme"],
        )
        await connection.execute(
            """INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by, invited_at)
               SELECT $1, officer_id, 'bench', 'u_bench_admin', now() - interval '150 days'
               FROM officers WHERE rank = ANY($2::text[]) AND redacted_at IS NULL""",
            current,
            [r.value for r in BENCH_POLICY.eligible_ranks],
        )
        await connection.execute(
            """INSERT INTO tasks (case_id, kind, assignee_role, assignee_tier, opened_at,
                                  remind_at, due_at)
               SELECT case_id, state, CASE WHEN state = 'approval' THEN 'approver'
                                           ELSE 'caseworker' END,
                      CASE WHEN state = 'approval' THEN 'hr' END,
                      updated_at, due_at - interval '2 days', due_at
               FROM cases WHERE is_open"""
        )
        for table in ("officers", "scheme_cases", "scheme_invitations", "tasks"):
            await connection.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await connection.close()
    return current
