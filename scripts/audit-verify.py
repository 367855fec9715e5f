#!/usr/bin/env python3
"""Re-checks the hash chains of an audit export with nothing but Python's standard library.

    exitcases audit export --format jsonl | python3 scripts/audit-verify.py

It deliberately imports nothing from the service: an auditor can read these few lines, copy
them out of the repository and trust the result without trusting the service's own
``exitcases audit verify``. The canonical form it recomputes is described in docs/audit.md
("Tamper evidence: the hash chain"). Feed it whole cases: an export cut by ``--since`` or
``--until`` starts some chains part-way. Exits 0 when every chain is intact, 1 otherwise.
"""

import hashlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

FIELDS = (
    "case_id",
    "seq",
    "action",
    "actor_user_id",
    "actor_role",
    "on_behalf_of",
    "from_state",
    "to_state",
    "reason",
    "details",
    "occurred_at",
    "prev_hash",
)


def canonical_time(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: dict[str, Any]) -> str:
    fields = {name: event[name] for name in FIELDS}
    fields["occurred_at"] = canonical_time(fields["occurred_at"])
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def first_problem(events: list[dict[str, Any]]) -> tuple[int, str] | None:
    """The first broken event of one case's chain (its expected seq and why), or None."""
    previous = "0" * 64
    for expected, event in enumerate(sorted(events, key=lambda e: e["seq"]), start=1):
        if event["seq"] != expected:
            return expected, "seq gap"
        if event["prev_hash"] != previous:
            return expected, "prev_hash mismatch"
        if event_hash(event) != event["hash"]:
            return expected, "hash mismatch"
        previous = event["hash"]
    return None


def main() -> int:
    chains: dict[str, list[dict[str, Any]]] = {}
    for line in sys.stdin:
        if line.strip():
            event = json.loads(line)
            chains.setdefault(event["case_id"], []).append(event)
    broken = 0
    for case_id, events in sorted(chains.items()):
        problem = first_problem(events)
        if problem:
            print(f"case {case_id} event seq {problem[0]}: {problem[1]}")
            broken += 1
    print(f"{sum(map(len, chains.values()))} events in {len(chains)} cases, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
