"""The precondition an efficiency-retirement proposal must meet before anyone decides on it:
rank, pensionable service for the officer's scheme, the assessments on record, and no other
open case. Every reason is given, never just the first."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.efficiency import Proposal, assess_precondition
from domain.officer import Officer, PensionScheme, Rank
from domain.policy import load_bundled_policy
from domain.regulation import Assessment, RegulationParameters
from tests.domain.test_compensation import officer

ON = date(2026, 9, 30)
# The scheme policy's service year, which the compensation calculation counts too.
YEAR = load_bundled_policy().days_per_service_year
A19 = RegulationParameters()
FULL = Proposal(critical_skills="skills", performance="in rank", equality_impact_reference="EIA-7")
# The 2006 scheme needs 35 years under A19: service started 35 years to the day before ON.
THIRTY_FIVE_YEARS_IN = officer(started=date(1991, 9, 30), scheme="2006", born=date(1965, 1, 1))


def codes(
    subject: Officer,
    *,
    parameters: RegulationParameters = A19,
    proposal: Proposal = FULL,
    has_other_open_case: bool = False,
    legacy_service_rule: bool = False,
) -> list[str]:
    reasons = assess_precondition(
        subject,
        on=ON,
        parameters=parameters,
        proposal=proposal,
        has_other_open_case=has_other_open_case,
        days_per_service_year=YEAR,
        legacy_service_rule=legacy_service_rule,
    )
    return [r.code for r in reasons]


def test_a_covered_officer_with_the_service_and_every_assessment_may_be_proposed() -> None:
    assert codes(THIRTY_FIVE_YEARS_IN) == []


def test_the_minimum_is_met_on_the_anniversary_and_not_the_day_before() -> None:
    a_day_short = THIRTY_FIVE_YEARS_IN.model_copy(update={"service_start": date(1991, 10, 1)})
    assert codes(a_day_short) == ["insufficient_service"]


def test_the_pension_record_counts_rather_than_the_calendar() -> None:
    """46 calendar years, but the record holds a day under 35 years of pensionable service."""
    long_ago, born = date(1980, 9, 30), date(1960, 1, 1)
    short = officer(started=long_ago, scheme="2006", born=born, record=(35 * YEAR - 1, ON))
    enough = officer(started=long_ago, scheme="2006", born=born, record=(35 * YEAR, ON))
    assert codes(short) == ["insufficient_service"]
    assert codes(enough) == []


def test_a_scheme_the_regulation_leaves_out_is_named() -> None:
    career_average = THIRTY_FIVE_YEARS_IN.model_copy(update={"pension_scheme": PensionScheme.P2015})
    [reason] = assess_precondition(
        career_average,
        on=ON,
        parameters=A19,
        proposal=FULL,
        has_other_open_case=False,
        days_per_service_year=YEAR,
    )
    assert reason.code == "scheme_not_covered" and "2015" in reason.detail


def test_a_rank_the_regulation_does_not_cover_is_refused() -> None:
    commander = THIRTY_FIVE_YEARS_IN.model_copy(update={"rank": Rank.COMMANDER})
    assert codes(commander) == ["rank_not_covered"]


@pytest.mark.parametrize("assessment", list(Assessment))
def test_each_missing_or_blank_assessment_is_named(assessment: Assessment) -> None:
    field = {
        Assessment.CRITICAL_SKILLS: "critical_skills",
        Assessment.PERFORMANCE: "performance",
        Assessment.EQUALITY_IMPACT: "equality_impact_reference",
    }[assessment]
    for missing in (None, "   "):
        proposal = FULL.model_copy(update={field: missing})
        [reason] = assess_precondition(
            THIRTY_FIVE_YEARS_IN,
            on=ON,
            parameters=A19,
            proposal=proposal,
            has_other_open_case=False,
            days_per_service_year=YEAR,
        )
        assert reason.code == "assessment_missing" and assessment.value in reason.detail


def test_only_the_assessments_the_record_requires_are_needed() -> None:
    record = RegulationParameters(required_assessments=frozenset({Assessment.PERFORMANCE}))
    assert codes(THIRTY_FIVE_YEARS_IN, parameters=record, proposal=Proposal(performance="p")) == []
    assert codes(THIRTY_FIVE_YEARS_IN, parameters=record, proposal=Proposal()) == [
        "assessment_missing"
    ]


def test_another_open_case_is_refused() -> None:
    assert codes(THIRTY_FIVE_YEARS_IN, has_other_open_case=True) == ["open_case_exists"]


def test_every_reason_is_given_in_a_fixed_order() -> None:
    newcomer = THIRTY_FIVE_YEARS_IN.model_copy(
        update={"rank": Rank.COMMANDER, "service_start": ON - timedelta(days=400)}
    )
    assert codes(newcomer, proposal=Proposal(), has_other_open_case=True) == [
        "rank_not_covered",
        "insufficient_service",
        "assessment_missing",
        "assessment_missing",
        "assessment_missing",
        "open_case_exists",
    ]


def test_the_records_own_figures_decide_not_the_code() -> None:
    """A record that asks 20 years of 2015-scheme service covers an officer A19 leaves out."""
    record = RegulationParameters(
        minimum_service_by_scheme={
            PensionScheme.P1987: None,
            PensionScheme.P2006: None,
            PensionScheme.P2015: Decimal(20),
        },
        eligible_ranks=frozenset({Rank.SUPERINTENDENT}),
    )
    twenty_years = officer(started=date(2006, 9, 30), scheme="2015", born=date(1980, 1, 1))
    nineteen_years = officer(started=date(2007, 9, 30), scheme="2015", born=date(1980, 1, 1))
    assert codes(twenty_years, parameters=record) == []
    assert codes(nineteen_years, parameters=record) == ["insufficient_service"]
    assert codes(THIRTY_FIVE_YEARS_IN, parameters=record) == ["scheme_not_covered"]


def test_cases_recorded_before_the_per_scheme_rule_count_calendar_days_over_a_year() -> None:
    """The legacy rule: one minimum (30 years) for every scheme, days since service_start over
    the service year; 30 x 365 days is a week short of 30 calendar years, and still enough."""
    just_enough = officer(started=ON - timedelta(days=30 * YEAR), scheme="2015")
    a_day_short = officer(started=ON - timedelta(days=30 * YEAR - 1), scheme="2015")
    assert codes(just_enough, legacy_service_rule=True) == []
    assert codes(a_day_short, legacy_service_rule=True) == ["insufficient_service"]
