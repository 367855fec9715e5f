"""The officer roster CSV (docs/input-rules.md, "The roster"): parsed whole, with every bad row
reported by line and field.

An import is all rows or none, so parsing collects every problem before anything is written.
Messages never echo a cell's value: a roster is personal data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from domain.compensation import age_on
from domain.officer import MAX_ANNUAL_PAY, Officer

# Plausibility, checked on import (officers already stored, and cases holding them, keep loading):
# nobody on the roster was born in 1900 or before or joined before their 16th birthday.
BORN_AFTER = date(1900, 12, 31)
MINIMUM_AGE_AT_JOINING = 16

REQUIRED_COLUMNS = (
    "officer_id",
    "name",
    "rank",
    "date_of_birth",
    "service_start",
    "annual_pay",
    "pension_scheme",
    "misconduct_pending",
)
OPTIONAL_COLUMNS = (
    "sex",
    "ethnicity",
    "disability",
    # From the pension records, both or neither (domain/service.py).
    "pensionable_service_days",
    "service_as_of",
)
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


class RosterError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the roster; nothing was imported")
        self.errors = errors


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind.startswith("date"):
        return "not a date in the form YYYY-MM-DD"
    if kind.startswith("int") or kind in {"greater_than_equal", "less_than_equal"}:
        return "must be a whole number of days, not negative"
    if kind == "enum":
        return "must be one of " + str(error["ctx"]["expected"])
    if kind.startswith("decimal") or kind in {"greater_than", "decimal_parsing"}:
        return "must be an amount greater than 0 with at most two decimal places"
    if kind in {"missing", "string_too_short"}:
        return "is required"
    if kind == "string_pattern_mismatch":
        return "may hold only letters, digits, '.', '_' and '-'"
    if kind == "string_too_long":
        return "is too long"
    # Custom validators: their message is ours and carries no value.
    return str(error.get("ctx", {}).get("error", error["msg"]))


def _header_errors(header: list[str]) -> list[RowError]:
    errors = [
        RowError(1, column, "required column is missing")
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    errors += [RowError(1, column, "unknown column") for column in header if column not in known]
    if len(set(header)) != len(header):
        errors.append(RowError(1, "header", "a column appears more than once"))
    return errors


def _implausible(line: int, officer: Officer, today: date) -> list[RowError]:
    errors = []
    if officer.date_of_birth <= BORN_AFTER:
        errors.append(RowError(line, "date_of_birth", "must be after 1900"))
    if officer.service_start > today:
        errors.append(RowError(line, "service_start", "is in the future"))
    if age_on(officer.date_of_birth, officer.service_start) < MINIMUM_AGE_AT_JOINING:
        errors.append(RowError(line, "service_start", "is before the officer's 16th birthday"))
    if officer.service_as_of is not None and officer.service_as_of > today:
        errors.append(RowError(line, "service_as_of", "is in the future"))
    if officer.annual_pay > MAX_ANNUAL_PAY:
        errors.append(RowError(line, "annual_pay", f"must be at most {MAX_ANNUAL_PAY:,.2f}"))
    return errors


def _parse_row(
    # As csv.DictReader gives it: extra cells go in a list under the key None.
    line: int,
    row: dict[str | None, str | list[str]],
    today: date,
) -> tuple[Officer | None, list[RowError]]:
    values: dict[str, object] = {
        k: v.strip() for k, v in row.items() if k is not None and isinstance(v, str)
    }
    errors: list[RowError] = []
    if None in row:
        errors.append(RowError(line, "row", "has more cells than the header"))
    flag = str(values.get("misconduct_pending", "")).lower()
    if flag not in _BOOLEANS:
        errors.append(RowError(line, "misconduct_pending", "must be true or false"))
    else:
        values["misconduct_pending"] = _BOOLEANS[flag]
    for column in OPTIONAL_COLUMNS:
        if values.get(column) == "":
            values[column] = None
    try:
        officer = Officer.model_validate(values)
    except ValidationError as invalid:
        for error in invalid.errors():
            field = str(error["loc"][0]) if error["loc"] else "row"
            if field != "misconduct_pending" or not errors:
                errors.append(RowError(line, field, _message(error)))
        return None, errors
    errors += _implausible(line, officer, today)
    return (officer, errors) if not errors else (None, errors)


def parse_roster(text: str, *, today: date) -> list[Officer]:
    """Every officer in the file, or RosterError listing every problem (header is line 1).

    ``today`` (London) is when the import happens: no service starts after it.

    A malformed file (say, an unterminated quote) raises ``csv.Error``.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""), restval="", strict=True)
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise RosterError([RowError(1, "header", "the file is empty")])
    reader.fieldnames = header
    errors = _header_errors(header)
    if errors:
        raise RosterError(errors)
    officers: list[Officer] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        officer, row_errors = _parse_row(line, row, today)
        errors += row_errors
        if officer is None:
            continue
        if officer.officer_id in seen:
            errors.append(
                RowError(
                    line, "officer_id", f"repeats the officer on line {seen[officer.officer_id]}"
                )
            )
            continue
        seen[officer.officer_id] = line
        officers.append(officer)
    if not officers and not errors:
        errors.append(RowError(1, "header", "the file holds no officers"))
    if errors:
        raise RosterError(errors)
    return officers
