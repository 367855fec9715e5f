"""Eligibility, approval routing, the notice rules and the working-day calendar."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.approval import required_tiers
from domain.calendar import add_working_days, is_working_day, working_days_between
from domain.eligibility import assess_eligibility
from domain.notice import calculation_date, leaving_date_problem, leaving_window
from domain.officer import Officer, PensionScheme, Rank
from domain.people import Tier
from domain.policy import load_bundled_policy

POLICY = load_bundled_policy()
TODAY = date(2026, 6, 1)


def officer(**changes: object) -> Officer:
    base = {
        "officer_id": "T1",
        "name": "Test Officer",
        "rank": Rank.SUPERINTENDENT,
        "date_of_birth": date(1976, 1, 1),
        "service_start": date(2000, 1, 1),
        "annual_pay": Decimal("80000.00"),
        "pension_scheme": PensionScheme.P2015,
    }
    return Officer.model_validate(base | changes)


def codes(o: Officer, **kwargs: object) -> list[str]:
    arguments: dict[str, Any] = {
        "applied_on": TODAY,
        "leaving_date": None,
        "policy": POLICY,
        "has_other_open_case": False,
    } | kwargs
    return [r.code for r in assess_eligibility(o, **arguments)]


def test_an_eligible_officer_has_no_reasons() -> None:
    assert codes(officer()) == []


@pytest.mark.parametrize(
    ("changes", "kwargs", "code"),
    [
        ({"rank": Rank.INSPECTOR}, {}, "rank_not_in_scheme"),
        ({}, {"applied_on": date(2028, 1, 1)}, "outside_application_window"),
        ({"misconduct_pending": True}, {}, "misconduct_pending"),
        (
            {"pension_scheme": PensionScheme.P1987, "service_start": date(1996, 1, 1)},
            {},
            "full_pensionable_service",
        ),
        ({}, {"has_other_open_case": True}, "open_case_exists"),
        ({}, {"leaving_date": date(2026, 4, 30)}, "leaving_date_before_scheme"),
    ],
)
def test_each_rule(changes: dict, kwargs: dict, code: str) -> None:
    assert codes(officer(**changes), **kwargs) == [code]


def test_full_service_is_pensionable_service_from_the_pension_record() -> None:
    """A 2006-scheme officer who joined on 1 January 1990 has 36 years of calendar time on
    1 June 2026 (past the scheme's 35), but the pension record says 12,000 days on 1 June 2025
    (breaks and part-time): 12,000 + 365 = 12,365 days on 1 June 2026, 12,365 / 365 = 33.88
    years, short of 35. Eligible by the record; ineligible by the calendar count, which cases
    that applied before the record existed keep on replay."""
    on_record = officer(
        pension_scheme=PensionScheme.P2006,
        service_start=date(1990, 1, 1),
        pensionable_service_days=12_000,
        service_as_of=date(2025, 6, 1),
    )
    assert codes(on_record) == []
    assert codes(on_record, pensionable=False) == ["full_pensionable_service"]


def test_every_reason_is_returned_not_just_the_first() -> None:
    found = codes(
        officer(rank=Rank.CONSTABLE, misconduct_pending=True),
        applied_on=date(2025, 6, 1),
        has_other_open_case=True,
    )
    assert found == [
        "rank_not_in_scheme",
        "outside_application_window",
        "misconduct_pending",
        "open_case_exists",
    ]


def test_reasons_carry_no_personal_data() -> None:
    o = officer(rank=Rank.CONSTABLE, misconduct_pending=True)
    details = " ".join(
        r.detail
        for r in assess_eligibility(
            o, applied_on=TODAY, leaving_date=None, policy=POLICY, has_other_open_case=True
        )
    )
    assert o.name not in details and "80000" not in details and "1976" not in details


T = POLICY.approval


@pytest.mark.parametrize(
    ("amount", "entitlement", "pay", "tiers"),
    [
        ("50000.00", "50000.00", "90000", [Tier.HR]),
        ("50000.01", "50000.01", "90000", [Tier.HR, Tier.FINANCE]),
        ("99999.99", "99999.99", "90000", [Tier.HR, Tier.FINANCE]),
        ("100000.00", "100000.00", "90000", [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]),
        ("20000.00", "20000.00", "150000", [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]),
        ("20000.00", "20000.00", "149999.99", [Tier.HR]),
        ("20000.01", "20000.00", "90000", [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]),
    ],
)
def test_approval_tiers(amount: str, entitlement: str, pay: str, tiers: list[Tier]) -> None:
    assert (
        required_tiers(
            amount=Decimal(amount),
            entitlement=Decimal(entitlement),
            annual_pay=Decimal(pay),
            thresholds=T,
        )
        == tiers
    )


def test_leaving_window_respects_notice_and_the_scheme_start() -> None:
    assert leaving_window(date(2026, 6, 15), POLICY).model_dump() == {
        "earliest": date(2026, 7, 15),
        "latest": date(2026, 9, 15),
    }
    # Accepting in February: one month on is before 1 May, the scheme's first leaving date.
    assert leaving_window(date(2026, 2, 10), POLICY).earliest == date(2026, 5, 1)


def test_leaving_date_problems_name_the_allowed_window() -> None:
    accepted = date(2026, 6, 15)
    assert leaving_date_problem(date(2026, 8, 1), accepted, POLICY) is None
    problem = leaving_date_problem(date(2026, 7, 14), accepted, POLICY)
    assert problem is not None and "2026-07-15" in problem and "2026-09-15" in problem
    assert leaving_date_problem(date(2026, 9, 16), accepted, POLICY) is not None


def test_calculation_date_defaults_to_the_earliest_allowed() -> None:
    assert calculation_date(None, date(2026, 6, 15), POLICY) == date(2026, 7, 15)
    assert calculation_date(date(2026, 8, 31), date(2026, 6, 15), POLICY) == date(2026, 8, 31)


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 26))  # Saturday
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day, a Friday
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day substitute
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday (England and Wales only)
    assert is_working_day(date(2026, 12, 29))


def test_adding_working_days_skips_holidays() -> None:
    # Thursday 24 December + 1 working day: the 25th, 26th, 27th and 28th are not working days.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert add_working_days(date(2026, 11, 20), 5) == date(2026, 11, 27)
    assert add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 20), -1)


@pytest.mark.parametrize("n", range(0, 30, 7))
def test_working_days_between_undoes_adding(n: int) -> None:
    start = date(2026, 3, 30)
    assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(start, start - timedelta(days=3)) == 0
