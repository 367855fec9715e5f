"""Issue 14: pensionable service, years of service, pension age per scheme, efficiency minimum.

Each rule has a figure worked by hand in its docstring.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.compensation import calculate, calculate_legacy_calendar_days
from domain.efficiency import Proposal, assess_precondition
from domain.officer import Officer, PensionScheme, Rank
from domain.policy import PensionAge, load_bundled_policy
from domain.regulation import RegulationParameters
from domain.service import ServiceSource, service_on
from tests.domain.test_compensation import officer

POLICY = load_bundled_policy()
ON = date(2026, 9, 30)


def test_the_issue_s_1987_officer_aged_52_with_28_years_gets_6_months() -> None:
    """Born 1974-09-30, joined 1998-09-30, leaving 2026-09-30: aged 52 with exactly 28 years.
    1987 scheme pension age: 50 with at least 25 years, so the cap is 6 months' pay:
    90,000 / 12 x 6 = 45,000. (Tariff 3 x 90,000/52 x 28 = 145,384.62 is above it.) Before,
    pension age needed 30 years and the cap was 18 months: 135,000."""
    result = calculate(
        officer(pay="90000.00", born=date(1974, 9, 30), started=date(1998, 9, 30), scheme="1987"),
        ON,
        POLICY,
    )
    assert result.amount == Decimal("45000.00")
    assert result.cap_months == Decimal(6)
    assert result.pension_age_condition == ("age 50 with at least 25 years' pensionable service")


def test_1987_aged_50_with_24_years_is_below_pension_age() -> None:
    """Born 1976-01-01 (age 50), joined 2002-09-30: 24 years, under 25, so 18 months' cap:
    90,000 / 12 x 18 = 135,000; tariff 3 x 90,000/52 x 24 = 124,615.38 is below it."""
    result = calculate(
        officer(pay="90000.00", started=date(2002, 9, 30), scheme="1987"), ON, POLICY
    )
    assert not result.pension_age_reached and result.pension_age_condition is None
    assert result.amount == Decimal("124615.38")


@pytest.mark.parametrize(
    ("scheme", "born", "reached", "condition"),
    [
        # 2006: age 55. Born 1971-09-30 is 55 on 2026-09-30; born a day later is 54.
        ("2006", date(1971, 9, 30), True, "age 55"),
        ("2006", date(1971, 10, 1), False, None),
        # 2015: age 60.
        ("2015", date(1966, 9, 30), True, "age 60"),
        ("2015", date(1966, 10, 1), False, None),
    ],
)
def test_pension_age_of_the_2006_and_2015_schemes(
    scheme: str, born: date, reached: bool, condition: str | None
) -> None:
    """20 years on 52,000: cap 6 months = 26,000 at pension age, else 18 months = 78,000;
    the tariff 3 x 1,000 x 20 = 60,000 is paid below pension age."""
    result = calculate(officer(born=born, scheme=scheme), ON, POLICY)
    assert result.pension_age_reached is reached
    assert result.pension_age_condition == condition
    assert result.amount == Decimal("26000.00" if reached else "60000.00")


def test_a_policy_s_old_pension_age_forms_mean_what_they_meant() -> None:
    """Stored policies hold {"service_years": 30} for 1987: 29 years at 55 stays below."""
    old = PensionAge(service_years=30)
    assert old.condition_met(55, 29) is None
    assert old.condition_met(40, 30) == "30 years' pensionable service"
    with pytest.raises(ValidationError):
        PensionAge(or_service_years=30)


def test_years_count_whole_years_plus_remaining_days() -> None:
    """Joined 2015-04-20, leaving 2026-09-30: the 11th anniversary is 2026-04-20, then 163 days
    (10 in April, 31 + 30 + 31 + 31 in May to August, 30 in September). Years 11 + 163/365 =
    11.446575; tariff 3 x 1,000 x 11.446575... = 34,339.73. Total days 4,181 / 365 would give
    11.454795 (3 leap days counted twice)."""
    result = calculate(officer(started=date(2015, 4, 20)), ON, POLICY)
    assert (result.years_completed, result.remaining_days) == (11, 163)
    assert result.service_days == 4181
    assert result.years == Decimal("11.446575")
    assert result.tariff == Decimal("34339.73")
    assert result.service_source is ServiceSource.SERVICE_START


def test_exactly_20_years_is_20_not_20_0137() -> None:
    """2006-09-30 to 2026-09-30 holds 5 leap days (7,305 days): 20 whole years, 0 days."""
    result = calculate(officer(), ON, POLICY)
    assert (result.years_completed, result.remaining_days, result.years) == (20, 0, 20)
    legacy = calculate_legacy_calendar_days(officer(), ON, POLICY)
    assert legacy.years == Decimal("20.013699")
    assert legacy.years_completed is None


def test_a_29_february_start_completes_its_year_on_1_march() -> None:
    """Joined 2024-02-29: on 2025-02-28 no year is complete (365 days); on 2025-03-01 one
    year and 0 days."""
    started = officer(started=date(2024, 2, 29))
    before = service_on(started, date(2025, 2, 28), 365)
    after = service_on(started, date(2025, 3, 1), 365)
    assert (before.years_completed, before.remaining_days) == (0, 365)
    assert (after.years_completed, after.remaining_days) == (1, 0)


def test_the_pension_record_replaces_calendar_time() -> None:
    """Joined 2000-01-01 but the record says 7,000 days on 2026-01-01 (a career break);
    2026-01-01 to 2026-09-30 is 272 days: 7,272 days = 19 years 337 days, 7,272/365 =
    19.923288; tariff 3 x 1,000 x 7,272/365 = 59,769.86 (calendar time would give 26 years)."""
    result = calculate(
        officer(started=date(2000, 1, 1), record=(7000, date(2026, 1, 1))), ON, POLICY
    )
    assert result.service_source is ServiceSource.PENSION_RECORD
    assert (result.service_days, result.years_completed, result.remaining_days) == (7272, 19, 337)
    assert result.years == Decimal("19.923288")
    assert result.amount == Decimal("59769.86")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ((100, None), "give both"),
        ((None, date(2020, 1, 1)), "give both"),
        ((-1, date(2020, 1, 1)), "greater than or equal to 0"),
        ((9000, date(2020, 1, 1)), "must not be more than the days"),
        ((10, date(2000, 1, 1)), "must not be before service_start"),
    ],
)
def test_a_pension_record_is_validated(record: tuple, message: str) -> None:
    """2006-09-30 to 2020-01-01 is 4,840 days: 9,000 days of service cannot fit."""
    days, as_of = record
    with pytest.raises(ValidationError, match=message):
        Officer(
            officer_id="T1",
            name="T",
            rank=Rank.SUPERINTENDENT,
            date_of_birth=date(1976, 1, 1),
            service_start=date(2006, 9, 30),
            annual_pay=Decimal("52000.00"),
            pension_scheme=PensionScheme.P2015,
            pensionable_service_days=days,
            service_as_of=as_of,
        )


@pytest.mark.parametrize(
    ("scheme", "started", "code"),
    [
        # 1987: 30 years. 1996-09-30 to 2026-09-30 is 30 years; a day later is 29 years 364 days.
        ("1987", date(1996, 9, 30), None),
        ("1987", date(1996, 10, 1), "insufficient_service"),
        # 2006: 35 years. 31 years is not enough, as it was under the one 30-year minimum.
        ("2006", date(1991, 9, 30), None),
        ("2006", date(1995, 9, 30), "insufficient_service"),
        # 2015: not eligible however long the service.
        ("2015", date(1986, 9, 30), "scheme_not_covered"),
    ],
)
def test_efficiency_minimum_service_by_scheme(scheme: str, started: date, code: str | None) -> None:
    reasons = assess_precondition(
        officer(started=started, scheme=scheme, born=date(1960, 1, 1)),
        on=ON,
        parameters=RegulationParameters(),
        proposal=Proposal(critical_skills="c", performance="p", equality_impact_reference="EIA-1"),
        has_other_open_case=False,
        days_per_service_year=POLICY.days_per_service_year,
    )
    assert [r.code for r in reasons] == ([code] if code else [])
    if code:
        assert scheme in reasons[0].detail


def test_efficiency_legacy_rule_keeps_the_one_minimum() -> None:
    """Cases recorded before the per-scheme rule: 31 years of 2006 service met the 30."""
    reasons = assess_precondition(
        officer(started=date(1995, 9, 30), scheme="2006", born=date(1960, 1, 1)),
        on=ON,
        parameters=RegulationParameters(),
        proposal=Proposal(critical_skills="c", performance="p", equality_impact_reference="E"),
        has_other_open_case=False,
        days_per_service_year=POLICY.days_per_service_year,
        legacy_service_rule=True,
    )
    assert reasons == []


@pytest.mark.parametrize(
    ("days_per_service_year", "code"), [(365, None), (366, "insufficient_service")]
)
def test_efficiency_counts_service_years_as_the_policy_does(
    days_per_service_year: int, code: str | None
) -> None:
    """One length of a service year for both kinds: the policy's. 10,950 recorded days are
    10,950 / 365 = 30 years, the 1987 minimum; over a 366-day year they are 29.92."""
    record = officer(started=date(1990, 1, 1), scheme="1987", born=date(1960, 1, 1)).model_copy(
        update={"pensionable_service_days": 30 * 365, "service_as_of": ON}
    )
    reasons = assess_precondition(
        record,
        on=ON,
        parameters=RegulationParameters(),
        proposal=Proposal(critical_skills="c", performance="p", equality_impact_reference="E"),
        has_other_open_case=False,
        days_per_service_year=days_per_service_year,
    )
    assert [r.code for r in reasons] == ([code] if code else [])


pays = st.decimals(min_value=Decimal("20000"), max_value=Decimal("250000"), places=2)
records = st.tuples(st.integers(0, 365 * 40), st.integers(0, 365 * 5))


@given(pay=pays, record=records, scheme=st.sampled_from(list(PensionScheme)))
def test_never_negative_nor_above_the_cap_with_a_pension_record(
    pay: Decimal, record: tuple[int, int], scheme: PensionScheme
) -> None:
    days, gap = record
    as_of = ON - timedelta(days=gap)
    started = as_of - timedelta(days=days + gap)
    subject = officer(
        pay=str(pay),
        started=started,
        born=started - timedelta(days=20 * 365),
        scheme=scheme,
        record=(days, as_of),
    )
    result = calculate(subject, ON, POLICY)
    assert Decimal(0) <= result.amount <= result.cap


@given(pay=pays, days=st.integers(0, 365 * 25), more=st.integers(1, 400))
def test_more_recorded_service_never_pays_less_below_the_cap(
    pay: Decimal, days: int, more: int
) -> None:
    def amount(recorded: int) -> Decimal:
        subject = officer(
            pay=str(pay),
            started=date(1990, 1, 1),
            born=date(1980, 1, 1) - timedelta(days=30 * 365),
            record=(recorded, date(2026, 1, 1)),
        )
        return calculate(subject, ON, POLICY).amount

    assert amount(days + more) >= amount(days)


@given(
    pay=pays,
    served=st.integers(0, 365 * 40),
    later=st.integers(1, 3 * 365),
    scheme=st.sampled_from(list(PensionScheme)),
    record=st.booleans(),
)
def test_a_later_leaving_date_never_lowers_the_amount_below_pension_age(
    pay: Decimal, served: int, later: int, scheme: PensionScheme, record: bool
) -> None:
    """For an officer not yet at pension age on the later date (and still payable), more days
    only add service: the amount, below the unchanged 18-month cap, never falls."""
    started = ON - timedelta(days=served)
    subject = officer(
        pay=str(pay),
        started=started,
        born=started - timedelta(days=18 * 366),
        scheme=scheme,
        record=(served, ON) if record else None,
    )
    sooner = calculate(subject, ON, POLICY)
    longer = calculate(subject, ON + timedelta(days=later), POLICY)
    assume(not longer.pension_age_reached and longer.payable)
    assert longer.amount >= sooner.amount
