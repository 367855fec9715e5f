"""The scheme's rules without a database: month caps, the budget warning, the reminder day."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.calendar import working_days_before
from domain.officer import Rank
from domain.scheme import BudgetPosition, Scheme, budget_warning, cap_problem, leavers_by_month

SCHEME = Scheme(
    name="ves",
    policy_version="2026.1",
    application_opens=date(2026, 1, 5),
    application_closes=date(2026, 3, 31),
    budget=Decimal("1000000.00"),
    monthly_caps={Rank.CHIEF_SUPERINTENDENT: 2},
)
CHIEF = Rank.CHIEF_SUPERINTENDENT


def test_a_full_month_names_the_next_months_with_room_across_the_new_year() -> None:
    counts = leavers_by_month(
        [(date(2026, 12, 1), CHIEF), (date(2026, 12, 31), CHIEF)]
        + [(date(2027, 1, d), CHIEF) for d in (4, 5)]
        + [(date(2027, 2, 1), CHIEF)]
    )
    problem = cap_problem(SCHEME, counts, CHIEF, date(2026, 12, 15))
    assert problem == (
        "2026-12 already has 2 chief superintendent leaver(s), the ves scheme's monthly cap; "
        "months with room: 2027-02, 2027-03, 2027-04"
    )
    assert cap_problem(SCHEME, counts, CHIEF, date(2027, 2, 20)) is None
    assert cap_problem(SCHEME, counts, Rank.SUPERINTENDENT, date(2026, 12, 15)) is None


def test_a_cap_with_no_room_for_two_years_says_so() -> None:
    full = Counter({(f"{2026 + m // 12}-{m % 12 + 1:02d}", CHIEF): 2 for m in range(30)})
    problem = cap_problem(SCHEME, full, CHIEF, date(2026, 1, 10))
    assert problem is not None and problem.endswith("months with room: none in the next 24 months")


def test_the_budget_warning_comes_only_above_the_budget_and_names_the_figures() -> None:
    position = BudgetPosition(
        scheme="ves", budget=Decimal("1000000.00"), elsewhere=Decimal("900000.00")
    )
    assert budget_warning(position, Decimal("100000.00")) is None
    warning = budget_warning(position, Decimal("100000.01"))
    assert warning is not None
    assert "to 1000000.01, 0.01 over its budget of 1000000.00" in warning
    assert budget_warning(None, Decimal("5000000.00")) is None


def test_the_window_is_named_when_an_application_falls_outside_it() -> None:
    assert SCHEME.window_problem(date(2026, 3, 31)) is None
    assert SCHEME.window_problem(date(2026, 4, 1)) == (
        "applications to the ves scheme are accepted from 2026-01-05 to 2026-03-31"
    )
    with pytest.raises(ValidationError, match="application_closes is before application_opens"):
        Scheme.model_validate(SCHEME.model_dump() | {"application_closes": date(2025, 1, 1)})


def test_the_reminder_day_counts_back_working_days_past_weekends_and_bank_holidays() -> None:
    # Tuesday 7 April 2026, after Easter: Good Friday 3 and Easter Monday 6 April do not count.
    assert working_days_before(date(2026, 4, 7), 2) == date(2026, 4, 1)
    assert working_days_before(date(2026, 4, 7), 0) == date(2026, 4, 7)
