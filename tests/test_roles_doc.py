"""docs/roles.md stays true: its table lists the roles api.authz grants, row by row."""

from __future__ import annotations

import re
from pathlib import Path

from api.authz import TABLE
from domain.people import Role

DOC = (Path(__file__).resolve().parents[1] / "docs" / "roles.md").read_text()
ROLES = [r for r in Role if r is not Role.SYSTEM]


def _documented() -> dict[str, set[Role]]:
    rows: dict[str, set[Role]] = {}
    for line in DOC.splitlines():
        match = re.match(r"^\| (?:action )?`([^`]+)` \|", line)
        if match is None:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")][2:]
        assert len(cells) == len(ROLES), line
        rows[match.group(1)] = {role for role, cell in zip(ROLES, cells, strict=True) if cell}
    return rows


def test_every_row_of_the_authorisation_table_is_documented_as_granted() -> None:
    expected = {key.value: set(permission.roles) for key, permission in TABLE.items()}
    assert _documented() == expected
