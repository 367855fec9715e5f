"""Conditional requests on a case: its ETag, and the If-Match that decisions carry.

A case's ETag is its version, the count of events recorded on it, in quotes: ``"7"``. Reads
return it; an action sends it back in ``If-Match``, and the workflow refuses the action (412)
if the case has moved on since. The comparison happens in the workflow's Update validator,
atomically with the case's state: a read here would race. This module only reads the header
and says when one is missing. See docs/api.md, "Versions, ETag and If-Match".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header

from api.problems import ProblemError
from domain.lifecycle import DECISIONS_ON_FIGURES, Action

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=20,
        pattern=r'^"\d{1,18}"$',
        description='The ETag of the case as the caller read it (`"7"`). A case changed since '
        "is a 412. Required for approve, reject, "
        "adjust-compensation and accept-offer; a missing one there is a 428.",
        examples=['"7"'],
    ),
]

ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": 'The case\'s version, quoted (`"7"`): send it back as `If-Match` to act '
        "on the case as you read it.",
        "schema": {"type": "string", "pattern": r'^"\d+"$'},
    }
}


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(action: Action, if_match: str | None) -> int | None:
    """The version the caller decided on, from If-Match; required for decisions on figures."""
    version = int(if_match.strip('"')) if if_match is not None else None
    if version is None and action in DECISIONS_ON_FIGURES:
        raise ProblemError(
            428,
            f"'{action.value}' decides on the case's figures: send If-Match with the ETag from "
            "GET /v1/cases/{case_id}, so that a case changed since you read it is refused rather "
            "than decided unseen",
        )
    return version
