"""scripts/audit-verify.py, the auditor's own checker, agrees with the service's hash chain.

The chains here are built with the service's own hashing (``store.audit``), so the script and
the service are held to one canonical form; each way of breaking a chain must be named.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from store import audit

# Each test runs the script as a process of its own.
pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit-verify.py"


def _chain(case_id: str, length: int) -> list[dict[str, Any]]:
    """A case's events as the JSON-lines export writes them, hashed by the service."""
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    events = []
    previous = audit.GENESIS
    for seq in range(1, length + 1):
        event: dict[str, Any] = {
            "event_id": seq,
            "case_id": case_id,
            "seq": seq,
            "action": "review" if seq > 1 else "submit",
            "actor_user_id": "u_1",
            "actor_role": "caseworker",
            "on_behalf_of": None,
            "from_state": None if seq == 1 else "hr_review",
            "to_state": "hr_review",
            "reason": "naïve café",  # non-ASCII is hashed as itself
            "details": {"amount": "41538.46", "b": 1, "a": [1, 2]},
            "occurred_at": start + timedelta(seconds=seq),
            "prev_hash": previous,
        }
        event["hash"] = previous = audit.event_hash(event)
        # The export writes times with their zone, not in the canonical form.
        event["occurred_at"] = event["occurred_at"].astimezone().isoformat()
        events.append(event)
    return events


def _verify(events: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    exported = "".join(json.dumps(event) + "\n" for event in events)
    return subprocess.run(
        [sys.executable, str(SCRIPT)], input=exported, capture_output=True, text=True, check=False
    )


def test_intact_chains_pass_whatever_the_order_of_the_lines() -> None:
    events = _chain("EX-AAAAAAAAAA", 3) + _chain("EX-BBBBBBBBBB", 2)
    result = _verify(list(reversed(events)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "5 events in 2 cases, 0 broken\n"


def test_a_changed_field_is_a_hash_mismatch() -> None:
    events = _chain("EX-AAAAAAAAAA", 3)
    events[1]["to_state"] = "approval"
    result = _verify(events)
    assert result.returncode == 1
    assert "case EX-AAAAAAAAAA event seq 2: hash mismatch" in result.stdout


def test_a_deleted_event_is_a_seq_gap() -> None:
    events = _chain("EX-AAAAAAAAAA", 3)
    del events[1]
    result = _verify(events)
    assert result.returncode == 1
    assert "case EX-AAAAAAAAAA event seq 2: seq gap" in result.stdout


def test_a_rechained_event_is_a_prev_hash_mismatch() -> None:
    events = _chain("EX-AAAAAAAAAA", 3)
    events[2]["prev_hash"] = events[0]["hash"]
    result = _verify(events)
    assert result.returncode == 1
    assert "case EX-AAAAAAAAAA event seq 3: prev_hash mismatch" in result.stdout


def test_only_broken_cases_are_named() -> None:
    broken = _chain("EX-AAAAAAAAAA", 2)
    broken[0]["reason"] = "changed"
    result = _verify(broken + _chain("EX-BBBBBBBBBB", 2))
    assert result.stdout.splitlines() == [
        "case EX-AAAAAAAAAA event seq 1: hash mismatch",
        "4 events in 2 cases, 1 broken",
    ]
