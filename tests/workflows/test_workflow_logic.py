"""The workflows' own logic with its activities mocked, as temporalio/samples-python tests
workflows: stand-in functions registered under the activities' names on a worker of the test's
own. No database: the stand-ins answer what the roster would and keep what they are given.

These cover the branches that turn on what an activity answers (an officer missing from the
roster, or gone by the time of the review; another open case) and what each transition hands
to ``record_event``. The same paths against real activities and PostgreSQL are in
test_voluntary_exit.py and test_efficiency_retirement.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.cases import EntryFacts, OfficerLookup
from config.queues import letters_queue
from domain.case import Application, CaseOutcome, CaseView
from domain.commands import ProvideInfo, Review, ReviewDecision, StartCase
from domain.documents import LetterRef, document_id
from domain.efficiency import Proposal, RegulationRef
from domain.letters import LetteredEvent, LetterRequest
from domain.lifecycle import Action, CaseKind, CaseState
from domain.officer import Officer
from domain.people import Actor, Role, Tier
from domain.records import CaseEvent, ExitInstruction
from domain.regulation import RegulationParameters
from tests.helpers.cases import CASEWORKER, HR_MANAGER, POLICY
from tests.helpers.officers import officer
from tests.helpers.temporal import terminate_when_idle
from worker import WORKFLOWS
from workflows.case_workflow import CaseWorkflow

A19 = RegulationRef(
    legal_reference="former reg. A19 (test)", version="logic", parameters=RegulationParameters()
)
# Over the 35 years the 2006 scheme needs under A19, on any day the tests run.
LONG_AGO = date(1990, 1, 1)
FULL_PROPOSAL = Proposal(
    critical_skills="none at risk", performance="assessed", equality_impact_reference="EIA-1"
)

# Started by their registered names, as the service starts them.
WORKFLOW_NAMES = {
    CaseKind.VOLUNTARY_EXIT: "VoluntaryExitWorkflow",
    CaseKind.EFFICIENCY_RETIREMENT: "EfficiencyRetirementWorkflow",
}


@dataclass
class Records:
    """What the stand-in activities answer, and everything the workflow handed them.

    ``roster``: what each ``load_officer`` call finds, in turn; the last answer repeats.
    """

    roster: list[Officer | None]
    other_open_case: bool = False
    events: list[CaseEvent] = field(default_factory=list)
    hand_offs: list[ExitInstruction] = field(default_factory=list)
    letters: list[LetterRequest] = field(default_factory=list)

    def activities(self) -> list[Callable[..., Any]]:
        def recorded(event: CaseEvent) -> None:
            self.events.append(event)
            if event.hand_off is not None:
                self.hand_offs.append(event.hand_off)

        def officer() -> Officer | None:
            return self.roster.pop(0) if len(self.roster) > 1 else self.roster[0]

        def written(request: LetterRequest) -> LetterRef:
            self.letters.append(request)
            return LetterRef(
                kind=request.kind,
                document_id=document_id(request.kind, request.seq),
                seq=request.seq,
                sha256=hashlib.sha256(request.kind.value.encode()).hexdigest(),
                template_version=request.template_version,
            )

        @activity.defn(name="record_event")
        async def record_event(event: CaseEvent) -> None:
            recorded(event)

        @activity.defn(name="load_officer")
        async def load_officer(lookup: OfficerLookup) -> Officer | None:
            return officer()

        @activity.defn(name="has_other_open_case")
        async def has_other_open_case(lookup: OfficerLookup) -> bool:
            return self.other_open_case

        @activity.defn(name="entry_facts")
        async def entry_facts(lookup: OfficerLookup) -> EntryFacts:
            return EntryFacts(officer=officer(), other_open_case=self.other_open_case)

        @activity.defn(name="hand_off_exit")
        async def hand_off_exit(instruction: ExitInstruction) -> None:
            self.hand_offs.append(instruction)

        @activity.defn(name="issue_letter")
        async def issue_letter(request: LetterRequest) -> LetterRef:
            return written(request)

        @activity.defn(name="record_event_with_letter")
        async def record_event_with_letter(lettered: LetteredEvent) -> LetterRef:
            ref = written(lettered.request())
            recorded(lettered.event.with_letter(ref))
            return ref

        return [
            record_event,
            load_officer,
            has_other_open_case,
            entry_facts,
            hand_off_exit,
            issue_letter,
            record_event_with_letter,
        ]

    def transitions(self) -> list[tuple[str, CaseState | None]]:
        return [(e.audit.action, e.audit.to_state) for e in self.events]

    async def reached(self, state: CaseState) -> CaseView:
        """The case as last recorded, once a transition has moved it to ``state``.

        Watched here, not through the workflow: waiting on a workflow's result lets the
        time-skipping server skip ahead (ten years at a time), and a query needs it running."""
        async with asyncio.timeout(10):
            while not self.events or self.events[-1].view.state is not state:
                await asyncio.sleep(0.05)
        return self.events[-1].view


@asynccontextmanager
async def mocked(client: Client, records: Records) -> AsyncIterator[Callable[..., Any]]:
    """A worker running the real workflows on the stand-ins, and a starter for its cases
    (``start(officer, kind, **more_of_StartCase)``).

    Cases still open are ended before the worker stops (``terminate_when_idle`` says why)."""
    queue = f"logic-{secrets.token_hex(3)}"
    started: list[WorkflowHandle[Any, CaseOutcome]] = []

    async def start(
        subject: Officer, kind: CaseKind = CaseKind.VOLUNTARY_EXIT, **fields: Any
    ) -> WorkflowHandle[Any, CaseOutcome]:
        case = StartCase(
            case_id=f"EX-LOGIC-{secrets.token_hex(4)}",
            officer_id=subject.officer_id,
            rank=subject.rank,
            kind=kind,
            application=Application(),
            policy=POLICY,
            created_by=HR_MANAGER if kind is CaseKind.EFFICIENCY_RETIREMENT else CASEWORKER,
            **fields,
        )
        handle: WorkflowHandle[Any, CaseOutcome] = await client.start_workflow(
            WORKFLOW_NAMES[kind], case, id=case.case_id, task_queue=queue, result_type=CaseOutcome
        )
        started.append(handle)
        return handle

    # The letters' own queue (config.queues) takes the same stand-ins: the workflow sends
    # only its letter activities there.
    async with (
        Worker(client, task_queue=queue, workflows=WORKFLOWS, activities=records.activities()),
        Worker(client, task_queue=letters_queue(queue), activities=records.activities()),
    ):
        try:
            yield start
        finally:
            for handle in started:
                await terminate_when_idle(handle)


async def act(
    handle: WorkflowHandle[Any, Any], records: Records, action: Action, command: Any
) -> CaseView:
    """The case as ``record_event`` last wrote it for the action: the Update answers with the
    version, which the stand-in read model (``records``) holds."""
    version = await handle.execute_update(action.value, command, result_type=int)
    [view] = [event.view for event in records.events if event.view.version == version]
    return view


async def test_an_officer_not_on_the_roster_is_ineligible(client: Client) -> None:
    records = Records(roster=[None])
    async with mocked(client, records) as start:
        await start(officer())
        await records.reached(CaseState.INELIGIBLE)
    assert records.transitions() == [
        ("submit", CaseState.SUBMITTED),
        ("eligibility_checked", CaseState.INELIGIBLE),
    ]
    # The letters of both events were written from the case as each event left it.
    assert [(r.kind.value, r.seq, r.case.state) for r in records.letters] == [
        ("application_received", 1, CaseState.SUBMITTED),
        ("ineligible", 2, CaseState.INELIGIBLE),
    ]
    details = records.events[-1].audit.details
    assert details["reasons"] == ["not_on_roster"]
    assert details["letter"]["kind"] == "ineligible"
    assert records.hand_offs == []


async def test_another_open_case_makes_the_officer_ineligible(client: Client) -> None:
    subject = officer()
    records = Records(roster=[subject], other_open_case=True)
    async with mocked(client, records) as start:
        await start(subject)
        await records.reached(CaseState.INELIGIBLE)
    details = records.events[-1].audit.details
    assert details["reasons"] == ["open_case_exists"]
    assert details["letter"]["kind"] == "ineligible"
    assert records.events[-1].view.ineligibility[0].code == "open_case_exists"


async def test_an_eligible_case_waits_for_review_and_tells_the_caseworkers(client: Client) -> None:
    subject = officer()
    records = Records(roster=[subject])
    async with mocked(client, records) as start:
        await start(subject)
        view = await records.reached(CaseState.HR_REVIEW)
    assert [task.kind for task in view.tasks] == ["hr_review"]
    [notice] = records.events[-1].notices
    assert (notice.recipient.role, notice.template) == (Role.CASEWORKER, "review_due")


async def test_an_officer_gone_from_the_roster_by_the_review_closes_the_case(
    client: Client,
) -> None:
    """Eligible when checked, but no longer on the roster when the review calculates the
    compensation: the case closes rather than offer money on figures it cannot find."""
    subject = officer()
    records = Records(roster=[subject, None])
    async with mocked(client, records) as start:
        handle = await start(subject)
        await records.reached(CaseState.HR_REVIEW)
        await act(
            handle,
            records,
            Action.REVIEW,
            Review(actor=CASEWORKER, decision=ReviewDecision.PROCEED),
        )
        await records.reached(CaseState.INELIGIBLE)
    last = records.events[-1].audit
    assert (last.action, last.reason) == ("review", "officer no longer on the roster")


async def test_a_request_for_information_goes_to_the_officer_and_the_answer_back_to_hr(
    client: Client,
) -> None:
    subject = officer()
    the_officer = Actor(user_id="u_officer", role=Role.OFFICER, officer_id=subject.officer_id)
    records = Records(roster=[subject])
    async with mocked(client, records) as start:
        handle = await start(subject)
        await records.reached(CaseState.HR_REVIEW)
        asked = await act(
            handle,
            records,
            Action.REVIEW,
            Review(actor=CASEWORKER, decision=ReviewDecision.REQUEST_INFO, reason="payslips?"),
        )
        answered = await act(
            handle, records, Action.PROVIDE_INFO, ProvideInfo(actor=the_officer, note="sent")
        )
    assert asked.state is CaseState.INFO_REQUESTED
    [notice] = records.events[-2].notices
    assert (notice.recipient.officer_id, notice.template) == (subject.officer_id, "info_requested")
    assert answered.state is CaseState.HR_REVIEW
    [request] = answered.info_requests
    assert (request.question, request.answer) == ("payslips?", "sent")
    # Every transition is handed to record_event once, numbered without a gap.
    assert [e.audit.seq for e in records.events] == list(range(1, len(records.events) + 1))


async def test_an_efficiency_proposal_without_its_assessments_is_refused(client: Client) -> None:
    subject = officer(service_start=LONG_AGO)
    records = Records(roster=[subject])
    async with mocked(client, records) as start:
        await start(
            subject,
            CaseKind.EFFICIENCY_RETIREMENT,
            regulation=A19,
            proposal=Proposal(performance="assessed"),
        )
        await records.reached(CaseState.INELIGIBLE)
    assert records.transitions()[-1] == ("precondition_checked", CaseState.INELIGIBLE)
    details = records.events[-1].audit.details
    assert details["reasons"] == ["assessment_missing"] * 2
    assert details["letter"]["kind"] == "ineligible"


async def test_an_efficiency_proposal_that_meets_the_precondition_goes_to_the_executive(
    client: Client,
) -> None:
    subject = officer(service_start=LONG_AGO)
    records = Records(roster=[subject])
    async with mocked(client, records) as start:
        await start(subject, CaseKind.EFFICIENCY_RETIREMENT, regulation=A19, proposal=FULL_PROPOSAL)
        await records.reached(CaseState.DECISION_PENDING)
    assert records.transitions() == [
        ("propose", CaseState.PROPOSED),
        ("precondition_checked", CaseState.DECISION_PENDING),
    ]
    [notice] = records.events[-1].notices
    assert (notice.recipient.role, notice.recipient.tier) == (Role.APPROVER, Tier.EXECUTIVE)


def test_a_later_patch_is_not_answered_by_the_collapsed_one() -> None:
    # Cases started under CURRENT_PATCHES ran without any patch added after it.
    with pytest.raises(ValueError, match="not one of those"):
        CaseWorkflow()._patched("a-patch-added-later")
