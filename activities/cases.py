"""Activities of a case: the database side of every transition. Each one is idempotent."""

from __future__ import annotations

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity

from domain.officer import Officer
from domain.records import CaseEvent, ExitInstruction
from store import cases, officers, outbox

log = structlog.get_logger(__name__)


async def record(pool: asyncpg.Pool, event: CaseEvent) -> None:
    """Write one transition (``store.cases.apply_event``); a retry writes nothing more."""
    first_time = await cases.apply_event(pool, event)
    log.info(
        "case event recorded" if first_time else "case event already recorded",
        case_id=event.view.case_id,
        seq=event.audit.seq,
        action=event.audit.action,
        state=event.view.state.value,
    )


class OfficerLookup(BaseModel):
    """The argument of the officer look-ups: the case asking, and its officer."""

    case_id: str
    officer_id: str


class EntryFacts(BaseModel):
    """What deciding whether an officer may have a case needs from the database."""

    officer: Officer | None
    other_open_case: bool


class CaseActivities:
    """Holds the pool; Temporal calls the bound methods."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_event(self, event: CaseEvent) -> None:
        """Audit event, notices, read model and tasks of one transition, in one transaction."""
        await record(self._pool, event)

    @activity.defn
    async def load_officer(self, lookup: OfficerLookup) -> Officer | None:
        return await officers.get_officer(self._pool, lookup.officer_id)

    @activity.defn
    async def has_other_open_case(self, lookup: OfficerLookup) -> bool:
        return (
            await cases.other_open_case(self._pool, lookup.officer_id, lookup.case_id) is not None
        )

    @activity.defn
    async def entry_facts(self, lookup: OfficerLookup) -> EntryFacts:
        """``load_officer`` and ``has_other_open_case`` in one activity (both only read)."""
        return EntryFacts(
            officer=await self.load_officer(lookup),
            other_open_case=await self.has_other_open_case(lookup),
        )

    @activity.defn
    async def hand_off_exit(self, instruction: ExitInstruction) -> None:
        """Payroll or pension hand-off through the outbox: recorded exactly once per case."""
        created = await outbox.record_exit_instruction(self._pool, instruction)
        log.info(
            "exit instruction recorded" if created else "exit instruction already recorded",
            case_id=instruction.case_id,
            kind=instruction.kind,
        )
