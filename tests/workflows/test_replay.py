"""Saved histories of real runs replay against today's workflow code.

A change that would break cases already running fails here. Refresh the files with
``EXITCASES_RECORD_HISTORIES=1 ./test tests/workflows`` only for a deliberate, versioned change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.helpers.temporal import TEST_CONVERTER
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_kept() -> None:
    names = {p.stem for p in HISTORIES}
    voluntary = {"completed", "rejected_by_hr", "offer_lapsed", "suspended"}
    efficiency = {"efficiency_completed", "efficiency_switched_to_voluntary"}
    # Recorded after the checklist-first patch and the version check: their new branches.
    patched = {
        "efficiency_checklist_opened_first",
        "stale_version_refused",
        "final_day_reapproved",
        "offer_in_notice_window",
        "letters_completed",
    }
    # Issue 17: a case routed to the executive over its scheme's budget; an invitation run.
    scheme = {"over_budget_executive", "scheme_invitations_reminded"}
    # Issue 18: compressed payloads, and Updates that answer with the version, not the case;
    # every earlier patch on one marker, a letter with its event and a hand-off with its tick in
    # one activity each.
    issue_18 = {"completed_compressed", "current_patches"}
    # An invitation run that keeps its figures in PostgreSQL (its patch), to the reminders.
    figures = {"scheme_invitations_figures"}
    assert voluntary | efficiency | patched | scheme | issue_18 | figures <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_recorded_letters_went_to_the_case_queue_so_replay_covers_the_move() -> None:
    # Letters now go to a queue of their own (config.queues); these histories sent them to the
    # case's queue, and still replay above: replay compares an activity's type, not its queue.
    path = next(p for p in HISTORIES if p.stem == "current_patches")
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    case_queue = history.events[0].workflow_execution_started_event_attributes.task_queue.name
    letter_queues = {
        e.activity_task_scheduled_event_attributes.task_queue.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and e.activity_task_scheduled_event_attributes.activity_type.name.endswith("_letter")
    }
    assert letter_queues == {case_queue}
