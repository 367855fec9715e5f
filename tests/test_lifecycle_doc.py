"""docs/lifecycle.md stays true: its action tables are the domain's, action by action.

The web application names its buttons after these tables, so each row's action, roles and
states must be what ``domain.lifecycle`` and ``domain.efficiency`` allow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain import efficiency, lifecycle
from domain.lifecycle import ACTION_ROLES, Action, CaseState
from domain.people import Role

DOC = (Path(__file__).resolve().parents[1] / "docs" / "lifecycle.md").read_text()
KINDS = {"## Voluntary exit": lifecycle, "## Efficiency retirement": efficiency}


def _rows(heading: str) -> dict[Action, tuple[str, str]]:
    """The section's action table: each action with its "who" and "allowed in" cells."""
    text = DOC.split(heading, 1)[1].split("\n## ", 1)[0]
    rows: dict[Action, tuple[str, str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 3:
            for name in re.findall(r"`([a-z-]+)`", cells[0]):
                rows[Action(name)] = (cells[1], cells[2])
    return rows


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z_]+", text))


@pytest.mark.parametrize("heading", KINDS)
def test_each_kind_lists_exactly_the_actions_its_states_allow(heading: str) -> None:
    allowed = set().union(*(KINDS[heading].allowed_actions(state) for state in CaseState))
    assert set(_rows(heading)) == allowed


@pytest.mark.parametrize("heading", KINDS)
def test_each_row_names_the_roles_and_states_of_its_action(heading: str) -> None:
    for action, (who, states) in _rows(heading).items():
        assert {Role(word) for word in _words(who) & set(Role)} == ACTION_ROLES[action], action
        expected = {s for s in CaseState if action in KINDS[heading].allowed_actions(s)}
        if action is Action.WITHDRAW:
            # domain.actions: a suspended case may be withdrawn if it was suspended from a
            # state that allowed it.
            expected.add(CaseState.SUSPENDED)
        assert {CaseState(word) for word in _words(states) & set(CaseState)} == expected, action
