"""Inviting a scheme's cohort to apply: one long-running operation (issue 17, item 2).

It lists the officers once, invites them in batches (one activity each, so a worker killed
mid-way loses at most the batch in flight, which the next attempt writes again without inviting
anyone twice), continues as new before its history grows long, and then waits for the reminder
day to remind the invited officers who have not applied. ``progress`` answers how far it is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.invitation_runs import InvitationRunActivities
    from activities.schemes import InviteBatch, InviteeQuery, SchemeActivities
    from domain.clock import LONDON
    from domain.scheme import InvitationProgress, InvitationRun, RunFigures

from workflows.case_workflow import ACTIVITY_RETRY, ACTIVITY_TIMEOUT

# Reminders go out at the start of the working day.
REMINDER_TIME = time(9, 0)
# Runs recorded before their figures were kept in PostgreSQL replay without the activity.
RECORD_FIGURES_PATCH = "record-run-figures"


@workflow.defn(name="SchemeInvitationsWorkflow")
class SchemeInvitationsWorkflow:
    @workflow.init
    def __init__(self, run: InvitationRun) -> None:
        self._run = run
        self._status = "listing" if run.officer_ids is None else "inviting"
        self._reminded = 0

    @workflow.query(name="progress")
    def progress(self) -> InvitationProgress:
        run = self._run
        return InvitationProgress(
            scheme=run.scheme,
            run_id=run.run_id,
            status=self._status,
            total=None if run.officer_ids is None else len(run.officer_ids),
            processed=run.processed,
            invited=run.invited,
            not_eligible=run.not_eligible,
            reminder_day=run.reminder_day,
            reminded=self._reminded,
        )

    @workflow.run
    async def run(self, run: InvitationRun) -> InvitationProgress:
        if run.officer_ids is None:
            invitees = await workflow.execute_activity_method(
                SchemeActivities.list_invitees,
                InviteeQuery(scheme=run.scheme, ranks=run.ranks),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            run.officer_ids, run.reminder_day = invitees.officer_ids, invitees.reminder_day
            run.not_eligible = invitees.not_eligible
            self._status = "inviting"
        officer_ids = run.officer_ids
        batches = 0
        while run.processed < len(officer_ids):
            if batches == run.batches_per_run or workflow.info().is_continue_as_new_suggested():
                # The list and the count so far carry over; the new run's history starts empty.
                workflow.continue_as_new(run)
            batch = officer_ids[run.processed : run.processed + run.batch_size]
            run.invited += await workflow.execute_activity_method(
                SchemeActivities.invite_officers,
                InviteBatch(
                    scheme=run.scheme, run_id=run.run_id, actor=run.actor, officer_ids=batch
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
            run.processed += len(batch)
            batches += 1
        finished = workflow.now()
        record = workflow.patched(RECORD_FIGURES_PATCH)
        if record:
            self._status = "done" if run.reminder_day is None else "waiting_to_remind"
            await self._record(RunFigures(progress=self.progress(), finished_at=finished))
        await self._remind(run)
        self._status = "done"
        if record and run.reminder_day is not None:
            await self._record(RunFigures(progress=self.progress(), finished_at=finished))
        return self.progress()

    async def _record(self, figures: RunFigures) -> None:
        await workflow.execute_activity_method(
            InvitationRunActivities.record_run_figures,
            figures,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    async def _remind(self, run: InvitationRun) -> None:
        if run.reminder_day is None:
            return
        self._status = "waiting_to_remind"
        at = datetime.combine(run.reminder_day, REMINDER_TIME, tzinfo=LONDON)
        wait = at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        self._reminded = await workflow.execute_activity_method(
            SchemeActivities.remind_invited,
            run.scheme,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
