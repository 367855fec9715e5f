"""The compensation arithmetic of docs/design.md, worked by hand for each rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bounds import NEW_INPUT
from domain.commands import AdjustCompensation
from domain.compensation import age_on, amount_problem, calculate
from domain.money import MAX_AMOUNT
from domain.officer import MAX_ANNUAL_PAY, Officer, PensionScheme, Rank
from domain.policy import load_bundled_policy

POLICY = load_bundled_policy()
ON = date(2026, 9, 30)


def officer(
    *,
    pay: str = "52000.00",
    born: date = date(1976, 1, 1),
    started: date = date(2006, 9, 30),
    scheme: PensionScheme = PensionScheme.P2015,
    record: tuple[int, date] | None = None,
) -> Officer:
    """``record``: the pension record's (pensionable_service_days, service_as_of)."""
    days, as_of = record if record else (None, None)
    return Officer(
        officer_id="T1",
        name="Test Officer",
        rank=Rank.SUPERINTENDENT,
        date_of_birth=born,
        service_start=started,
        annual_pay=Decimal(pay),
        pension_scheme=scheme,
        pensionable_service_days=days,
        service_as_of=as_of,
    )


@pytest.mark.parametrize(
    ("case", "kwargs", "amount", "tariff", "cap", "capped", "reached"),
    [
        # Exactly 20 years (20 whole years, 0 days); weekly 1000.00; tariff 3 x 1000 x 20.
        (
            "tariff below the cap",
            {"started": date(2006, 9, 30)},
            "60000.00",
            "60000.00",
            "78000.00",
            False,
            False,
        ),
        # 35 years of 2015 scheme service: tariff 3 x 1000 x 35 = 105,000, above 18 months' pay.
        (
            "cap below pension age",
            {"started": date(1991, 9, 30)},
            "78000.00",
            "105000.00",
            "78000.00",
            True,
            False,
        ),
        # Age 60 in the 2015 scheme: the cap falls to 6 months' pay.
        (
            "cap at pension age, 2015 scheme",
            {"born": date(1966, 9, 30), "started": date(2006, 9, 30)},
            "26000.00",
            "60000.00",
            "26000.00",
            True,
            True,
        ),
        # Age 55 in the 2006 scheme.
        (
            "cap at pension age, 2006 scheme",
            {"born": date(1971, 9, 30), "scheme": PensionScheme.P2006},
            "26000.00",
            "60000.00",
            "26000.00",
            True,
            True,
        ),
        # 1987 scheme, aged 46 (under 50) with 28 years 355 days (under 30): below pension age.
        # Tariff 3 x 1000 x (28 + 355/365) = 84,000 + 2,917.808... = 86,917.81.
        (
            "1987 scheme below pension age",
            {
                "started": date(1997, 10, 10),
                "scheme": PensionScheme.P1987,
                "born": date(1980, 1, 1),
            },
            "78000.00",
            "86917.81",
            "78000.00",
            True,
            False,
        ),
    ],
)
def test_amounts_worked_by_hand(
    case: str,
    kwargs: dict,
    amount: str,
    tariff: str,
    cap: str,
    capped: bool,
    reached: bool,
) -> None:
    result = calculate(officer(**kwargs), ON, POLICY)
    assert result.amount == Decimal(amount), case
    assert result.tariff == Decimal(tariff), case
    assert result.cap == Decimal(cap), case
    assert result.capped is capped, case
    assert result.pension_age_reached is reached, case
    assert result.payable


def test_rounding_is_half_up_once_at_the_end() -> None:
    # pay 52000.26: weekly 1000.005 exactly; 365 days' service -> tariff 3000.015 -> 3000.02.
    result = calculate(officer(pay="52000.26", started=ON - timedelta(days=365)), ON, POLICY)
    assert result.tariff == Decimal("3000.02")
    assert result.amount == Decimal("3000.02")
    # Rounding the weekly pay first (1000.01) would have given 3000.03.
    assert result.weekly_pay == Decimal("1000.01")


def test_the_working_is_serialised_as_two_place_strings() -> None:
    data = calculate(officer(), ON, POLICY).model_dump(mode="json")
    assert data["amount"] == "60000.00"
    assert data["cap"] == "78000.00"
    assert data["years"] == "20.000000"
    assert not any(isinstance(v, float) for v in data.values())


@pytest.mark.parametrize(
    ("scheme", "years_served", "payable"),
    [
        (PensionScheme.P1987, 29, True),
        (PensionScheme.P1987, 30, False),
        (PensionScheme.P2006, 34, True),
        (PensionScheme.P2006, 35, False),
        (PensionScheme.P2015, 40, True),
    ],
)
def test_full_service_means_no_payment(
    scheme: PensionScheme, years_served: int, payable: bool
) -> None:
    started = ON.replace(year=ON.year - years_served)
    result = calculate(officer(started=started, scheme=scheme, born=date(1960, 1, 1)), ON, POLICY)
    assert result.payable is payable
    if not payable:
        assert result.amount == Decimal("0.00")
        assert result.model_dump(mode="json")["amount"] == "0.00"


def test_pension_age_boundary_day() -> None:
    born = date(1966, 10, 1)
    day_before = calculate(officer(born=born), date(2026, 9, 30), POLICY)
    birthday = calculate(officer(born=born), date(2026, 10, 1), POLICY)
    assert (day_before.age, day_before.pension_age_reached) == (59, False)
    assert (birthday.age, birthday.pension_age_reached) == (60, True)
    assert birthday.cap == Decimal("26000.00")


def test_1987_pension_age_is_reached_on_the_day_of_30_years() -> None:
    """Aged 45 (below 50): only the 30-years-at-any-age condition can reach pension age; the
    30th anniversary of 1996-09-30 is 2026-09-30."""
    on = date(2026, 9, 30)
    started = date(1996, 9, 30)
    young = officer(started=started, scheme=PensionScheme.P1987, born=date(1981, 1, 1))
    result = calculate(young, on, POLICY)
    assert result.pension_age_reached and not result.payable
    assert result.pension_age_condition == "30 years' pensionable service at any age"
    assert not calculate(young, on - timedelta(days=1), POLICY).pension_age_reached


def test_born_on_29_february_turns_a_year_older_on_1_march() -> None:
    assert age_on(date(1964, 2, 29), date(2025, 2, 28)) == 60
    assert age_on(date(1966, 2, 28), date(2026, 2, 27)) == 59
    assert age_on(date(1965, 2, 28), date(2025, 2, 28)) == 60
    assert age_on(date(1964, 2, 29), date(2024, 2, 28)) == 59
    assert age_on(date(1964, 2, 29), date(2024, 2, 29)) == 60


def test_records_the_policy_version() -> None:
    assert calculate(officer(), ON, POLICY).policy_version == POLICY.version


pays = st.decimals(min_value=Decimal("20000"), max_value=Decimal("250000"), places=2)
days = st.integers(min_value=0, max_value=365 * 45)
schemes = st.sampled_from(list(PensionScheme))


@given(pay=pays, served=days, joined_at=st.integers(18 * 365, 45 * 365), scheme=schemes)
def test_never_negative_and_never_above_the_cap(
    pay: Decimal, served: int, joined_at: int, scheme: PensionScheme
) -> None:
    started = ON - timedelta(days=served)
    joined = officer(
        pay=str(pay), started=started, born=started - timedelta(days=joined_at), scheme=scheme
    )
    result = calculate(joined, ON, POLICY)
    assert Decimal("0") <= result.amount <= result.cap


@given(pay=pays, served=st.integers(min_value=0, max_value=365 * 25), more=st.integers(1, 400))
def test_more_service_never_pays_less_below_the_cap(pay: Decimal, served: int, more: int) -> None:
    born = date(1980, 1, 1)
    shorter = calculate(
        officer(pay=str(pay), started=ON - timedelta(days=served), born=born), ON, POLICY
    )
    longer = calculate(
        officer(pay=str(pay), started=ON - timedelta(days=served + more), born=born), ON, POLICY
    )
    assert longer.amount >= shorter.amount


@pytest.mark.parametrize("cap_months", ["18", "36", "40"])
def test_the_largest_calculation_fits_an_adjustment(cap_months: str) -> None:
    """The roster's pay bound times any cap up to 40 months' pay stays within MAX_AMOUNT, so an
    adjustment can always hold (and correct) what the calculation offers."""
    policy = POLICY.model_copy(
        update={"cap_months_below_pension_age": Decimal(cap_months), "tariff_weeks_per_year": 52}
    )
    largest = officer(pay=str(MAX_ANNUAL_PAY), started=date(1990, 1, 1), born=date(1970, 1, 1))
    amount = calculate(largest, ON, policy).amount
    assert amount <= MAX_AMOUNT
    adjust = {"actor": {"user_id": "u", "role": "caseworker"}, "reason": "checked"}
    AdjustCompensation.model_validate({**adjust, "amount": amount}, context=NEW_INPUT)


def test_a_calculation_over_the_most_a_case_may_carry_is_refused() -> None:
    """Only an officer stored before the roster's pay bound (or a cap over 36 months) gets here.

    ``calculate`` still returns it: a workflow that calculated one before this rule replays."""
    policy = POLICY.model_copy(
        update={"cap_months_below_pension_age": Decimal(36), "tariff_weeks_per_year": 52}
    )
    overpaid = officer(pay="400000.00", started=date(1990, 1, 1), born=date(1970, 1, 1))
    calculation = calculate(overpaid, ON, policy)
    assert calculation.amount > MAX_AMOUNT
    problem = amount_problem(calculation)
    assert problem is not None and "over the most a case may carry" in problem
