"""Equality monitoring (issue 17, item 5): who reaches each stage of the scheme, or of efficiency
retirement, by sex, ethnicity, disability and age band; the rate of each stage for each group,
its ratio to the most favourable group's rate (the four-fifths indicator), Fisher's exact test
of the difference, and small-number suppression. Pure computation: ``store/equality.py`` reads
the facts, and docs/equality.md explains the choices.

Counts are of officers, not cases: an officer with two cases in the period counts once at each
stage either case reached. Every stage an officer can only reach through another (accepted
through offered, say) is counted that way, so published counts obey the same inequalities the
suppression test lets an attacker use.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import fisher_exact

from domain.compensation import age_on
from domain.lifecycle import CaseKind, CaseState
from domain.people import Tier

DIMENSIONS = ("sex", "ethnicity", "disability", "age_band")
NOT_RECORDED = "not recorded"
REDACTED = "redacted"
# Counts from 1 to 9 are shown as this and their rates withheld; so are the cells suppressed to
# protect them.
SUPPRESSED = "[c]"
SMALLEST_PUBLISHED = 10
FOUR_FIFTHS = 0.8
SCREENING_NOTE = (
    "The four-fifths indicator flags a group whose rate is below 0.8 of the most favourable "
    "group's rate. It is a screening guide, not a legal test: it points at figures to look "
    "into and proves nothing about discrimination. Fisher's exact test gives the chance of a "
    "difference at least as large arising by chance. Counts from 1 to 9, and counts that "
    "would let them be worked out, are shown as [c] with their rates withheld."
)
# Upper bounds of the age bands (inclusive), and the name of the band over the last one.
_AGE_BANDS = ((29, "under 30"), (39, "30-39"), (49, "40-49"), (54, "50-54"))
_OLDEST_BAND = "55 and over"


class ReportKind(StrEnum):
    VOLUNTARY_EXIT = CaseKind.VOLUNTARY_EXIT.value
    EFFICIENCY_RETIREMENT = CaseKind.EFFICIENCY_RETIREMENT.value


@dataclass(frozen=True)
class Stage:
    code: str
    label: str
    # The stage whose officers this stage's rate is counted out of.
    base: str | None
    # Stages every officer at this one has also reached (so its counts are at most theirs).
    within: tuple[str, ...] = ()
    # Whether reaching the stage is good for the officer: the most favourable group has the
    # highest rate of a favourable stage and the lowest rate of an adverse one.
    favourable: bool = True


INELIGIBLE_PREFIX = "ineligible:"

_VOLUNTARY = (
    Stage("pool", "eligible pool on the roster", None),
    Stage("invited", "invited", "pool"),
    Stage("applied", "applied", "pool"),
    Stage("ineligible", "found ineligible", "applied", ("applied",), favourable=False),
    Stage("approved", "approved", "applied", ("applied",)),
    Stage("offered", "offered", "applied", ("applied",)),
    Stage("accepted", "accepted", "offered", ("applied", "offered")),
    Stage("left", "left", "accepted", ("applied", "offered", "accepted")),
)
_EFFICIENCY = (
    Stage("pool", "officers on the roster", None),
    Stage("proposed", "proposed", "pool", (), favourable=False),
    Stage("notice_served", "notice served", "proposed", ("proposed",), favourable=False),
    Stage(
        "confirmed",
        "confirmed by the panel",
        "notice_served",
        ("proposed", "notice_served"),
        favourable=False,
    ),
    Stage("withdrawn", "withdrawn", "proposed", ("proposed",)),
)


def stages_of(kind: ReportKind, reasons: Iterable[str] = ()) -> tuple[Stage, ...]:
    """The report's stages, in order; voluntary exit has one per ineligibility reason seen."""
    if kind is ReportKind.EFFICIENCY_RETIREMENT:
        return _EFFICIENCY
    per_reason = tuple(
        Stage(
            INELIGIBLE_PREFIX + code,
            f"found ineligible: {code.replace('_', ' ')}",
            "applied",
            ("applied", "ineligible"),
            favourable=False,
        )
        for code in sorted(set(reasons))
    )
    return _VOLUNTARY[:4] + per_reason + _VOLUNTARY[4:]


@dataclass(frozen=True)
class CaseFacts:
    """What the report needs of one case, from its read model."""

    kind: CaseKind
    state: CaseState
    ineligibility: tuple[str, ...] = ()
    required_tiers: tuple[Tier, ...] = ()
    approved_tiers: tuple[Tier, ...] = ()
    offered: bool = False
    accepted: bool = False
    notice_served: bool = False
    confirmed: bool = False


def case_stages(case: CaseFacts) -> set[str]:
    """The stages one case reached, each implying those it is ``within``."""
    if case.kind is CaseKind.EFFICIENCY_RETIREMENT:
        reached = {"proposed"}
        if case.notice_served:
            reached.add("notice_served")
            if case.confirmed:
                reached.add("confirmed")
        if case.state is CaseState.RETIREMENT_WITHDRAWN:
            reached.add("withdrawn")
        return reached
    reached = {"applied"}
    if case.state is CaseState.INELIGIBLE:
        reached.add("ineligible")
        reached |= {INELIGIBLE_PREFIX + code for code in case.ineligibility}
    if case.required_tiers and set(case.required_tiers) <= set(case.approved_tiers):
        reached.add("approved")
    if case.offered:
        reached.add("offered")
        if case.accepted:
            reached.add("accepted")
            if case.state is CaseState.COMPLETED:
                reached.add("left")
    return reached


class Person(NamedTuple):
    """One officer: equality data from the roster (None when not recorded; all None once the
    officer's personal data has been redacted) and the stages they reached.

    ``officers`` officers share these facts: the store counts those who reached no stage
    together (see ``age_band_births``). A tuple rather than a frozen dataclass, as reports are
    made of many.
    """

    sex: str | None
    ethnicity: str | None
    disability: str | None
    date_of_birth: date | None
    redacted: bool
    stages: frozenset[str] = frozenset()
    officers: int = 1


def age_band(born: date | None, on: date, redacted: bool) -> str:
    if born is None:
        return REDACTED if redacted else NOT_RECORDED
    age = age_on(born, on)
    for top, name in _AGE_BANDS:
        if age <= top:
            return name
    return _OLDEST_BAND


def _youngest_birth_outside(top: int, on: date) -> date:
    """The latest birth date of someone older than ``top`` on ``on``, as ``age_on`` counts
    (a birthday on 29 February included): ages only grow as birth dates get earlier."""
    earliest, latest = date.min.toordinal(), on.toordinal()
    if age_on(date.fromordinal(earliest), on) <= top:
        return date.min  # nobody born since the calendar began is that old yet
    while latest - earliest > 1:
        middle = (earliest + latest) // 2
        if age_on(date.fromordinal(middle), on) > top:
            earliest = middle
        else:
            latest = middle
    return date.fromordinal(earliest)


def age_band_births(on: date) -> tuple[date, ...]:
    """A date for each age band on ``on``, youngest band first: the report date, then for each
    band's top age the latest birth date of someone older.

    Someone born after the second date is in the youngest band; after the third (and not the
    second) in the next; and so on; on or before the last, in the oldest. So the store counts
    officers by band without knowing the bands, giving each group its band's date as its
    ``date_of_birth``: ``age_band`` of that date is the band.
    """
    tops = [top for top, _ in _AGE_BANDS]
    outside = [_youngest_birth_outside(top, on) for top in tops]
    return (on, *outside)


def group_of(person: Person, dimension: str, on: date) -> str:
    if dimension == "age_band":
        return age_band(person.date_of_birth, on, person.redacted)
    value: str | None = getattr(person, dimension)
    if value is None or not value.strip():
        return REDACTED if person.redacted else NOT_RECORDED
    return value.strip()


# -- the report -----------------------------------------------------------------------------

Published = int | str


class GroupFigures(BaseModel):
    group: str
    count: Published = Field(description="Officers at the stage, or [c] when suppressed.")
    rate: float | None = Field(
        default=None,
        description="count / the base stage's count for the group; withheld (null) when either "
        "is suppressed or the base is 0.",
    )
    ratio: float | None = Field(
        default=None, description="The rate against the most favourable group's rate."
    )
    below_four_fifths: bool | None = None
    fisher_p: float | None = Field(
        default=None,
        description="Two-sided Fisher's exact test of this group against the most favourable.",
    )


class StageFigures(BaseModel):
    stage: str
    label: str
    base: str | None
    favourable: bool
    most_favourable_group: str | None
    total: GroupFigures
    groups: list[GroupFigures]


class DimensionFigures(BaseModel):
    dimension: str
    groups: list[str]
    stages: list[StageFigures]


class EqualityReport(BaseModel):
    kind: ReportKind
    scheme: str | None
    period_from: date | None
    period_to: date | None
    as_of: date = Field(description="The report date; ages are worked out on it.")
    note: str = SCREENING_NOTE
    dimensions: list[DimensionFigures]


Counts = dict[str, dict[str, int]]  # stage -> group -> officers
TOTAL = "total"


def count(
    people: Sequence[Person], stages: Sequence[Stage], dimension: str, on: date
) -> tuple[list[str], Counts]:
    """Officers per stage and group, with every group of the dimension, and the total."""
    # Tallied by (group, stages) first: with the whole roster as the pool, most of a force's
    # officers share one of a few hundred such pairs, so the stages are walked per pair.
    tally: Counter[tuple[str, frozenset[str]]] = Counter()
    for person in people:
        tally[group_of(person, dimension, on), person.stages] += person.officers
    groups = sorted({group for group, _ in tally})
    counts: Counts = {s.code: dict.fromkeys([*groups, TOTAL], 0) for s in stages}
    for (group, reached), officers in tally.items():
        for stage in stages:
            if stage.code in reached:
                counts[stage.code][group] += officers
                counts[stage.code][TOTAL] += officers
    return groups, counts


Cell = tuple[str, str]  # (stage, group or TOTAL)
SHARED_GROUPS = frozenset({TOTAL, REDACTED})


def sign_of(group: str) -> int:
    """A row reads: the groups' counts minus the total make 0."""
    return -1 if group == TOTAL else 1


def _bounds(
    cell: Cell, counts: Counts, hidden: set[Cell], stages: Mapping[str, Stage]
) -> tuple[float, float]:
    """What a reader knows of a hidden cell before the row's sum: 1 to 9 for a small count,
    10 or more for one hidden to protect others, narrowed by published counts of the stages it
    lies within (upper bounds) and of the stages within it (lower bounds)."""
    stage, group = cell
    value = counts[stage][group]
    low: float = 1 if value < SMALLEST_PUBLISHED else SMALLEST_PUBLISHED
    high: float = SMALLEST_PUBLISHED - 1 if value < SMALLEST_PUBLISHED else math.inf
    for outer in stages[stage].within:
        if (outer, group) not in hidden:
            high = min(high, counts[outer][group])
    for inner in stages.values():
        if stage in inner.within and (inner.code, group) not in hidden:
            low = max(low, counts[inner.code][group])
    return low, high


def _pinned_row(
    stage: str,
    groups: Sequence[str],
    counts: Counts,
    hidden: set[Cell],
    stages: Mapping[str, Stage],
) -> bool:
    """Whether a reader could work out a hidden cell of the row from the published ones: the
    groups sum to the total, and each hidden cell lies within its bounds."""
    row = [(stage, g) for g in [*groups, TOTAL]]
    secret = [c for c in row if c in hidden]
    if not secret:
        return False
    bounds = {c: _bounds(c, counts, hidden, stages) for c in secret}
    sign = {c: sign_of(c[1]) for c in secret}
    known = sum(
        (-counts[stage][g] if g == TOTAL else counts[stage][g])
        for s, g in row
        if (s, g) not in hidden
    )
    rest = -known
    for cell in secret:
        others = [c for c in secret if c != cell]
        # sign[cell] * x = rest - sum(sign[o] * x_o)
        low_others = sum(bounds[o][0] if sign[o] > 0 else -bounds[o][1] for o in others)
        high_others = sum(bounds[o][1] if sign[o] > 0 else -bounds[o][0] for o in others)
        if sign[cell] > 0:
            low, high = rest - high_others, rest - low_others
        else:
            low, high = low_others - rest, high_others - rest
        low, high = max(low, bounds[cell][0]), min(high, bounds[cell][1])
        if low >= high:
            return True
    return False


def suppress(
    tables: Mapping[str, tuple[list[str], Counts]], stages: Sequence[Stage]
) -> set[tuple[str, str, str]]:
    """Hidden cells as (dimension, stage, group or TOTAL).

    Primary: every count from 1 to 9. Secondary: while a reader could work out a hidden cell
    from its row's total and bounds, hide the smallest published non-zero group of that row
    (the total when none is left). The total, and the redacted group (whose officers have lost
    every value at once), are the same officers in every dimension's table, so one of their
    cells hidden in one table is hidden in all.
    """
    by_code = {s.code: s for s in stages}
    hidden = {
        d: {
            (s, g)
            for s, row in counts.items()
            for g, v in row.items()
            if 0 < v < SMALLEST_PUBLISHED
        }
        for d, (_, counts) in tables.items()
    }
    changed = True
    while changed:
        changed = False
        shared = {c for cells in hidden.values() for c in cells if c[1] in SHARED_GROUPS}
        for dimension, (groups, counts) in tables.items():
            cells = hidden[dimension]
            if not shared <= cells:
                cells |= shared
                changed = True
            for stage in by_code:
                while _pinned_row(stage, groups, counts, cells, by_code):
                    open_groups = [
                        g for g in groups if (stage, g) not in cells and counts[stage][g] > 0
                    ]
                    if open_groups:
                        cells.add((stage, min(open_groups, key=lambda g: (counts[stage][g], g))))
                    elif (stage, TOTAL) not in cells:
                        cells.add((stage, TOTAL))
                    else:
                        break
                    changed = True
    return {(d, s, g) for d, cells in hidden.items() for s, g in cells}


def _rate(stage: Stage, group: str, counts: Counts, hidden: set[Cell]) -> float | None:
    if stage.base is None:
        return None
    base = counts[stage.base][group]
    if base == 0 or (stage.code, group) in hidden or (stage.base, group) in hidden:
        return None
    return counts[stage.code][group] / base


def _outcome(stage: Stage, rate: float) -> float:
    """The rate of the good outcome: reaching a favourable stage, or avoiding an adverse one
    (the four-fifths indicator compares rates of the good outcome)."""
    return rate if stage.favourable else 1 - rate


def stage_figures(
    stage: Stage, groups: Sequence[str], counts: Counts, hidden: set[Cell]
) -> StageFigures:
    rates = {g: _rate(stage, g, counts, hidden) for g in groups}
    shown = {g: r for g, r in rates.items() if r is not None}
    best = max(shown, key=lambda g: (_outcome(stage, shown[g]), g)) if shown else None

    def figures(group: str) -> GroupFigures:
        hidden_count = (stage.code, group) in hidden
        value: Published = SUPPRESSED if hidden_count else counts[stage.code][group]
        rate = rates[group] if group != TOTAL else _rate(stage, TOTAL, counts, hidden)
        out = GroupFigures(group=group, count=value, rate=rate)
        if group == TOTAL or rate is None or best is None or stage.base is None:
            return out
        reference = _outcome(stage, shown[best])
        out.ratio = _outcome(stage, rate) / reference if reference > 0 else None
        out.below_four_fifths = out.ratio is not None and out.ratio < FOUR_FIFTHS
        if group != best:
            a, n = counts[stage.code][group], counts[stage.base][group]
            b, m = counts[stage.code][best], counts[stage.base][best]
            out.fisher_p = float(fisher_exact(np.array([[a, n - a], [b, m - b]])).pvalue)
        return out

    return StageFigures(
        stage=stage.code,
        label=stage.label,
        base=stage.base,
        favourable=stage.favourable,
        most_favourable_group=best,
        total=figures(TOTAL),
        groups=[figures(g) for g in groups],
    )


def equality_report(
    kind: ReportKind,
    people: Sequence[Person],
    *,
    as_of: date,
    scheme: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> EqualityReport:
    reasons = {
        s.removeprefix(INELIGIBLE_PREFIX)
        for p in people
        for s in p.stages
        if s.startswith(INELIGIBLE_PREFIX)
    }
    stages = stages_of(kind, reasons)
    tables = {d: count(people, stages, d, as_of) for d in DIMENSIONS}
    hidden = suppress(tables, stages)
    dimensions = []
    for dimension, (groups, counts) in tables.items():
        cells = {(s, g) for d, s, g in hidden if d == dimension}
        dimensions.append(
            DimensionFigures(
                dimension=dimension,
                groups=groups,
                stages=[stage_figures(s, groups, counts, cells) for s in stages],
            )
        )
    return EqualityReport(
        kind=kind,
        scheme=scheme,
        period_from=period_from,
        period_to=period_to,
        as_of=as_of,
        dimensions=dimensions,
    )


CSV_COLUMNS = (
    "dimension",
    "group",
    "stage",
    "count",
    "rate",
    "ratio_to_most_favourable",
    "below_four_fifths",
    "fisher_p",
)


def csv_rows(report: EqualityReport) -> list[list[str]]:
    """The report as CSV rows (header first); the note is the last row."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.4f}"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    rows = [list(CSV_COLUMNS)]
    for dimension in report.dimensions:
        for stage in dimension.stages:
            for figures in [*stage.groups, stage.total]:
                rows.append(
                    [
                        dimension.dimension,
                        figures.group,
                        stage.stage,
                        text(figures.count),
                        text(figures.rate),
                        text(figures.ratio),
                        text(figures.below_four_fifths),
                        text(figures.fisher_p),
                    ]
                )
    rows.append(["note", "", "", SCREENING_NOTE, "", "", "", ""])
    return rows
