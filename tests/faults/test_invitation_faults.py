"""A worker killed in the middle of inviting the cohort: the next one finishes the run, and
nobody is invited or notified twice.

The kill lands inside an invitation batch (its letters rendered, its transaction open): an
uncommitted notice for one officer of a later batch holds that batch's insert on its key, so
the earlier batches are written (and the run has continued as new) when the worker dies.
Bounded by one activity's start-to-close timeout (30 s): Temporal's wait before it retries
the killed worker's batch elsewhere.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from domain.officer import Rank
from domain.people import Actor, Role
from domain.scheme import InvitationProgress, InvitationRun, Scheme
from service.schemes import INVITATIONS_WORKFLOW, invitations_workflow_id
from store.officers import upsert_officers
from store.policies import add_policy
from store.schemes import add_scheme
from tests.helpers.faults import FAST_POLICY, Rig, wait_for_a_blocked_write
from tests.helpers.officers import officer

OFFICERS = 300
BATCH = 20
HELD = "FI0150"  # in the eighth batch


async def test_a_worker_killed_mid_way_through_invitations_invites_nobody_twice(
    scratch_rig: Rig,
) -> None:
    rig = scratch_rig
    await add_policy(rig.pool, FAST_POLICY, "test")
    await add_scheme(
        rig.pool,
        Scheme(
            name="faults",
            policy_version=FAST_POLICY.version,
            application_opens=date(2000, 1, 1),
            application_closes=date(2099, 12, 31),
            budget=Decimal("1000000.00"),
        ),
        "test",
    )
    roster = [officer(officer_id=f"FI{n:04d}", rank=Rank.SUPERINTENDENT) for n in range(OFFICERS)]
    await upsert_officers(rig.pool, roster)
    run = InvitationRun(
        scheme="faults",
        run_id="kill",
        ranks=[Rank.SUPERINTENDENT],
        actor=Actor(user_id="u_hr_faults", role=Role.HR_MANAGER),
        batch_size=BATCH,
        batches_per_run=3,
    )
    workflow_id = invitations_workflow_id("faults", "kill")

    async with rig.pool.acquire() as blocker:
        transaction = blocker.transaction()
        await transaction.start()
        try:
            await blocker.execute(
                "INSERT INTO notifications (key, case_id, template, subject, body) "
                "VALUES ($1, 'held', 'held', 'held', 'held')",
                f"invitation:faults:{HELD}",
            )
            first = rig.workers.start()
            await rig.client.start_workflow(
                INVITATIONS_WORKFLOW, run, id=workflow_id, task_queue=rig.settings.task_queue
            )
            await wait_for_a_blocked_write(rig, "INSERT INTO notifications")
            rig.workers.kill(first)
        finally:
            await transaction.rollback()
    before = await rig.pool.fetchval("SELECT count(*) FROM scheme_invitations")
    assert 0 < before < OFFICERS

    rig.workers.start()
    handle = rig.client.get_workflow_handle(workflow_id)
    async with asyncio.timeout(120):
        while True:
            progress = await handle.query("progress", result_type=InvitationProgress)
            if progress.total is not None and progress.processed == progress.total:
                break
            await asyncio.sleep(0.2)
    assert (progress.total, progress.invited) == (OFFICERS, OFFICERS)

    invited = await rig.pool.fetch("SELECT officer_id, run_id FROM scheme_invitations")
    assert sorted(r["officer_id"] for r in invited) == [o.officer_id for o in roster]
    assert {r["run_id"] for r in invited} == {"kill"}
    notices = await rig.pool.fetch(
        "SELECT recipient_officer_id FROM notifications WHERE template = 'invitation'"
    )
    assert sorted(r["recipient_officer_id"] for r in notices) == [o.officer_id for o in roster]
    # One letter each: the killed batch's letters were never committed, its retry wrote them.
    lettered = await rig.pool.fetch("SELECT officer_id FROM invitation_letters ORDER BY 1")
    assert [r["officer_id"] for r in lettered] == [o.officer_id for o in roster]
    # Fifteen batches, three to a run: the history was cut short four times.
    query = f"WorkflowId = '{workflow_id}' AND ExecutionStatus = 'ContinuedAsNew'"
    async with asyncio.timeout(30):
        while (await rig.client.count_workflows(query)).count != 4:
            await asyncio.sleep(0.2)
