"""An officer's case in plain words (web/officer_status.py): the dates people act by."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.case import CaseView
from domain.lifecycle import CaseState
from web.officer_status import officer_status

MADE = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
OFFER = {
    "amount": "41538.46",
    "leaving_date": "2027-01-29",
    "made_at": MADE.isoformat(),
    "lapses_at": "2026-11-16T17:00:00+00:00",
}


def case(state: CaseState, **fields: Any) -> CaseView:
    return CaseView.model_validate(
        {
            "case_id": "EX-0000000001",
            "kind": "voluntary_exit",
            "state": state,
            "policy_version": "2026-1",
            "officer_id": "OF1",
            "rank": "inspector",
            "created_by": {"user_id": "u_1", "role": "officer", "officer_id": "OF1"},
            "created_at": datetime(2026, 10, 1, 9, 0, tzinfo=UTC).isoformat(),
            "updated_at": MADE.isoformat(),
            "version": 9,
            "application": {},
            **fields,
        }
    )


def test_an_offer_says_its_amount_and_the_day_it_lapses() -> None:
    status = officer_status(case(CaseState.OFFER_MADE, offer=OFFER))
    assert status.where == ["You have an offer of £41,538.46, leaving on 29 January 2027."]
    assert status.next[0] == (
        "Accept or decline it before 16 November 2026 at 17:00. If you do neither, the offer "
        "lapses on 16 November 2026 at 17:00 and your case closes."
    )
    assert ("Offer lapses on", "16 November 2026 at 17:00") in status.dates
    assert status.dates[0] == ("You applied on", "1 October 2026")


def test_an_acceptance_says_when_cooling_off_ends_and_the_leaving_date() -> None:
    accepted = case(
        CaseState.ACCEPTED,
        offer=OFFER,
        acceptance={
            "accepted_at": "2026-11-03T12:00:00+00:00",
            "cooling_off_ends_at": "2026-11-17T12:00:00+00:00",
            "leaving_date": "2027-01-29",
        },
        leaving_date="2027-01-29",
        calculation=None,
        adjustment={"amount": "41600.00", "reason": "final day", "by": "u_2", "at": MADE},
    )
    status = officer_status(accepted)
    assert accepted.amount == Decimal("41600.00")
    assert status.next == [
        "Your cooling-off period ends on 17 November 2026 at 12:00. Until then you can withdraw.",
        "After that you are leaving on 29 January 2027.",
    ]
    assert ("Cooling-off ends on", "17 November 2026 at 12:00") in status.dates
    assert ("Leaving date", "29 January 2027") in status.dates
    assert ("Compensation for your leaving date", "£41,600.00") in status.dates
    # The offer's lapse no longer matters once it is accepted.
    assert all(key != "Offer lapses on" for key, _ in status.dates)


def test_a_request_for_information_quotes_the_question() -> None:
    asked = case(
        CaseState.INFO_REQUESTED,
        info_requests=[{"question": "Send your payslips.", "asked_by": "u_2", "asked_at": MADE}],
    )
    status = officer_status(asked)
    assert status.where == [
        "HR needs more information from you before they can go on: Send your payslips."
    ]


def test_a_case_that_needs_attention_tells_the_officer_nothing_is_needed() -> None:
    stuck = case(CaseState.APPROVAL, needs_attention="calculation_failed")
    status = officer_status(stuck)
    assert status.next == ["HR will contact you. You do not need to do anything."]
    assert status.where == ["Your case has stopped while HR looks into a problem with it."]
