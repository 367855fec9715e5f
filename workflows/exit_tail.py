"""The exit tail every kind of case ends with: the leaving date, exit processing, completion.

Voluntary exit and efficiency retirement reach it by different roads; from the leaving date on
they are the same case, so the steps live here once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from domain.case import ChecklistEntry, Task
    from domain.checklist import checklist_refusal
    from domain.clock import start_of_day
    from domain.commands import ChangeLeavingDate, Command, CompleteChecklistItem, StartCase
    from domain.documents import LetterKind
    from domain.lifecycle import AUTOMATIC_CHECKLIST_ITEMS, Action, CaseState, ChecklistItem
    from domain.people import SYSTEM_ACTOR, Actor, Role
    from domain.periods import subtract_period
    from domain.policy import SchemePolicy
    from domain.records import ExitInstruction, Notice, Recipient

from workflows.case_workflow import (
    ACTIVITY_RETRY,
    ACTIVITY_TIMEOUT,
    CaseWorkflow,
    _Alarm,
    refuse,
)


@dataclass
class AmountChange:
    """What moving the leaving date did to the amount: the audit details it adds, whether
    the case must go back to approval first, and whom to tell."""

    details: dict[str, Any] = field(default_factory=dict)
    needs_approval: bool = False
    notices: list[Notice] = field(default_factory=list)


class ExitTail(CaseWorkflow):
    """Subclasses set ``_policy`` (for the reminders) and say what is paid on exit."""

    _policy: SchemePolicy
    _leaving_reminders: list[tuple[str, datetime]]

    def _open(self, start: StartCase) -> None:
        """The case as submitted, under the policy it keeps for life."""
        self._policy = start.policy
        self._case = start.submitted_view(workflow.now())
        self._officer = None
        self._leaving_reminders = []
        self._init_machinery()

    def _exit_payment(self) -> Decimal | None:
        """Compensation the payroll instruction carries, if any."""
        raise NotImplementedError

    # The letter that confirms the exit.
    _completion_letter: LetterKind

    # -- leaving scheduled ----------------------------------------------------------------------

    def _set_leaving_date(self, leaving_date: date) -> None:
        """Set (or move) the date; the timer and the reminders before it re-arm from it."""
        self._case.leaving_date = leaving_date
        leaving_at = start_of_day(leaving_date)
        now = self._now()
        self._leaving_reminders = [
            (period, at)
            for period in self._policy.leaving_reminders_before
            if (at := subtract_period(leaving_at, period)) > now
        ]

    async def _wait_for_leaving_date(self) -> None:
        def leaving_at() -> datetime:
            # Set on acceptance, before this stage; a change while it waits moves, never clears it.
            assert self._case.leaving_date is not None
            return start_of_day(self._case.leaving_date)

        await self._wait_until(leaving_at, ChangeLeavingDate)
        await self._record("leaving_date_reached", SYSTEM_ACTOR, CaseState.EXIT_PROCESSING)

    def _stage_alarms(self) -> list[_Alarm]:
        if self._case.state is not CaseState.LEAVING_SCHEDULED:
            return []
        return [
            _Alarm(at, functools.partial(self._remind_leaving, period))
            for period, at in self._leaving_reminders
        ]

    async def _remind_leaving(self, period: str) -> None:
        self._leaving_reminders = [(p, at) for p, at in self._leaving_reminders if p != period]
        what = f"leaving date {self._case.leaving_date} is near"
        await self._record(
            "leaving_reminder_sent",
            SYSTEM_ACTOR,
            details={"before": period},
            notices=[
                self._notice(Recipient(officer_id=self._case.officer_id), "leaving_reminder", what),
                self._notice(Recipient(role=Role.CASEWORKER), "leaving_reminder", what),
            ],
        )

    async def _on_command(self, command: Command) -> None:
        if not isinstance(command, ChangeLeavingDate):
            await super()._on_command(command)
            return
        previous = self._case.leaving_date
        self._set_leaving_date(command.leaving_date)
        if self._case.acceptance is not None:
            self._case.acceptance.leaving_date = command.leaving_date
        moved_from = self._case.state
        change = await self._amount_on(command.leaving_date)
        await self._record(
            Action.CHANGE_LEAVING_DATE.value,
            command.actor,
            CaseState.APPROVAL if change.needs_approval else None,
            reason=command.reason,
            details={
                "from": previous.isoformat() if previous else None,
                "to": command.leaving_date.isoformat(),
                **change.details,
            },
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "leaving_date_changed",
                    "your leaving date has changed",
                ),
                *change.notices,
            ],
            letter=LetterKind.LEAVING_DATE_CHANGED,
        )
        if change.needs_approval:
            await self._approve_again(moved_from)

    async def _amount_on(self, leaving_date: date) -> AmountChange:
        """The amount paid on ``leaving_date``, where the scheme works it out again."""
        return AmountChange()

    async def _approve_again(self, back_to: CaseState) -> None:
        """Wait for the tiers a new amount needs, then return the case to ``back_to``."""
        raise NotImplementedError

    # -- exit processing ------------------------------------------------------------------------

    async def _process_exit(self) -> None:
        # The checklist opens, then the system records its own items on it, so the audit log
        # reads in that order. Cases that handed off first (before this patch) replay as they ran.
        opened_first = self._patched("exit-checklist-opened-first")
        if opened_first:
            await self._open_checklist()
        for item in AUTOMATIC_CHECKLIST_ITEMS:
            await self._hand_off(item)
        if not opened_first:
            await self._open_checklist()
        while not self._checklist_done():
            tick = await self._wait_for(CompleteChecklistItem)
            await self._tick(tick.item, tick.actor)

    async def _open_checklist(self) -> None:
        self._open_task(
            Task(kind="exit_checklist", assignee_role=Role.CASEWORKER, opened_at=self._now())
        )
        await self._record(
            "exit_checklist_opened",
            SYSTEM_ACTOR,
            notices=[
                self._notice(
                    Recipient(role=Role.CASEWORKER), "exit_checklist", "exit checklist due"
                )
            ],
        )

    async def _hand_off(self, item: ChecklistItem) -> None:
        """Payroll and pension instructions go through the outbox, recorded once per case."""
        assert self._case.leaving_date is not None
        payload = {
            "officer_id": self._case.officer_id,
            "leaving_date": self._case.leaving_date.isoformat(),
        }
        payment = self._exit_payment()
        if item is ChecklistItem.PAYROLL_INSTRUCTION and payment is not None:
            payload["compensation"] = f"{payment:.2f}"
        instruction = ExitInstruction(
            case_id=self._case.case_id,
            kind="payroll" if item is ChecklistItem.PAYROLL_INSTRUCTION else "pension",
            payload=payload,
        )
        if self._on_current_patches():
            # The tick's transaction records the instruction: one activity, not two.
            await self._tick(item, SYSTEM_ACTOR, hand_off=instruction)
            return
        await workflow.execute_activity_method(
            CaseActivities.hand_off_exit,
            instruction,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        await self._tick(item, SYSTEM_ACTOR)

    async def _tick(
        self, item: ChecklistItem, actor: Actor, hand_off: ExitInstruction | None = None
    ) -> None:
        self._case.checklist.append(
            ChecklistEntry(item=item, done_by=actor.user_id, done_at=self._now())
        )
        if self._checklist_done():
            self._close_tasks()
        await self._record(
            Action.COMPLETE_CHECKLIST_ITEM.value,
            actor,
            details={"item": item.value},
            hand_off=hand_off,
        )

    def _validate(self, action: Action, command: Command, *, queued: bool) -> None:
        super()._validate(action, command, queued=queued)
        if isinstance(command, CompleteChecklistItem) and (
            not queued or self._checklist_rules_when_queued()
        ):
            refusal = checklist_refusal(command.item, (e.item for e in self._case.checklist))
            if refusal is not None:
                raise refuse(*refusal)

    def _checklist_rules_when_queued(self) -> bool:
        """Whether the checklist rules hold again when an item leaves the inbox."""
        return True

    def _checklist_done(self) -> bool:
        return {e.item for e in self._case.checklist} >= set(ChecklistItem)

    async def _complete(self) -> None:
        await self._close(
            CaseState.COMPLETED, "exit_completed", SYSTEM_ACTOR, letter=self._completion_letter
        )
