"""The facts the equality monitoring report counts (``domain/equality.py`` does the counting):
every officer on the roster with their equality data, and the stages their cases reached.

Periods are London calendar days, inclusive at both ends; an unset end is open. A case counts
in the period it was opened in, an invitation in the one it was made in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import asyncpg

from domain.equality import CaseFacts, Person, age_band_births, case_stages
from domain.lifecycle import CaseKind, CaseState
from domain.officer import Rank
from domain.people import Tier
from store.pool import Connection

Executor = asyncpg.Pool | Connection

# What the report needs of a case, read out of its view without loading the whole of it: the
# cases of one kind opened from day $2 to day $3 and, for voluntary exit, under the scheme $4.
CASE_FACTS = """
    SELECT c.officer_id, c.kind, c.state,
           ARRAY(SELECT r->>'code' FROM jsonb_array_elements(c.view->'ineligibility') r)
               AS ineligibility,
           ARRAY(SELECT jsonb_array_elements_text(c.view->'required_tiers')) AS required_tiers,
           ARRAY(SELECT a->>'tier' FROM jsonb_array_elements(c.view->'approvals') a
                 WHERE (a->>'approved')::boolean) AS approved_tiers,
           jsonb_typeof(c.view->'offer') = 'object' AS offered,
           jsonb_typeof(c.view->'acceptance') = 'object' AS accepted,
           c.view #>> '{efficiency,notice_served_on}' IS NOT NULL AS notice_served,
           EXISTS (SELECT 1 FROM jsonb_array_elements(
                       coalesce(c.view #> '{efficiency,panel_decisions}', '[]'::jsonb)) d
                   WHERE d->>'outcome' = 'confirm') AS confirmed
    FROM cases c LEFT JOIN scheme_cases s USING (case_id)
    WHERE c.kind = $1
      AND ($2::date IS NULL OR (c.created_at AT TIME ZONE 'Europe/London')::date >= $2)
      AND ($3::date IS NULL OR (c.created_at AT TIME ZONE 'Europe/London')::date <= $3)
      AND ($4::text IS NULL OR s.scheme = $4)
"""


def _facts(row: asyncpg.Record) -> CaseFacts:
    return CaseFacts(
        kind=CaseKind(row["kind"]),
        state=CaseState(row["state"]),
        ineligibility=tuple(row["ineligibility"]),
        required_tiers=tuple(Tier(t) for t in row["required_tiers"]),
        approved_tiers=tuple(Tier(t) for t in row["approved_tiers"]),
        offered=row["offered"],
        accepted=row["accepted"],
        notice_served=row["notice_served"],
        confirmed=row["confirmed"],
    )


POOL = frozenset({"pool"})

# The pool (officers of ranks $1) and whoever reached a stage ($2): officers of other ranks who
# reached nothing would be dropped anyway, and at a force's size most are.
ROSTER = """SELECT officer_id, rank, sex, ethnicity, disability, date_of_birth,
                   redacted_at IS NOT NULL AS redacted
            FROM officers
            WHERE rank = ANY($1::text[]) OR officer_id = ANY($2::text[])"""


async def _people(
    executor: Executor, reached: dict[str, set[str]], pool_ranks: frozenset[Rank]
) -> list[Person]:
    """Everyone on the roster in the pool (of ``pool_ranks``) or with a stage (each of whom has
    at least one)."""
    rows = await executor.fetch(ROSTER, [r.value for r in pool_ranks], list(reached))
    people = []
    for officer_id, rank, sex, ethnicity, disability, born, redacted in rows:
        stages = frozenset(reached.get(officer_id, ()))
        if rank in pool_ranks:
            # Those who reached nothing share one set of stages.
            stages = stages | POOL if stages else POOL
        people.append(Person(sex, ethnicity, disability, born, redacted, stages))
    return people


INVITED = """
    SELECT officer_id FROM scheme_invitations WHERE scheme = $1
      AND ($2::date IS NULL OR (invited_at AT TIME ZONE 'Europe/London')::date >= $2)
      AND ($3::date IS NULL OR (invited_at AT TIME ZONE 'Europe/London')::date <= $3)"""


async def scheme_people(
    executor: Executor,
    scheme: str,
    eligible_ranks: frozenset[Rank],
    period_from: date | None,
    period_to: date | None,
) -> list[Person]:
    """Voluntary exit under ``scheme``: the pool is the roster's officers of the ranks the
    scheme's policy makes eligible; invitations and cases count when made in the period."""
    reached: dict[str, set[str]] = defaultdict(set)
    invited = await executor.fetch(INVITED, scheme, period_from, period_to)
    for row in invited:
        reached[row["officer_id"]].add("invited")
    cases = await executor.fetch(
        CASE_FACTS, CaseKind.VOLUNTARY_EXIT.value, period_from, period_to, scheme
    )
    for row in cases:
        reached[row["officer_id"]] |= case_stages(_facts(row))
    return await _people(executor, reached, eligible_ranks)


def pool_by_band(births: int) -> str:
    """The officers not in $1, counted by sex, ethnicity, disability, age band and whether
    redacted; a band is given as its date from ``age_band_births``, passed as $2 onwards."""
    whens = " ".join(
        f"WHEN o.date_of_birth > ${i + 3}::date THEN ${i + 2}::date" for i in range(births - 1)
    )
    return f"""
        SELECT o.sex, o.ethnicity, o.disability,
               CASE WHEN o.date_of_birth IS NULL THEN NULL {whens} ELSE ${births + 1}::date END,
               o.redacted_at IS NOT NULL, count(*)::int
        FROM officers o LEFT JOIN unnest($1::text[]) AS r(officer_id) USING (officer_id)
        WHERE r.officer_id IS NULL
        GROUP BY 1, 2, 3, 4, 5"""  # noqa: S608 (placeholders only)


async def efficiency_people(
    executor: Executor, period_from: date | None, period_to: date | None, as_of: date
) -> list[Person]:
    """Efficiency retirement: the pool is the whole roster; cases count when proposed in the
    period. Officers who reached a stage come one by one; the rest of the roster (nearly all
    of it) comes counted by group, as ages fall on ``as_of``, rather than a row per officer."""
    reached: dict[str, set[str]] = defaultdict(set)
    cases = await executor.fetch(
        CASE_FACTS, CaseKind.EFFICIENCY_RETIREMENT.value, period_from, period_to, None
    )
    for row in cases:
        reached[row["officer_id"]] |= case_stages(_facts(row)) | POOL  # everyone is in it
    people = await _people(executor, reached, frozenset())
    births = age_band_births(as_of)
    groups = await executor.fetch(pool_by_band(len(births)), list(reached), *births)
    people += [
        Person(sex, ethnicity, disability, born, redacted, POOL, officers)
        for sex, ethnicity, disability, born, redacted, officers in groups
    ]
    return people
