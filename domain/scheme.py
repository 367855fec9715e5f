"""The scheme as a whole (issue 17): its record, its budget and its leavers by month.

A scheme names the policy its cases run under, the window in which officers may apply, the
budget in pounds and, optionally, how many officers of a rank may leave in one calendar month
(losing several chief superintendents in one month leaves districts without command). Versions
are kept like policies: the newest version of a scheme is the one in force. Pure rules only;
the figures come from ``store/schemes.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.bounds import Day, Within
from domain.case import CaseView
from domain.lifecycle import CaseState
from domain.officer import Rank
from domain.people import Actor

Pounds = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2), Within(0, 10**10)]
# A calendar month as people write it: 2026-07.
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]

# Scheme names appear in URLs and outbox keys: lower case, digits and hyphens.
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

# How far ahead a refusal looks for months with room, and how many it names.
_LOOK_AHEAD_MONTHS = 24
_MONTHS_NAMED = 3


class Scheme(BaseModel):
    """One version of a scheme, as an admin posts it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=2000)
    policy_version: str = Field(
        min_length=1, max_length=64, description="The scheme policy its cases start under."
    )
    application_opens: Day
    application_closes: Day
    budget: Pounds = Field(description="The scheme's budget in pounds, to the penny.")
    monthly_caps: dict[Rank, Annotated[int, Field(ge=1, le=10_000)]] = Field(
        default={},
        description="At most this many officers of the rank may leave in one calendar month; "
        "ranks not named have no cap.",
    )

    @model_validator(mode="after")
    def _window_in_order(self) -> Scheme:
        if self.application_closes < self.application_opens:
            raise ValueError("application_closes is before application_opens")
        return self

    def window_problem(self, day: date) -> str | None:
        """Why an application on ``day`` is refused, naming the window; None inside it."""
        if self.application_opens <= day <= self.application_closes:
            return None
        return (
            f"applications to the {self.name} scheme are accepted from "
            f"{self.application_opens} to {self.application_closes}"
        )


class SchemeVersion(BaseModel):
    """A stored version: the document and who added it when."""

    version: int
    scheme: Scheme
    created_by: str
    created_at: datetime


# -- leavers by month ---------------------------------------------------------------------------

# A case whose officer is leaving on its leaving date (or has left): accepted and on.
LEAVING_STATES = frozenset(
    {
        CaseState.ACCEPTED,
        CaseState.LEAVING_SCHEDULED,
        CaseState.EXIT_PROCESSING,
        CaseState.COMPLETED,
    }
)


# Every state in which a case can count against the budget or hold a place in a leaving month
# (_stage and is_leaving are None and false in any other): the store reads only these.
COUNTED_STATES = LEAVING_STATES | {CaseState.OFFER_MADE, CaseState.APPROVAL, CaseState.SUSPENDED}


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def is_leaving(view: CaseView) -> bool:
    """Whether the case holds a place in its leaving month (a suspended one keeps its place)."""
    state = view.suspended_from if view.state is CaseState.SUSPENDED else view.state
    accepted_again = state is CaseState.APPROVAL and view.acceptance is not None
    return view.leaving_date is not None and (state in LEAVING_STATES or accepted_again)


def leavers_by_month(leavers: Iterable[tuple[date, Rank]]) -> Counter[tuple[str, Rank]]:
    """How many leave in each (month, rank)."""
    return Counter((month_of(day), rank) for day, rank in leavers)


class LeaversRow(BaseModel):
    month: Month
    rank: Rank
    leavers: int
    cap: int | None
    room: int | None = Field(description="Places left under the cap; None without a cap.")


def leavers_table(scheme: Scheme, counts: Mapping[tuple[str, Rank], int]) -> list[LeaversRow]:
    """Every month and rank with leavers, against the scheme's caps, in month order."""
    rows = []
    for (month, rank), leavers in sorted(counts.items()):
        cap = scheme.monthly_caps.get(rank)
        rows.append(
            LeaversRow(
                month=month,
                rank=rank,
                leavers=leavers,
                cap=cap,
                room=None if cap is None else max(cap - leavers, 0),
            )
        )
    return rows


def cap_problem(
    scheme: Scheme, counts: Mapping[tuple[str, Rank], int], rank: Rank, leaving_date: date
) -> str | None:
    """Why one more officer of ``rank`` may not leave on ``leaving_date``, naming the month and
    the next months with room; None while the month has room (or the rank has no cap).

    ``counts`` are the leavers without the case asking.
    """
    cap = scheme.monthly_caps.get(rank)
    month = month_of(leaving_date)
    if cap is None or counts.get((month, rank), 0) < cap:
        return None
    room: list[str] = []
    candidate = month
    for _ in range(_LOOK_AHEAD_MONTHS):
        candidate = _next_month(candidate)
        if counts.get((candidate, rank), 0) < cap:
            room.append(candidate)
            if len(room) == _MONTHS_NAMED:
                break
    named = ", ".join(room) if room else f"none in the next {_LOOK_AHEAD_MONTHS} months"
    return (
        f"{month} already has {cap} {rank.value.replace('_', ' ')} leaver(s), the {scheme.name} "
        f"scheme's monthly cap; months with room: {named}"
    )


# -- budget and commitments ---------------------------------------------------------------------


class SpecialSeverance(BaseModel):
    """A case whose amount was adjusted above its calculated entitlement."""

    case_id: str
    state: CaseState
    amount: Decimal
    entitlement: Decimal
    above_entitlement: Decimal


class BudgetFigures(BaseModel):
    """The scheme's money: offered (awaiting an answer), committed (accepted, not yet paid),
    paid (completed), and what is left of the budget after all three."""

    budget: Decimal
    offered: Decimal
    committed: Decimal
    paid: Decimal
    remaining: Decimal
    special_severance: list[SpecialSeverance] = Field(
        description="Adjusted amounts above the calculation, listed apart; they are also "
        "counted in the figures above, by the state of their case."
    )


def _stage(view: CaseView) -> str | None:
    state = view.suspended_from if view.state is CaseState.SUSPENDED else view.state
    if state is CaseState.COMPLETED:
        return "paid"
    if is_leaving(view) or state in LEAVING_STATES:
        return "committed"
    if state is CaseState.OFFER_MADE:
        return "offered"
    return None


def case_amount(view: CaseView) -> Decimal | None:
    """What the case offers or has agreed to pay: the offer's amount once made."""
    if view.offer is not None and view.adjustment is None and view.acceptance is None:
        return Decimal(view.offer.amount)
    amount = view.amount
    return Decimal(amount) if amount is not None else None


def budget_figures(scheme: Scheme, views: Iterable[CaseView]) -> BudgetFigures:
    totals = {"offered": Decimal(0), "committed": Decimal(0), "paid": Decimal(0)}
    special: list[SpecialSeverance] = []
    for view in views:
        stage, amount = _stage(view), case_amount(view)
        if stage is None or amount is None:
            continue
        totals[stage] += amount
        entitlement = view.calculation.amount if view.calculation is not None else None
        if view.adjustment is not None and entitlement is not None and amount > entitlement:
            special.append(
                SpecialSeverance(
                    case_id=view.case_id,
                    state=view.state,
                    amount=amount,
                    entitlement=Decimal(entitlement),
                    above_entitlement=amount - Decimal(entitlement),
                )
            )
    spent = sum(totals.values(), Decimal(0))
    return BudgetFigures(
        budget=scheme.budget,
        remaining=scheme.budget - spent,
        special_severance=sorted(special, key=lambda s: s.case_id),
        **totals,
    )


class BudgetPosition(BaseModel):
    """What an approval sees: the budget, and what other cases have offered, committed and
    paid against it."""

    scheme: str
    budget: Decimal
    elsewhere: Decimal


def budget_warning(position: BudgetPosition | None, amount: Decimal) -> str | None:
    """The warning an approver sees when approving ``amount`` would take the scheme over budget;
    such an approval needs the executive tier, with a reason."""
    if position is None or position.elsewhere + amount <= position.budget:
        return None
    over = position.elsewhere + amount - position.budget
    return (
        f"approving {amount:.2f} takes the {position.scheme} scheme's offered and committed "
        f"amounts to {position.elsewhere + amount:.2f}, {over:.2f} over its budget of "
        f"{position.budget:.2f}: the executive tier must approve, giving a reason"
    )


# -- invitations --------------------------------------------------------------------------------


class InvitationRun(BaseModel):
    """The input of one invitation run, and what it carries across continue-as-new."""

    scheme: str
    run_id: str
    ranks: list[Rank]
    actor: Actor
    batch_size: int = Field(default=50, ge=1, le=500)
    batches_per_run: int = Field(
        default=20, ge=1, description="Batches before the workflow continues as new."
    )
    officer_ids: list[str] | None = None
    processed: int = 0
    invited: int = Field(default=0, description="Officers this run invited (not invited before).")
    not_eligible: int = Field(
        default=0, description="Officers of the ranks asked for whom the scheme's policy excludes."
    )
    reminder_day: date | None = None


class InvitationProgress(BaseModel):
    scheme: str
    run_id: str
    status: str = Field(
        description="listing, inviting, waiting_to_remind or done; unknown for a run whose "
        "figures are no longer kept (see the run's `state`)."
    )
    total: int | None
    processed: int
    invited: int = Field(description="Invited by this run; the rest were invited before.")
    not_eligible: int = Field(
        default=0,
        description="Officers of the ranks asked for whose rank the scheme's policy does not make "
        "eligible: not invited, and not counted in `total`.",
    )
    reminder_day: date | None = None
    reminded: int = 0


class RunFigures(BaseModel):
    """An invitation run's figures as its workflow records them in PostgreSQL once every officer
    is processed (and again after the reminders), so they outlast Temporal's retention."""

    progress: InvitationProgress
    finished_at: datetime = Field(description="When the last officer was processed.")
