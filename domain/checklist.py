"""The exit checklist's rules for people: which items they record, and each only once.

Every kind of case ends with the same checklist (workflows/exit_tail.py), so the rules live
here, once, rather than with one kind's validators.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.commands import Refusal
from domain.lifecycle import MANUAL_CHECKLIST_ITEMS, ChecklistItem


def checklist_refusal(
    item: ChecklistItem, recorded: Iterable[ChecklistItem]
) -> tuple[Refusal, str] | None:
    """Why a person may not record ``item`` now, or None when they may."""
    if item not in MANUAL_CHECKLIST_ITEMS:
        return Refusal.INVALID_INPUT, f"'{item.value}' is recorded by the system itself"
    if item in set(recorded):
        return Refusal.INVALID_STATE, f"'{item.value}' is already recorded"
    return None
