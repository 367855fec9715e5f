"""Approval routing: which tiers must approve a compensation amount, in order.

Thresholds follow HM Treasury's special severance guidance: finance above the first
threshold; the executive at the second, for high earners, and for anything above the tariff.
"""

from __future__ import annotations

from decimal import Decimal

from domain.people import Tier
from domain.policy import ApprovalThresholds


def is_special_severance(amount: Decimal, entitlement: Decimal) -> bool:
    """Anything paid above the scheme's calculated entitlement."""
    return amount > entitlement


def required_tiers(
    *,
    amount: Decimal,
    entitlement: Decimal,
    annual_pay: Decimal,
    thresholds: ApprovalThresholds,
    over_budget: bool = False,
) -> list[Tier]:
    """The tiers to pass through, lowest first. The executive tier always implies finance,
    because a case that needs the executive has crossed the finance threshold in substance.
    An amount that takes the scheme over its budget goes to the executive too."""
    executive = (
        over_budget
        or amount >= thresholds.executive_from
        or annual_pay >= thresholds.executive_annual_pay_from
        or is_special_severance(amount, entitlement)
    )
    finance = executive or amount > thresholds.finance_above
    return [Tier.HR] + ([Tier.FINANCE] if finance else []) + ([Tier.EXECUTIVE] if executive else [])
