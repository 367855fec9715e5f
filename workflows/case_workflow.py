"""What every case workflow shares: the inbox of actions, recording, deadlines, suspension.

A case workflow is a single writer. Update handlers only validate an action and queue it; the
workflow's run method takes actions from the queue in the order the lifecycle expects them and
records each transition. The Update returns once the run method has moved the case as far as it
can, with the case's version then: every transition it made is in the read model by that time
(``record_event`` writes the view before the workflow moves on), and callers read the case
there rather than have the whole case carried back through Temporal in every Update's result.
"""

from __future__ import annotations

import contextlib
import functools
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NoReturn, TypeVar, overload

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities, EntryFacts, OfficerLookup
    from activities.letters import LetterActivities
    from config import search_attributes
    from config.queues import letters_queue
    from domain.actions import refusal
    from domain.calendar import add_working_days
    from domain.case import CaseOutcome, CaseView, Task
    from domain.clock import local_date, same_time_on
    from domain.commands import (
        ACTION_OF,
        COMMANDS,
        Command,
        Reassign,
        Refusal,
        Resume,
        Suspend,
        Withdraw,
    )
    from domain.documents import LetterKind, LetterRef
    from domain.eligibility import IneligibilityReason
    from domain.errors import CalculationError
    from domain.letters import DEFAULT_VERSION, LetteredEvent, LetterFacts, LetterRequest
    from domain.lifecycle import CALCULATION_FAILED, Action, CaseState
    from domain.officer import Officer
    from domain.people import SYSTEM_ACTOR, Actor, Role
    from domain.periods import add_period
    from domain.policy import Deadline, ServiceLevel
    from domain.records import (
        AuditEntry,
        CaseEvent,
        ExitInstruction,
        Notice,
        Recipient,
        announce_letter,
        notice,
    )

C = TypeVar("C", bound=Command)
D = TypeVar("D", bound=Command)
E = TypeVar("E", bound=Command)

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Cases write letters from this patch on; one that ran before it writes none, on replay or after.
LETTERS = "letters"
# Cases that start from this patch on take every branch of the patches before it (EARLIER_PATCHES)
# on one marker, not a marker per patch; the SDK adds a search-attribute upsert to each marker, so
# a voluntary case records 12 fewer events. It also brings its own change: a step that took two
# activities takes one (the letter with its event, the hand-off with its checklist tick, the
# officer with whether they have another open case). Cases that started before it replay each
# patch as they ran: on them this one answers False from their first step on, for the whole run.
CURRENT_PATCHES = "patches-2026-11"
EARLIER_PATCHES = frozenset(
    {
        "calculation-errors-need-attention",
        "upsert-changed-search-attributes",
        "pensionable-service-rules",
        "queued-calculation-errors-refused",
        LETTERS,
        "exit-checklist-opened-first",
        "final-day-amount",
        "offer-date-in-notice-window",
        "scheme-budget-executive-tier",
        "efficiency-policy-service-year",
        "efficiency-checklist-rules",
    }
)
# Databases blip: keep retrying, but never faster than this, and back off to a minute.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)


class CaseClosed(Exception):
    """Unwinds the lifecycle once the case reaches a final state."""


@dataclass
class Inbound:
    """An accepted action waiting for the run method, and what became of it."""

    action: Action
    command: Command
    done: bool = False
    refusal: ApplicationError | None = None


@dataclass
class _Alarm:
    at: datetime
    fire: Callable[[], Any] = field(compare=False)


def refuse(refusal: Refusal, detail: str, *details: Any) -> ApplicationError:
    return ApplicationError(detail, *details, type=refusal.value, non_retryable=True)


class CaseWorkflow:
    """Base of the case workflows. Subclasses write the lifecycle in their run method."""

    _case: CaseView
    _officer: Officer | None
    _inbox: deque[Inbound]
    _current: Inbound | None

    def _init_machinery(self) -> None:
        self._inbox = deque()
        self._current = None

    async def _live(self, lifecycle: Callable[[], Awaitable[None]]) -> CaseOutcome:
        """Run the lifecycle until it closes the case, then answer whatever is still queued.

        A ``CalculationError`` (the case's own figures are beyond what the calendar or the
        arithmetic can hold) stops the case for a person. Any other exception is a bug, and
        fails the workflow task, which Temporal retries until a fixed worker is deployed.
        """
        with contextlib.suppress(CaseClosed):
            try:
                await lifecycle()
            except CalculationError as error:
                # Before this branch such a case failed its workflow task for ever; a stuck
                # case takes the branch once a worker with it is deployed.
                if not self._patched("calculation-errors-need-attention"):
                    raise
                await self._hold_for_attention(error)
        self._release_all()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(case_id=self._case.case_id, state=self._case.state)

    # -- reading the case -------------------------------------------------------------------

    @workflow.query(name="case")
    def case(self) -> CaseView:
        return self._case

    @workflow.query(name="state")
    def state(self) -> CaseState:
        """Just the state: no personal data, and a fraction of the cost of ``case`` to answer,
        for operators and for anything that polls a case until it moves."""
        return self._case.state

    def _now(self) -> datetime:
        return workflow.now()

    # -- patches --------------------------------------------------------------------------------

    def _on_current_patches(self) -> bool:
        """Whether the case started under ``CURRENT_PATCHES`` (answered once, for the run)."""
        return workflow.patched(CURRENT_PATCHES)

    def _patched(self, patch_id: str) -> bool:
        """``workflow.patched(patch_id)``, answered True without a marker of its own on cases
        that started under ``CURRENT_PATCHES``. Only for the patches that one covers: a later
        patch is checked with ``workflow.patched`` itself, as cases started before it ran
        without it."""
        if patch_id not in EARLIER_PATCHES:
            raise ValueError(f"patch {patch_id!r} is not one of those {CURRENT_PATCHES} covers")
        return self._on_current_patches() or workflow.patched(patch_id)

    def _index(self) -> None:
        """Keep the search attributes (state, soonest deadline) in step with the case.

        Only values that changed are sent: each upsert is an event in the history and a write
        to the visibility store, and most events (reminders, checklist items) change neither.
        Histories from before this (every event upserted) replay through the unpatched branch.
        """
        due = [t.due_at for t in self._case.tasks if t.due_at is not None]
        updates: list[SearchAttributeUpdate[Any]] = [
            search_attributes.CASE_STATE.value_set(self._case.state.value),
            search_attributes.CASE_DUE_AT.value_set(min(due))
            if due
            else search_attributes.CASE_DUE_AT.value_unset(),
        ]
        if self._patched("upsert-changed-search-attributes"):
            current = workflow.info().typed_search_attributes
            updates = [u for u in updates if current.get(u.key) != u.value]
            if not updates:
                return
        workflow.upsert_search_attributes(updates)

    def _today(self) -> date:
        return local_date(self._now())

    def _pensionable_service(self) -> bool:
        """Whether service is pensionable service (the pension record, whole years and days).

        Cases that applied, were reviewed or checked a precondition before it was an input replay
        with the calendar count (days since service_start / 365), and keep it for every later
        figure: the SDK answers a patch id the same way for the whole run.
        """
        return self._patched("pensionable-service-rules")

    async def _load_officer(self) -> Officer | None:
        """The officer as the roster has them now (personal data: kept in the workflow only)."""
        self._officer = await workflow.execute_activity_method(
            CaseActivities.load_officer,
            OfficerLookup(case_id=self._case.case_id, officer_id=self._case.officer_id),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        return self._officer

    async def _entry_facts(self) -> EntryFacts:
        """The officer as the roster has them now, and whether they have another open case."""
        lookup = OfficerLookup(case_id=self._case.case_id, officer_id=self._case.officer_id)
        if self._on_current_patches():
            facts = await workflow.execute_activity_method(
                CaseActivities.entry_facts,
                lookup,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            self._officer = facts.officer
            return facts
        officer = await self._load_officer()
        other_open_case = await workflow.execute_activity_method(
            CaseActivities.has_other_open_case,
            lookup,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        return EntryFacts(officer=officer, other_open_case=other_open_case)

    async def _check_entry(
        self, action: str, assess: Callable[[Officer, bool], list[IneligibilityReason]]
    ) -> None:
        """Close the case as ineligible, with every reason, unless the officer as the roster
        has them now may have it: ``assess`` is the kind's rule (given the officer, and whether
        they have another open case). The caller records the case moving on."""
        entry = await self._entry_facts()
        officer, other_open_case = entry.officer, entry.other_open_case
        if officer is None:
            reasons = [
                IneligibilityReason(code="not_on_roster", detail="officer not on the roster")
            ]
        else:
            reasons = assess(officer, other_open_case)
        if reasons:
            self._case.ineligibility = reasons
            await self._close(
                CaseState.INELIGIBLE,
                action,
                SYSTEM_ACTOR,
                reason="; ".join(r.detail for r in reasons),
                details={"reasons": [r.code for r in reasons]},
                letter=LetterKind.INELIGIBLE,
            )

    # -- actions arrive as Updates named after the action ------------------------------------

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> int:
        """The version the action left the case at. Updates recorded before this returned the
        whole case; replaying them is unaffected, as a replay does not compare Update results
        with the history's (tests/workflows/test_replay.py replays such histories)."""
        action, command = self._decode(name, args)
        return await self._accept(action, command)

    @act.validator
    def _validate_act(self, name: str, args: Sequence[RawValue]) -> None:
        action, command = self._decode(name, args)
        self._checked_validate(action, command, queued=False)

    def _decode(self, name: str, args: Sequence[RawValue]) -> tuple[Action, Command]:
        try:
            action = Action(name)
        except ValueError:
            raise refuse(Refusal.INVALID_INPUT, f"there is no action '{name}'") from None
        if len(args) != 1:
            raise refuse(Refusal.INVALID_INPUT, f"'{name}' takes exactly one argument")
        try:
            command = workflow.payload_converter().from_payload(args[0].payload, COMMANDS[action])
        except Exception as error:  # the converter wraps pydantic's errors in its own
            raise refuse(Refusal.INVALID_INPUT, f"'{name}' was sent a malformed body") from error
        return action, command

    # -- validation (runs before anything is written to history; must not change state) ----

    def _checked_validate(self, action: Action, command: Command, *, queued: bool) -> None:
        """``_validate``, refusing an action whose rules the case's figures cannot compute
        (the notice window, say): nothing about the case has changed, so it is a refusal."""
        try:
            self._validate(action, command, queued=queued)
        except CalculationError:
            # Cases that ran before this (and stopped instead) replay as they ran.
            if queued and not self._patched("queued-calculation-errors-refused"):
                raise
            raise refuse(
                Refusal.INVALID_STATE,
                f"'{action.value}' cannot be checked: the case's figures could not be computed",
            ) from None

    def _validate(self, action: Action, command: Command, *, queued: bool) -> None:
        """Everything that may refuse an action; subclasses add their action-specific rules.

        It runs when the action arrives (``queued`` False: the Update's validator, which writes
        no history) and again when the run method takes it off the inbox (``queued`` True: on
        replay too, so a rule added there for running cases needs ``workflow.patched``).
        """
        self._check(action, command)

    def _check(self, action: Action, command: Command) -> None:
        """Refuse an action that the state, the actor's role, link or tier, a stale version or
        four eyes forbid: ``domain.actions.refusal``, the rule the API offers actions by.

        Checked here, against the case as the workflow holds it, and again when the action
        leaves the inbox: an action queued behind another that changed the case is stale.
        """
        refused = refusal(self._case, action, command.actor, version=command.version)
        if refused is not None:
            kind, detail = refused
            # A stale action carries the version now, for the caller to read the case again.
            raise refuse(kind, detail, *([self._case.version] if kind is Refusal.STALE else []))

    # -- the inbox ----------------------------------------------------------------------------

    async def _accept(self, action: Action, command: Command) -> int:
        """Queue a validated action and return the case's version once the run method has dealt
        with it."""
        item = Inbound(action, command)
        self._inbox.append(item)
        await workflow.wait_condition(lambda: item.done)
        if item.refusal is not None:
            raise item.refusal
        return self._case.version

    def _finish_current(self) -> None:
        if self._current is not None:
            self._current.done = True
            self._current = None

    def _refuse_current(self, refusal: ApplicationError) -> None:
        assert self._current is not None
        self._current.refusal = refusal
        self._finish_current()

    def _release_all(self) -> None:
        """At the end, answer whatever is still queued: the case has closed under it."""
        self._finish_current()
        while self._inbox:
            item = self._inbox.popleft()
            item.refusal = refuse(
                Refusal.INVALID_STATE, f"the case is {self._case.state.value}; no action is allowed"
            )
            item.done = True

    async def _next_action(
        self, expected: Iterable[Action], until: Callable[[], datetime | None] = lambda: None
    ) -> Inbound | None:
        """The next expected action, or None once ``until()`` has passed.

        Meanwhile it answers the actions any stage allows (withdraw, suspend, reassign) and
        fires reminders and escalations as they fall due.
        """
        expected = frozenset(expected)
        while True:
            self._finish_current()
            if self._inbox:
                self._current = item = self._inbox.popleft()
                try:
                    # Validated on arrival; an action queued behind it may have changed things.
                    self._checked_validate(item.action, item.command, queued=True)
                except ApplicationError as error:
                    self._refuse_current(error)
                    continue
                if item.action in expected:
                    return item
                await self._handle_anytime(item)
                continue
            deadline = until()
            alarms = self._alarms()
            moments = [a.at for a in alarms] + ([deadline] if deadline else [])
            if moments:
                wait = min(moments) - self._now()
                if wait > timedelta(0):
                    with contextlib.suppress(TimeoutError):
                        await workflow.wait_condition(lambda: bool(self._inbox), timeout=wait)
            else:
                await workflow.wait_condition(lambda: bool(self._inbox))
            if self._inbox:
                continue
            now = self._now()
            for alarm in alarms:
                if alarm.at <= now:
                    await alarm.fire()
            if deadline is not None and deadline <= now:
                return None

    @overload
    async def _wait_for(self, kind: type[C], /) -> C: ...
    @overload
    async def _wait_for(self, kind: type[C], other: type[D], /) -> C | D: ...
    @overload
    async def _wait_for(self, kind: type[C], other: type[D], third: type[E], /) -> C | D | E: ...
    @overload
    async def _wait_for(
        self, kind: type[C], other: type[D], /, *, until: Callable[[], datetime | None]
    ) -> C | D | None: ...
    async def _wait_for(
        self, *kinds: type[Command], until: Callable[[], datetime | None] = lambda: None
    ) -> Command | None:
        """The next command of one of ``kinds`` (``_next_action`` for their actions), or None
        once ``until()`` has passed. Each action has its own command type, so the command that
        comes is of the type its action names."""
        item = await self._next_action((ACTION_OF[kind] for kind in kinds), until)
        return item.command if item is not None else None

    async def _wait_until(self, until: Callable[[], datetime], *kinds: type[Command]) -> None:
        """Let time pass until ``until()``, handing commands of ``kinds`` to ``_on_command``."""
        expected = [ACTION_OF[kind] for kind in kinds]
        while (item := await self._next_action(expected, until)) is not None:
            await self._on_command(item.command)

    async def _on_command(self, command: Command) -> None:
        """Subclasses handle commands that arrive while time passes (a changed leaving date)."""
        raise TypeError(f"no stage handles {type(command).__name__} while time passes")

    async def _handle_anytime(self, item: Inbound) -> None:
        match item.command:
            case Withdraw() as withdraw:
                await self._close(
                    CaseState.WITHDRAWN,
                    Action.WITHDRAW.value,
                    withdraw.actor,
                    reason=withdraw.reason,
                )
            case Suspend() as suspend:
                await self._suspend(suspend)
            case Reassign() as reassign:
                await self._reassign(reassign)
            case _:
                # Validated when the state allowed it; the case has moved on since.
                self._refuse_current(
                    refuse(
                        Refusal.INVALID_STATE,
                        f"'{item.action.value}' is no longer allowed: the case is now "
                        f"{self._case.state.value}",
                    )
                )

    async def _hold_for_attention(self, error: CalculationError) -> None:
        """Stop the case where it stands, tell the HR managers, and wait for it to be closed.

        Only the type of the error underneath is recorded: its message may quote the case's
        figures.
        """
        cause = error.__cause__ or error
        detail = (
            "the case's figures could not be computed; it needs attention and can now only "
            "be closed"
        )
        self._case.needs_attention = CALCULATION_FAILED
        await self._record(
            "needs_attention",
            SYSTEM_ACTOR,
            reason=detail,
            details={"reason": CALCULATION_FAILED, "error": type(cause).__name__},
            notices=[
                self._notice(
                    Recipient(role=Role.HR_MANAGER), "case_needs_attention", "needs attention"
                )
            ],
        )
        # Whoever's action ran into the error hears of it once the case is recorded as stopped.
        if self._current is not None:
            self._refuse_current(refuse(Refusal.INVALID_STATE, detail))
        # Answers only the actions that close the case; closing unwinds with CaseClosed.
        await self._next_action(())

    # -- recording ----------------------------------------------------------------------------

    async def _record(
        self,
        action: str,
        actor: Actor,
        to_state: CaseState | None = None,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        notices: Iterable[Notice] = (),
        letter: LetterKind | None = None,
        facts: LetterFacts | None = None,
        hand_off: ExitInstruction | None = None,
    ) -> None:
        """Move the case (or record an event in place) and write it through the activity.

        With ``letter``, the letter of this occasion is written first, from the case as the
        event leaves it; the event carries the letter's hash and the officer's notice names it.
        With ``hand_off``, the same transaction records the payroll or pension instruction.
        """
        # The first event (the submission) comes from nowhere.
        from_state = self._case.state if self._case.version else None
        now = self._now()
        if to_state is not None:
            self._case.state = to_state
        self._case.version += 1
        self._case.updated_at = now
        lettered = letter is not None and self._patched(LETTERS)
        # Cases before this wrote the letter and the event in two activities, and replay so.
        in_one = lettered and self._on_current_patches()
        if lettered and not in_one:
            assert letter is not None
            ref = await self._issue_letter(letter, facts or LetterFacts())
            details = {**(details or {}), "letter": ref.model_dump(mode="json")}
            notices = announce_letter(self._case.case_id, self._case.officer_id, list(notices), ref)
        event = CaseEvent(
            view=self._case.model_copy(deep=True),
            audit=AuditEntry(
                seq=self._case.version,
                action=action,
                actor=actor,
                from_state=from_state,
                to_state=self._case.state,
                reason=reason,
                details=details or {},
                occurred_at=now,
            ),
            notices=list(notices),
            hand_off=hand_off,
        )
        self._index()
        if in_one:
            assert letter is not None
            ref = await workflow.execute_activity_method(
                LetterActivities.record_event_with_letter,
                LetteredEvent(
                    event=event,
                    kind=letter,
                    template_version=self._case.letters_version or DEFAULT_VERSION,
                    facts=facts or LetterFacts(),
                ),
                task_queue=letters_queue(workflow.info().task_queue),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            self._case.letters.append(ref)
        else:
            await workflow.execute_activity_method(
                CaseActivities.record_event,
                event,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        workflow.logger.info(
            "case moved",
            extra={"case_id": self._case.case_id, "action": action, "state": self._case.state},
        )

    async def _issue_letter(self, kind: LetterKind, facts: LetterFacts) -> LetterRef:
        """Write (once) the letter of the event being recorded, and list it on the case."""
        ref = await workflow.execute_activity_method(
            LetterActivities.issue_letter,
            LetterRequest(
                case=self._case.model_copy(deep=True),
                kind=kind,
                seq=self._case.version,
                template_version=self._case.letters_version or DEFAULT_VERSION,
                facts=facts,
            ),
            task_queue=letters_queue(workflow.info().task_queue),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        self._case.letters.append(ref)
        return ref

    async def _close(
        self,
        state: CaseState,
        action: str,
        actor: Actor,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        then: Callable[[], Awaitable[None]] | None = None,
        letter: LetterKind | None = None,
    ) -> NoReturn:
        """Record the closing transition, run ``then`` (a hand-over that needs the case closed
        first), and end the lifecycle (it raises ``CaseClosed``, which ``_live`` catches)."""
        self._case.tasks = []
        self._case.outcome_reason = reason
        self._case.needs_attention = None
        await self._record(
            action,
            actor,
            state,
            reason=reason,
            details=details,
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "case_closed",
                    f"Your exit case has closed: {state.value.replace('_', ' ')}",
                )
            ],
            letter=letter,
        )
        if then is not None:
            await then()
        raise CaseClosed

    # -- tasks, reminders and escalations -----------------------------------------------------

    def _notice(self, recipient: Recipient, template: str, what: str) -> Notice:
        return notice(self._case.case_id, recipient, template, what)

    def _moment(self, opened: datetime, deadline: Deadline) -> datetime:
        if deadline.after is not None:
            return add_period(opened, deadline.after)
        assert deadline.working_days is not None
        day = add_working_days(local_date(opened), deadline.working_days)
        return same_time_on(day, opened)

    def _open_task(self, task: Task, sla: ServiceLevel | None = None) -> Task:
        if sla is not None:
            task.remind_at = self._moment(task.opened_at, sla.reminder)
            task.due_at = self._moment(task.opened_at, sla.escalation)
        self._case.tasks = [t for t in self._case.tasks if t.kind != task.kind] + [task]
        return task

    def _close_tasks(self) -> None:
        self._case.tasks = []

    def _assignee(self, task: Task) -> Recipient:
        if task.assignee_user_id:
            return Recipient(user_id=task.assignee_user_id)
        if task.assignee_role is Role.OFFICER:
            return Recipient(officer_id=self._case.officer_id)
        return Recipient(role=task.assignee_role, tier=task.assignee_tier)

    def _alarms(self) -> list[_Alarm]:
        if self._case.state is CaseState.SUSPENDED or self._case.needs_attention:
            return []
        alarms: list[_Alarm] = []
        for task in self._case.tasks:
            if task.remind_at is not None and not task.reminded:
                alarms.append(_Alarm(task.remind_at, functools.partial(self._remind, task)))
            if (
                task.due_at is not None
                and not task.escalated
                and task.assignee_role is not Role.OFFICER
            ):
                alarms.append(_Alarm(task.due_at, functools.partial(self._escalate, task)))
        return alarms + self._stage_alarms()

    def _stage_alarms(self) -> list[_Alarm]:
        """Alarms a stage adds of its own (reminders before the leaving date)."""
        return []

    async def _remind(self, task: Task) -> None:
        task.reminded = True
        await self._record(
            "reminder_sent",
            SYSTEM_ACTOR,
            details={"task": task.kind},
            notices=[self._notice(self._assignee(task), "task_reminder", f"reminder: {task.kind}")],
        )

    async def _escalate(self, task: Task) -> None:
        task.escalated = True
        await self._record(
            "escalated",
            SYSTEM_ACTOR,
            details={"task": task.kind},
            notices=[
                self._notice(
                    Recipient(role=Role.HR_MANAGER), "task_escalated", f"overdue: {task.kind}"
                )
            ],
        )

    async def _reassign(self, command: Reassign) -> None:
        for task in self._case.tasks:
            if task.assignee_role is not Role.OFFICER:
                task.assignee_user_id = command.assignee_user_id
        await self._record(
            Action.REASSIGN.value,
            command.actor,
            reason=command.reason,
            details={"assignee_user_id": command.assignee_user_id},
            notices=[
                self._notice(
                    Recipient(user_id=command.assignee_user_id), "task_assigned", "assigned to you"
                )
            ],
        )

    # -- suspension ---------------------------------------------------------------------------

    async def _suspend(self, command: Suspend) -> None:
        """Pause the case (misconduct proceedings); the clock stops until it resumes."""
        suspended_at = self._now()
        self._case.suspended_from = self._case.state
        await self._record(
            Action.SUSPEND.value, command.actor, CaseState.SUSPENDED, reason=command.reason
        )
        resume = await self._wait_for(Resume)
        paused = self._now() - suspended_at
        self._shift_clock(paused)
        resumed_to = self._case.suspended_from
        self._case.suspended_from = None
        await self._record(
            Action.RESUME.value,
            resume.actor,
            resumed_to,
            reason=resume.reason,
            details={"paused_seconds": int(paused.total_seconds())},
        )

    def _shift_clock(self, paused: timedelta) -> None:
        """Deadlines that were running move on by the time the case was suspended."""
        for task in self._case.tasks:
            task.remind_at = task.remind_at + paused if task.remind_at else None
            task.due_at = task.due_at + paused if task.due_at else None
