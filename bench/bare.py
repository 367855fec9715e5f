"""The bare engine: a workflow with the case's shape and none of its work.

It runs the same number of activities, in the same places, as one voluntary-exit case did
(measured from that case's history by ``bench.lifecycle``): some in the workflow's own body
(the automatic steps), some inside Update handlers (the actions). Activities do nothing;
handlers accept at once. The plan is the workflow's argument.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class BarePlan:
    """``before[i]``: activities the body runs before update i is possible;
    ``inside[i]``: activities update i runs; ``after``: activities after the last update."""

    before: list[int] = field(default_factory=list)
    inside: list[int] = field(default_factory=list)
    after: int = 0


@activity.defn
async def noop(step: str) -> str:
    return step


_TIMEOUT = timedelta(seconds=30)


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self._ready = -1  # index of the update the workflow can take now
        self._done = 0  # updates completed

    async def _activities(self, count: int, label: str) -> None:
        for i in range(count):
            await workflow.execute_activity(noop, f"{label}.{i}", start_to_close_timeout=_TIMEOUT)

    def _passed(self, stage: int) -> bool:
        return self._done > stage

    @workflow.run
    async def run(self, plan: BarePlan) -> int:
        self._plan = plan
        for i, count in enumerate(plan.before):
            await self._activities(count, f"before{i}")
            self._ready = i
            await workflow.wait_condition(functools.partial(self._passed, i))
        await self._activities(plan.after, "after")
        return self._done

    @workflow.query
    def stage(self) -> int:
        return self._ready

    @workflow.update
    async def step(self, index: int) -> int:
        await self._activities(self._plan.inside[index], f"update{index}")
        self._done = index + 1
        return self._done

    @step.validator
    def _validate(self, index: int) -> None:
        if index != self._ready or self._done != index:
            raise ValueError(f"not ready for update {index}")
