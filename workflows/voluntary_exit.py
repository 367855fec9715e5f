"""The voluntary-exit case, from application to completed exit (docs/design.md, lifecycle)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.schemes import CaseRef, SchemeActivities
    from domain.actions import tier_due
    from domain.approval import is_special_severance, required_tiers
    from domain.case import (
        Acceptance,
        Adjustment,
        ApprovalDecision,
        CaseOutcome,
        InfoRequest,
        Offer,
        Task,
    )
    from domain.clock import local_date
    from domain.commands import (
        AcceptOffer,
        AdjustCompensation,
        Approve,
        ChangeLeavingDate,
        Command,
        DeclineOffer,
        ProvideInfo,
        Refusal,
        Reject,
        Review,
        ReviewDecision,
        StartCase,
    )
    from domain.compensation import (
        Calculation,
        amount_problem,
        calculate,
        calculate_legacy_calendar_days,
    )
    from domain.documents import LetterKind
    from domain.eligibility import assess_eligibility
    from domain.errors import CalculationError
    from domain.evidence import evidence_details
    from domain.letters import LetterFacts
    from domain.lifecycle import Action, CaseState
    from domain.notice import (
        LeavingWindow,
        calculation_date,
        earliest_leaving_date,
        leaving_date_problem,
        leaving_window,
    )
    from domain.officer import Officer
    from domain.people import SYSTEM_ACTOR, Actor, Role, Tier
    from domain.periods import add_period, subtract_period
    from domain.records import Notice, Recipient
    from domain.scheme import budget_warning

from workflows.case_workflow import ACTIVITY_RETRY, ACTIVITY_TIMEOUT, refuse
from workflows.exit_tail import AmountChange, ExitTail

FINAL_DAY_AMOUNT = "final-day-amount"
OFFER_IN_NOTICE_WINDOW = "offer-date-in-notice-window"
SCHEME_BUDGET = "scheme-budget-executive-tier"


@workflow.defn(name="VoluntaryExitWorkflow")
class VoluntaryExitWorkflow(ExitTail):
    _completion_letter = LetterKind.EXIT_CONFIRMED

    @workflow.init
    def __init__(self, start: StartCase) -> None:
        self._open(start)

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await self._live(self._lifecycle)

    async def _lifecycle(self) -> None:
        await self._submit()
        await self._check_eligibility()
        await self._hr_review()
        final_approval = await self._approval()
        await self._make_offer(final_approval)
        await self._cooling_off()
        await self._wait_for_leaving_date()
        await self._process_exit()
        await self._complete()

    # -- 1. submitted --------------------------------------------------------------------------

    async def _submit(self) -> None:
        await self._record(
            "submit",
            self._case.created_by,
            CaseState.SUBMITTED,
            details={"leaving_date": _iso(self._case.application.leaving_date)},
            letter=LetterKind.APPLICATION_RECEIVED,
        )

    # -- 2. eligibility -----------------------------------------------------------------------

    async def _check_eligibility(self) -> None:
        await self._check_entry(
            "eligibility_checked",
            lambda officer, other_open_case: assess_eligibility(
                officer,
                applied_on=self._today(),
                leaving_date=self._case.application.leaving_date,
                policy=self._policy,
                has_other_open_case=other_open_case,
                pensionable=self._pensionable_service(),
            ),
        )
        self._open_hr_review_task()
        await self._record(
            "eligibility_checked",
            SYSTEM_ACTOR,
            CaseState.HR_REVIEW,
            notices=[
                self._notice(Recipient(role=Role.CASEWORKER), "review_due", "new case to review")
            ],
        )

    # -- 3. HR review (with requests for information) and 4. compensation --------------------

    def _open_hr_review_task(self) -> None:
        self._open_task(
            Task(kind="hr_review", assignee_role=Role.CASEWORKER, opened_at=self._now()),
            self._policy.hr_review_sla,
        )

    async def _hr_review(self) -> None:
        while True:
            review = await self._wait_for(Review)
            if review.decision is ReviewDecision.REJECT:
                await self._close(
                    CaseState.REJECTED,
                    Action.REVIEW.value,
                    review.actor,
                    reason=review.reason,
                    letter=LetterKind.REJECTED,
                )
            if review.decision is ReviewDecision.PROCEED:
                self._case.reviewed_by = review.actor.user_id
                await self._calculate_compensation(review)
                return
            await self._request_info(review)

    async def _request_info(self, review: Review) -> None:
        assert review.reason is not None
        self._case.info_requests.append(
            InfoRequest(question=review.reason, asked_by=review.actor.user_id, asked_at=self._now())
        )
        self._close_tasks()
        self._open_task(
            Task(kind="provide_info", assignee_role=Role.OFFICER, opened_at=self._now())
        )
        await self._record(
            Action.REVIEW.value,
            review.actor,
            CaseState.INFO_REQUESTED,
            reason=review.reason,
            details={"decision": review.decision.value},
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "info_requested",
                    "HR needs more information",
                )
            ],
            letter=LetterKind.INFORMATION_REQUESTED,
        )
        info = await self._wait_for(ProvideInfo)
        request = self._case.info_requests[-1]
        request.answer = info.note
        request.answered_by = info.actor.user_id
        request.answered_at = self._now()
        self._close_tasks()
        self._open_hr_review_task()
        await self._record(
            Action.PROVIDE_INFO.value,
            info.actor,
            CaseState.HR_REVIEW,
            details=evidence_details(info.evidence),
        )

    async def _calculate_compensation(self, review: Review) -> None:
        """Calculated from the roster as it stands now, on the leaving date applied for."""
        officer = await self._load_officer()
        on = calculation_date(self._case.application.leaving_date, self._today(), self._policy)
        if officer is None:
            await self._close(
                CaseState.INELIGIBLE,
                Action.REVIEW.value,
                review.actor,
                reason="officer no longer on the roster",
                letter=LetterKind.INELIGIBLE,
            )
        calculation = self._calculate(officer, on)
        self._check_amount(calculation)
        if not calculation.payable:
            await self._close(
                CaseState.INELIGIBLE,
                Action.REVIEW.value,
                review.actor,
                reason="full pensionable service reached: no compensation is payable",
                letter=LetterKind.INELIGIBLE,
            )
        self._case.calculation = calculation
        self._case.calculated_by = review.actor.user_id
        await self._check_budget()
        self._route_approval()
        await self._record(
            Action.REVIEW.value,
            review.actor,
            CaseState.APPROVAL,
            reason=review.reason,
            details={
                "decision": review.decision.value,
                "amount": f"{calculation.amount:.2f}",
                "calculation_date": on.isoformat(),
                "required_tiers": [t.value for t in self._case.required_tiers],
                **self._budget_details(),
            },
            notices=[self._tier_notice()],
        )

    def _calculate(self, officer: Officer, on: date) -> Calculation:
        rule = calculate if self._pensionable_service() else calculate_legacy_calendar_days
        return rule(officer, on, self._policy)

    def _check_amount(self, calculation: Calculation) -> None:
        """Stop the case (``CalculationError``) on an amount no case may carry.

        The patch that lets a calculation error stop the case (``_live``) came with this rule:
        a case that calculated such an amount before it kept the amount, and replays so.
        """
        problem = amount_problem(calculation)
        if problem is not None and self._patched("calculation-errors-need-attention"):
            raise CalculationError(problem)

    # -- 5. approval ---------------------------------------------------------------------------

    async def _check_budget(self) -> None:
        """Warn the approvers when the amount now on the table would take the case's scheme
        over its budget (its other cases' offered, committed and paid amounts plus this one);
        the executive tier must then approve. Cases routed before schemes had budgets replay
        without the check, and cases under no scheme have no budget to check."""
        if self._case.scheme is None or not self._patched(SCHEME_BUDGET):
            return
        amount = self._case.amount
        assert amount is not None
        position = await workflow.execute_activity_method(
            SchemeActivities.budget_position,
            CaseRef(case_id=self._case.case_id),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        self._case.budget_warning = budget_warning(position, amount)

    def _budget_details(self) -> dict[str, Any]:
        warning = self._case.budget_warning
        return {"budget_warning": warning} if warning is not None else {}

    def _route_approval(self) -> None:
        """Choose the tiers for the amount now on the table and start again from the first."""
        calculation = self._case.calculation
        amount = self._case.amount
        assert calculation is not None and amount is not None and self._officer is not None
        self._case.required_tiers = required_tiers(
            amount=amount,
            entitlement=Decimal(calculation.amount),
            annual_pay=self._officer.annual_pay,
            thresholds=self._policy.approval,
            over_budget=self._case.budget_warning is not None,
        )
        self._case.approvals = []
        self._open_tier_task()

    def _open_tier_task(self) -> None:
        self._close_tasks()
        tier = tier_due(self._case)
        if tier is not None:
            self._open_task(
                Task(
                    kind=f"approval_{tier.value}",
                    assignee_role=Role.APPROVER,
                    assignee_tier=tier,
                    opened_at=self._now(),
                ),
                self._policy.approval_tier_sla,
            )

    def _tier_notice(self) -> Notice:
        tier = tier_due(self._case)
        return self._notice(
            Recipient(role=Role.APPROVER, tier=tier), "approval_due", f"{tier} approval needed"
        )

    async def _approval(self) -> Approve:
        """Tier by tier; returns the final approval, which makes the offer."""
        while True:
            command = await self._wait_for(Approve, Reject, AdjustCompensation)
            if isinstance(command, Reject):
                self._decide(command.actor, approved=False, reason=command.reason)
                await self._close(
                    CaseState.REJECTED,
                    Action.REJECT.value,
                    command.actor,
                    reason=command.reason,
                    letter=LetterKind.REJECTED,
                )
            elif isinstance(command, AdjustCompensation):
                await self._adjust(command)
            else:
                tier = self._decide(command.actor, approved=True, reason=command.reason)
                if tier_due(self._case) is None:
                    return command
                self._open_tier_task()
                await self._record(
                    Action.APPROVE.value,
                    command.actor,
                    reason=command.reason,
                    details={"tier": tier.value},
                    notices=[self._tier_notice()],
                )

    def _decide(self, actor: Actor, *, approved: bool, reason: str | None) -> Tier:
        assert actor.tier is not None
        self._case.approvals.append(
            ApprovalDecision(
                tier=actor.tier,
                user_id=actor.user_id,
                approved=approved,
                reason=reason,
                at=self._now(),
            )
        )
        return actor.tier

    async def _adjust(self, command: AdjustCompensation) -> None:
        """A caseworker's adjustment; anything above the calculation is special severance."""
        self._case.adjustment = Adjustment(
            amount=command.amount, reason=command.reason, by=command.actor.user_id, at=self._now()
        )
        await self._check_budget()
        self._route_approval()
        await self._record(
            Action.ADJUST_COMPENSATION.value,
            command.actor,
            reason=command.reason,
            details={
                "amount": f"{command.amount:.2f}",
                "required_tiers": [t.value for t in self._case.required_tiers],
                **self._budget_details(),
            },
            notices=[self._tier_notice()],
        )

    # -- 6. offer ------------------------------------------------------------------------------

    async def _make_offer(self, approve: Approve) -> None:
        assert approve.actor.tier is not None
        amount, calculation = self._case.amount, self._case.calculation
        assert amount is not None and calculation is not None
        made_at = self._now()
        lapses_at = add_period(made_at, self._policy.offer_consideration)
        leaving_date = calculation.calculation_date
        if self._patched(OFFER_IN_NOTICE_WINDOW):
            leaving_date, amount = self._offered_on(local_date(lapses_at), amount)
        self._case.offer = Offer(
            amount=amount,
            leaving_date=leaving_date,
            made_at=made_at,
            lapses_at=lapses_at,
            # Offers made before this patch keep the amount they were made with, on replay too.
            recalculated_on_final_day=self._patched(FINAL_DAY_AMOUNT),
        )
        self._close_tasks()
        self._open_task(
            Task(
                kind="respond_to_offer",
                assignee_role=Role.OFFICER,
                opened_at=made_at,
                remind_at=subtract_period(lapses_at, self._policy.offer_reminder_before_lapse),
                due_at=lapses_at,
            )
        )
        await self._record(
            Action.APPROVE.value,
            approve.actor,
            CaseState.OFFER_MADE,
            reason=approve.reason,
            details={"tier": approve.actor.tier.value, "amount": f"{amount:.2f}"},
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id), "offer_made", "an offer is ready"
                )
            ],
            letter=LetterKind.OFFER,
            facts=LetterFacts(
                leaving_window=self._leaving_window(local_date(made_at)),
                cooling_off=self._policy.cooling_off,
                consideration=self._policy.offer_consideration,
            ),
        )
        offer = self._case.offer
        response = await self._wait_for(AcceptOffer, DeclineOffer, until=lambda: offer.lapses_at)
        if response is None:
            await self._close(CaseState.OFFER_LAPSED, "offer_lapsed", SYSTEM_ACTOR)
        if isinstance(response, DeclineOffer):
            await self._close(
                CaseState.OFFER_DECLINED,
                Action.DECLINE_OFFER.value,
                response.actor,
                reason=response.reason,
            )
        await self._accept_offer(response)

    def _leaving_window(self, accepted_on: date) -> LeavingWindow | None:
        """The leaving dates open to an officer accepting on ``accepted_on``, for the letter;
        None where the notice rules leave none, or none the calendar holds (the acceptance
        itself would say why): a letter never stops a case."""
        try:
            window = leaving_window(accepted_on, self._policy)
        except CalculationError:
            return None
        return window if window.earliest <= window.latest else None

    def _offered_on(self, last_day: date, amount: Decimal) -> tuple[date, Decimal]:
        """A leaving date the officer can accept on any day until ``last_day`` (the offer's
        last), and the amount for it: the date calculated on may have fallen before the notice
        window while the case was in approval. The approval stands; the amount is worked out
        again, with its tiers, for the date the officer accepts."""
        calculation = self._case.calculation
        assert calculation is not None
        offered = max(calculation.calculation_date, earliest_leaving_date(last_day, self._policy))
        if offered == calculation.calculation_date or self._case.adjustment is not None:
            return offered, amount
        assert self._officer is not None
        projected = self._calculate(self._officer, offered)
        self._check_amount(projected)
        return offered, projected.amount

    # -- 7. accepted: cooling-off ------------------------------------------------------------

    async def _accept_offer(self, command: AcceptOffer) -> None:
        assert self._case.offer is not None
        now = self._now()
        leaving_date = command.leaving_date or self._case.offer.leaving_date
        self._case.acceptance = Acceptance(
            accepted_at=now,
            cooling_off_ends_at=add_period(now, self._policy.cooling_off),
            leaving_date=leaving_date,
        )
        self._set_leaving_date(leaving_date)
        self._close_tasks()
        change = await self._amount_on(leaving_date)
        offer_letter = self._case.current_letter(LetterKind.OFFER)
        accepted = {"accepted_letter": offer_letter.model_dump(mode="json")} if offer_letter else {}
        await self._record(
            Action.ACCEPT_OFFER.value,
            command.actor,
            CaseState.APPROVAL if change.needs_approval else CaseState.ACCEPTED,
            details={"leaving_date": leaving_date.isoformat(), **accepted, **change.details},
            letter=LetterKind.ACCEPTANCE_CONFIRMED,
            notices=[
                self._notice(Recipient(role=Role.CASEWORKER), "offer_accepted", "offer accepted"),
                *change.notices,
            ],
        )
        if change.needs_approval:
            await self._approve_again(CaseState.ACCEPTED)

    # -- the amount on the final day ------------------------------------------------------------

    async def _amount_on(self, leaving_date: date) -> AmountChange:
        """Work the amount out again for ``leaving_date`` (service and pay on the final day),
        under the policy the case started with, and say whether a tier that has not approved
        the case must approve it now.

        An adjusted amount above the calculation (special severance) is not worked out again:
        the executive agreed it for a date, so a new date goes back to the executive.
        """
        offer, calculation = self._case.offer, self._case.calculation
        assert offer is not None and calculation is not None
        if not offer.recalculated_on_final_day:
            return AmountChange()
        adjustment = self._case.adjustment
        if adjustment is not None:
            if leaving_date == offer.leaving_date:
                return AmountChange()
            if not is_special_severance(adjustment.amount, Decimal(calculation.amount)):
                return AmountChange(details={"recalculated": False})
            self._case.approvals = [d for d in self._case.approvals if d.tier is not Tier.EXECUTIVE]
            return self._approval_change({"recalculated": False})
        if leaving_date == calculation.calculation_date:
            return AmountChange()
        previous = self._case.amount
        officer = await self._load_officer()
        if officer is None:
            # Off the roster since the offer: the amount agreed stands, and the audit says why.
            return AmountChange(details={"recalculated": False, "reason": "not_on_roster"})
        new = self._calculate(officer, leaving_date)
        self._check_amount(new)
        self._case.calculation = new
        self._case.required_tiers = required_tiers(
            amount=Decimal(new.amount),
            entitlement=Decimal(new.amount),
            annual_pay=officer.annual_pay,
            thresholds=self._policy.approval,
            over_budget=self._case.budget_warning is not None,
        )
        details = {
            "recalculated": True,
            "previous_amount": f"{previous:.2f}" if previous is not None else None,
            "amount": f"{new.amount:.2f}",
            "calculation_date": leaving_date.isoformat(),
            "calculation": new.model_dump(mode="json"),
            "required_tiers": [t.value for t in self._case.required_tiers],
        }
        if tier_due(self._case) is None:
            return AmountChange(details=details)
        return self._approval_change(details)

    def _approval_change(self, details: dict[str, Any]) -> AmountChange:
        """Back to the first tier that has not approved the amount now on the table."""
        self._open_tier_task()
        due = tier_due(self._case)
        assert due is not None
        return AmountChange(
            details={**details, "approval_needed": due.value},
            needs_approval=True,
            notices=[
                self._tier_notice(),
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "compensation_reapproval",
                    "your compensation for the new leaving date needs approval again",
                ),
            ],
        )

    async def _approve_again(self, back_to: CaseState) -> None:
        """The leaving-date timer waits here: nothing is paid on an amount not approved."""
        approve = await self._approval()
        assert approve.actor.tier is not None
        amount = self._case.amount
        assert amount is not None
        self._close_tasks()
        await self._record(
            Action.APPROVE.value,
            approve.actor,
            back_to,
            reason=approve.reason,
            details={"tier": approve.actor.tier.value, "amount": f"{amount:.2f}"},
            notices=[
                self._notice(
                    Recipient(officer_id=self._case.officer_id),
                    "compensation_approved",
                    "your compensation for the new leaving date is approved",
                )
            ],
        )

    async def _cooling_off(self) -> None:
        acceptance = self._case.acceptance
        assert acceptance is not None
        await self._wait_until(lambda: acceptance.cooling_off_ends_at, ChangeLeavingDate)
        await self._record("cooling_off_ended", SYSTEM_ACTOR, CaseState.LEAVING_SCHEDULED)

    # -- 8. leaving scheduled and 9. exit processing: the shared exit tail --------------------

    def _exit_payment(self) -> Decimal | None:
        """The amount for the final day; the amount offered, on offers made before that."""
        return self._case.amount

    # -- suspension moves the running clocks of this lifecycle too ---------------------------

    def _shift_clock(self, paused: timedelta) -> None:
        super()._shift_clock(paused)
        offer, acceptance = self._case.offer, self._case.acceptance
        if self._case.suspended_from is CaseState.OFFER_MADE and offer is not None:
            offer.lapses_at += paused
        if self._case.suspended_from is CaseState.ACCEPTED and acceptance is not None:
            acceptance.cooling_off_ends_at += paused

    # -- action-specific rules (validators) --------------------------------------------------

    def _validate(self, action: Action, command: Command, *, queued: bool) -> None:
        super()._validate(action, command, queued=queued)
        if isinstance(command, Review):
            if Review.needs_reason(command.decision) and not command.reason:
                raise refuse(Refusal.INVALID_INPUT, f"'{command.decision.value}' needs a reason")
        elif isinstance(command, Approve):
            # Over budget: the executive's approval says why, and the audit keeps it.
            over_budget = self._case.budget_warning is not None
            executive = command.actor.tier is Tier.EXECUTIVE
            if over_budget and executive and not command.reason:
                raise refuse(
                    Refusal.INVALID_INPUT,
                    f"{self._case.budget_warning}; approve with a reason, which is recorded",
                )
        elif isinstance(command, AcceptOffer):
            assert self._case.offer is not None
            self._check_letter(command.letter_sha256)
            self._check_leaving_date(
                command.leaving_date or self._case.offer.leaving_date, self._today()
            )
        elif isinstance(command, ChangeLeavingDate):
            acceptance = self._case.acceptance
            assert acceptance is not None
            if command.leaving_date < self._today():
                raise refuse(Refusal.INVALID_INPUT, "the leaving date cannot be in the past")
            self._check_leaving_date(command.leaving_date, local_date(acceptance.accepted_at))

    def _check_letter(self, sha256: str | None) -> None:
        """The officer accepts the offer letter that stands now, not one the offer has since
        moved away from (a letter names its amount and dates)."""
        current = self._case.current_letter(LetterKind.OFFER)
        if sha256 is None or (current is not None and current.sha256 == sha256):
            return
        offer = self._case.offer
        assert offer is not None
        stands = f"the offer now stands at £{offer.amount:,.2f} for leaving on {offer.leaving_date}"
        sent = next((ref for ref in self._case.letters if ref.sha256 == sha256), None)
        if current is None:
            detail = "this offer was made before letters were written: accept it without a letter"
        elif sent is not None and sent.kind is LetterKind.OFFER:
            detail = (
                f"the offer letter you accepted ({sent.document_id}) has been superseded: "
                f"{stands} (letter {current.document_id}, sha256 {current.sha256}); read that "
                "letter and accept it"
            )
        else:
            detail = (
                f"the letter you accepted is not this case's offer letter: {stands} "
                f"(letter {current.document_id}, sha256 {current.sha256})"
            )
        raise refuse(Refusal.SUPERSEDED, detail)

    def _check_leaving_date(self, leaving_date: date, accepted_on: date) -> None:
        problem = leaving_date_problem(leaving_date, accepted_on, self._policy)
        if problem:
            raise refuse(Refusal.INVALID_INPUT, problem)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
