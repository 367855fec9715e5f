"""Efficiency retirement, from proposal to completed exit (docs/design.md, "Efficiency retirement").

Runs only under a regulation record in force when the case starts, and keeps that record's
figures for its whole life. From the confirmed retirement date on it is the shared exit tail.
"""

from __future__ import annotations

from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.linking import CaseOpener, LinkedCase
    from domain.case import Application, CaseOutcome, Task, case_id_from
    from domain.clock import start_of_day
    from domain.commands import (
        ApplyVoluntary,
        ChangeLeavingDate,
        Command,
        Decide,
        DecideOutcome,
        Halt,
        MakeRepresentations,
        PanelDecide,
        Refusal,
        StartCase,
    )
    from domain.documents import LetterKind
    from domain.efficiency import (
        EfficiencyCase,
        PanelDecision,
        PanelOutcome,
        Representation,
        assess_precondition,
    )
    from domain.evidence import evidence_details
    from domain.lifecycle import Action, CaseState
    from domain.people import SYSTEM_ACTOR, Role, Tier
    from domain.periods import add_period
    from domain.records import Recipient

from workflows.case_workflow import (
    ACTIVITY_RETRY,
    ACTIVITY_TIMEOUT,
    Inbound,
    refuse,
)
from workflows.exit_tail import ExitTail

POLICY_SERVICE_YEAR = "efficiency-policy-service-year"


@workflow.defn(name="EfficiencyRetirementWorkflow")
class EfficiencyRetirementWorkflow(ExitTail):
    _completion_letter = LetterKind.RETIREMENT_CONFIRMED

    @workflow.init
    def __init__(self, start: StartCase) -> None:
        self._open(start)

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await self._live(self._lifecycle)

    async def _lifecycle(self) -> None:
        await self._propose()
        await self._check_precondition()
        await self._decide()
        await self._hear_representations()
        await self._panel()
        await self._wait_for_leaving_date()
        await self._process_exit()
        await self._complete()

    @property
    def _efficiency(self) -> EfficiencyCase:
        assert self._case.efficiency is not None
        return self._case.efficiency

    # -- proposal and the precondition the record sets -----------------------------------------

    async def _propose(self) -> None:
        regulation = self._efficiency.regulation
        await self._record(
            "propose",
            self._case.created_by,
            CaseState.PROPOSED,
            details={
                "legal_reference": regulation.legal_reference,
                "regulation_version": regulation.version,
                "assessments": sorted(a.value for a in self._efficiency.proposal.recorded()),
            },
        )

    async def _check_precondition(self) -> None:
        await self._check_entry(
            "precondition_checked",
            lambda officer, other_open_case: assess_precondition(
                officer,
                on=self._today(),
                parameters=self._efficiency.regulation.parameters,
                proposal=self._efficiency.proposal,
                has_other_open_case=other_open_case,
                days_per_service_year=self._service_year(),
                legacy_service_rule=not self._pensionable_service(),
            ),
        )
        self._open_executive_task("efficiency_decision")
        await self._record(
            "precondition_checked",
            SYSTEM_ACTOR,
            CaseState.DECISION_PENDING,
            notices=[
                self._notice(
                    Recipient(role=Role.APPROVER, tier=Tier.EXECUTIVE),
                    "efficiency_decision_due",
                    "an efficiency retirement proposal awaits a decision",
                )
            ],
        )

    def _service_year(self) -> int:
        """The policy's days in a service year, as the compensation calculation counts them.

        Cases that checked the precondition when it counted its own 365-day year replay so
        (the same for every policy shipped, but a force may have set another).
        """
        if self._patched(POLICY_SERVICE_YEAR):
            return self._policy.days_per_service_year
        return 365

    def _open_executive_task(self, kind: str) -> None:
        self._close_tasks()
        self._open_task(
            Task(
                kind=kind,
                assignee_role=Role.APPROVER,
                assignee_tier=Tier.EXECUTIVE,
                opened_at=self._now(),
            ),
            self._policy.approval_tier_sla,
        )

    # -- the decision and written notice -------------------------------------------------------

    async def _decide(self) -> None:
        decision = await self._wait_for(Decide)
        if decision.decision is DecideOutcome.WITHDRAW:
            await self._close(
                CaseState.RETIREMENT_WITHDRAWN,
                Action.DECIDE.value,
                decision.actor,
                reason=decision.reason,
                details={"decision": decision.decision.value},
            )
        parameters = self._efficiency.regulation.parameters
        today, now = self._today(), self._now()
        efficiency = self._efficiency
        efficiency.decided_by = decision.actor.user_id
        efficiency.notice_served_on = today
        efficiency.notice_ends_on = add_period(today, parameters.notice_period)
        efficiency.representations_close_at = add_period(now, parameters.representations_window)
        self._close_tasks()
        self._open_task(
            Task(
                kind="representations",
                assignee_role=Role.OFFICER,
                opened_at=now,
                due_at=efficiency.representations_close_at,
            )
        )
        await self._record(
            Action.DECIDE.value,
            decision.actor,
            CaseState.NOTICE_SERVED,
            reason=decision.reason,
            details={
                "decision": decision.decision.value,
                "notice_ends_on": efficiency.notice_ends_on.isoformat(),
                "representations_close_at": efficiency.representations_close_at.isoformat(),
            },
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "notice_served",
                    "written notice of retirement in the interests of efficiency; "
                    "you may make representations",
                )
            ],
            letter=LetterKind.NOTICE_OF_INTENDED_RETIREMENT,
        )

    # -- representations -----------------------------------------------------------------------

    async def _hear_representations(self) -> None:
        close_at = self._efficiency.representations_close_at
        assert close_at is not None
        await self._wait_until(lambda: close_at, MakeRepresentations)
        await self._put_to_panel(
            "representations_closed",
            "a panel decision is due",
            details={"representations": len(self._efficiency.representations)},
        )

    async def _put_to_panel(
        self, action: str, what: str, details: dict[str, int] | None = None
    ) -> None:
        self._open_executive_task("panel_review")
        await self._record(
            action,
            SYSTEM_ACTOR,
            CaseState.PANEL_REVIEW,
            details=details,
            notices=[
                self._notice(
                    Recipient(role=Role.APPROVER, tier=Tier.EXECUTIVE), "panel_review_due", what
                )
            ],
        )

    async def _on_command(self, command: Command) -> None:
        if not isinstance(command, MakeRepresentations):
            await super()._on_command(command)
            return
        self._efficiency.representations.append(
            Representation(
                text=command.representations,
                by=command.actor.user_id,
                on_behalf_of=command.actor.on_behalf_of,
                at=self._now(),
            )
        )
        await self._record(
            Action.MAKE_REPRESENTATIONS.value,
            command.actor,
            CaseState.REPRESENTATIONS,
            details=evidence_details(command.evidence),
            notices=[
                self._notice(
                    Recipient(role=Role.HR_MANAGER),
                    "representations_received",
                    "representations received",
                )
            ],
        )

    # -- the panel: confirm, defer for review, or withdraw -------------------------------------

    async def _panel(self) -> None:
        while True:
            command = await self._wait_for(PanelDecide)
            self._efficiency.panel_decisions.append(
                PanelDecision(
                    outcome=command.decision,
                    reason=command.reason,
                    by=command.actor.user_id,
                    at=self._now(),
                    review_date=command.review_date,
                )
            )
            details = {"decision": command.decision.value}
            if command.decision is PanelOutcome.WITHDRAW:
                await self._close(
                    CaseState.RETIREMENT_WITHDRAWN,
                    Action.PANEL_DECISION.value,
                    command.actor,
                    reason=command.reason,
                    details=details,
                    letter=LetterKind.PANEL_DECISION,
                )
            if command.decision is PanelOutcome.CONFIRM:
                await self._confirm(command, details)
                return
            await self._defer(command, details)

    async def _confirm(self, command: PanelDecide, details: dict[str, str]) -> None:
        """Retirement at the end of the notice served (today, if a deferral ran past it)."""
        ends_on = self._efficiency.notice_ends_on
        assert ends_on is not None
        self._set_leaving_date(max(ends_on, self._today()))
        self._close_tasks()
        await self._record(
            Action.PANEL_DECISION.value,
            command.actor,
            CaseState.LEAVING_SCHEDULED,
            reason=command.reason,
            details=details | {"leaving_date": str(self._case.leaving_date)},
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "retirement_confirmed",
                    f"retirement confirmed for {self._case.leaving_date}",
                )
            ],
            letter=LetterKind.PANEL_DECISION,
        )

    async def _defer(self, command: PanelDecide, details: dict[str, str]) -> None:
        """Deferred for the officer's critical skills: the panel looks again on the review date."""
        assert command.review_date is not None
        review_at = start_of_day(command.review_date)
        self._close_tasks()
        await self._record(
            Action.PANEL_DECISION.value,
            command.actor,
            CaseState.DEFERRED,
            reason=command.reason,
            details=details | {"review_date": command.review_date.isoformat()},
            letter=LetterKind.PANEL_DECISION,
        )
        await self._wait_until(lambda: review_at)
        await self._put_to_panel("deferral_review_due", "a deferred case is due for review")

    # -- at any point before the panel confirms: voluntary exit instead, or a halt -------------

    async def _handle_anytime(self, item: Inbound) -> None:
        command = item.command
        if isinstance(command, ApplyVoluntary):
            await self._switch_to_voluntary(command)
        elif isinstance(command, Halt):
            await self._close(
                CaseState.RETIREMENT_WITHDRAWN,
                Action.HALT.value,
                command.actor,
                reason=command.reason,
            )
        else:
            await super()._handle_anytime(item)

    async def _switch_to_voluntary(self, command: ApplyVoluntary) -> None:
        """Close this case first (one open case per officer), then open the voluntary one."""
        new_case_id = case_id_from(workflow.uuid4().int)
        self._efficiency.superseded_by = new_case_id
        linked = LinkedCase(
            case_id=new_case_id,
            officer_id=self._case.officer_id,
            application=Application(
                leaving_date=command.leaving_date,
                statement=command.statement,
                linked_from=self._case.case_id,
            ),
            actor=command.actor,
        )

        async def open_voluntary_case() -> None:
            await workflow.execute_activity_method(
                CaseOpener.open_voluntary_case,
                linked,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )

        await self._close(
            CaseState.RETIREMENT_WITHDRAWN,
            Action.APPLY_VOLUNTARY.value,
            command.actor,
            reason="the officer applied for voluntary exit instead",
            details={"voluntary_case_id": new_case_id},
            then=open_voluntary_case,
        )

    # -- what the tail pays and what each action must satisfy ---------------------------------

    def _exit_payment(self) -> Decimal | None:
        return None

    def _validate(self, action: Action, command: Command, *, queued: bool) -> None:
        super()._validate(action, command, queued=queued)
        if isinstance(command, PanelDecide) and command.decision is PanelOutcome.DEFER:
            if command.review_date is None or command.review_date <= self._today():
                raise refuse(Refusal.INVALID_INPUT, "a deferral needs a review_date in the future")
        elif isinstance(command, ChangeLeavingDate):
            ends_on = self._efficiency.notice_ends_on
            assert ends_on is not None
            if command.leaving_date < max(ends_on, self._today()):
                raise refuse(
                    Refusal.INVALID_INPUT,
                    f"the retirement date cannot be before the notice ends ({ends_on}) "
                    "or in the past",
                )

    def _checklist_rules_when_queued(self) -> bool:
        # Efficiency cases took any item before they shared the checklist rules; one that
        # recorded a system item or a second tick replays as it ran.
        return self._patched("efficiency-checklist-rules")
