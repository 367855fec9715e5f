"""Moments and time windows as auditors give them: ``since`` (inclusive) to ``until`` (exclusive).

A moment needs a zone and must stay a moment once turned into UTC, which is how the database
compares it: ``0001-01-01T00:00:00+14:00`` is a valid ISO 8601 text whose UTC instant falls
before the year 1, outside what Python (and so the database driver) can hold. PostgreSQL's own
range is wider than Python's, so Python's is the one to check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, TypeAdapter, ValidationError

EXPECTED = "an ISO 8601 moment with a zone, e.g. 2026-11-01T00:00:00Z, within the years 1-9999 UTC"


def in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 1-9999 once in UTC") from None


Moment = Annotated[AwareDatetime, AfterValidator(in_utc)]
_MOMENT: TypeAdapter[datetime] = TypeAdapter(Moment)


def parse_moment(text: str) -> datetime:
    """The UTC moment ``text`` names, or ValueError saying what form is expected."""
    try:
        return _MOMENT.validate_python(text)
    except ValidationError:
        raise ValueError(f"expected {EXPECTED}") from None


def check_window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until < since:
        raise ValueError("until is before since")
