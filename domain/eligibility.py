"""Eligibility for the voluntary exit scheme: every reason a case fails, not just the first.

A caseworker telling an officer why they are not eligible needs the whole list at once;
reasons carry a stable code for reports and a detail in plain words without personal data.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.compensation import full_service_reached
from domain.notice import calculation_date
from domain.officer import Officer
from domain.policy import SchemePolicy


class IneligibilityReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    detail: str


def assess_eligibility(
    officer: Officer,
    *,
    applied_on: date,
    leaving_date: date | None,
    policy: SchemePolicy,
    has_other_open_case: bool,
    pensionable: bool = True,
) -> list[IneligibilityReason]:
    """All the reasons the application fails; an empty list means eligible. ``pensionable``
    as for ``full_service_reached``."""
    reasons: list[IneligibilityReason] = []

    def fail(code: str, detail: str) -> None:
        reasons.append(IneligibilityReason(code=code, detail=detail))

    if officer.rank not in policy.eligible_ranks:
        ranks = ", ".join(sorted(r.value for r in policy.eligible_ranks))
        fail("rank_not_in_scheme", f"the scheme is open to the ranks {ranks} only")
    if not policy.application_opens <= applied_on <= policy.application_closes:
        fail(
            "outside_application_window",
            f"applications are accepted from {policy.application_opens} "
            f"to {policy.application_closes}",
        )
    if officer.misconduct_pending:
        fail("misconduct_pending", "misconduct proceedings are pending")
    on = calculation_date(leaving_date, applied_on, policy)
    if full_service_reached(officer, on, policy, pensionable=pensionable):
        fail(
            "full_pensionable_service",
            "full pensionable service in the officer's pension scheme is reached by the "
            "leaving date, so the scheme pays no compensation",
        )
    if has_other_open_case:
        fail("open_case_exists", "the officer already has another open case")
    if leaving_date is not None and leaving_date < policy.earliest_leaving_date:
        fail(
            "leaving_date_before_scheme",
            f"the scheme's earliest leaving date is {policy.earliest_leaving_date}",
        )
    return reasons
