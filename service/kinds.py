"""The kinds of case the service runs, registered in one place.

Each registration says which workflow runs the case (by the name it is registered under with
Temporal: this module sits below ``workflows/``, and ``worker.py`` maps the names to the
classes it runs), who may start one, and the gate that must be open on the day it starts
(which actions its states allow is ``domain.actions``, which the workflows and the API both
read). The worker, the API's
authorisation and ``open_case`` all read this table; removing a registration removes the
kind everywhere and leaves the others as they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

import asyncpg

from domain.efficiency import RegulationRef
from domain.lifecycle import CaseKind
from domain.people import Role
from domain.scheme import Scheme
from store.regulations import regulation_in_force
from store.schemes import current_scheme


class KindNotAvailable(Exception):
    """No case of this kind may start today; the message says why, naming the date."""


class OutsideApplicationWindow(KindNotAvailable):
    """The scheme in force takes no applications today; the message names its window."""


@dataclass(frozen=True)
class Permit:
    """What an open gate hands to the new case: the regulation it runs under, if any."""

    regulation: RegulationRef | None = None
    # The scheme a voluntary case applies under, once an admin has added one.
    scheme: Scheme | None = None


Gate = Callable[[asyncpg.Pool, date], Awaitable[Permit]]


@dataclass(frozen=True)
class KindRegistration:
    kind: CaseKind
    workflow: str
    starters: frozenset[Role]
    gate: Gate


async def _scheme_window(pool: asyncpg.Pool, day: date) -> Permit:
    """Open inside the application window of the scheme in force; always open while no scheme
    has been added (cases then run under the current policy and its own window)."""
    scheme = await current_scheme(pool)
    if scheme is None:
        return Permit()
    problem = scheme.window_problem(day)
    if problem is not None:
        raise OutsideApplicationWindow(problem)
    return Permit(scheme=scheme)


async def _regulation_in_force(pool: asyncpg.Pool, day: date) -> Permit:
    record = await regulation_in_force(pool, day)
    if record is None:
        raise KindNotAvailable(
            f"no regulation in force on {day.isoformat()} permits efficiency retirement"
        )
    return Permit(
        regulation=RegulationRef(
            legal_reference=record.legal_reference,
            version=record.version,
            parameters=record.parameters,
        )
    )


KINDS: dict[CaseKind, KindRegistration] = {
    registration.kind: registration
    for registration in (
        KindRegistration(
            kind=CaseKind.VOLUNTARY_EXIT,
            workflow="VoluntaryExitWorkflow",
            starters=frozenset({Role.OFFICER, Role.CASEWORKER}),
            gate=_scheme_window,
        ),
        KindRegistration(
            kind=CaseKind.EFFICIENCY_RETIREMENT,
            workflow="EfficiencyRetirementWorkflow",
            starters=frozenset({Role.HR_MANAGER}),
            gate=_regulation_in_force,
        ),
    )
}
