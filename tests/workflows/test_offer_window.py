"""The leaving date offered is one the officer can accept (issue 14, item 5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.clock import local_date
from domain.compensation import calculate
from domain.lifecycle import Action, CaseState
from domain.notice import leaving_date_problem
from tests.helpers.cases import POLICY
from tests.helpers.officers import officer
from tests.workflows.test_voluntary_exit import approve_all, save_history, to_approval


@pytest.mark.parametrize("notice_min", ["PT0S", "P1M"])
async def test_the_offered_date_can_be_accepted_until_the_offer_lapses(
    start_case, time_skipping_env: WorkflowEnvironment, notice_min: str
) -> None:
    """No date applied for: the review calculates on the earliest date the notice allows from
    the review day. Three days in approval and nine considering the offer (of ten) later, the
    officer accepts without naming a date; the offered date must still be in their window."""
    policy = POLICY.model_copy(update={"notice_min": notice_min})
    # The shared time-skipping clock may stand years ahead after other tests, and at £80,000 the
    # twelve days' more service can lift the amount past the executive threshold, which rightly
    # sends the case back to approval. At £60,000 the cap (18 months' pay) keeps every date's
    # amount under it, and 20 years' service keeps it over finance's: the tiers cannot change.
    subject = officer(annual_pay=Decimal("60000.00"))
    case = await start_case(subject, policy=policy)
    await to_approval(case)
    await time_skipping_env.sleep(timedelta(days=3))
    await approve_all(case)
    offer = (await case.view()).offer
    await time_skipping_env.sleep(timedelta(days=9))
    accepted_on = local_date(await time_skipping_env.get_current_time())
    assert leaving_date_problem(offer.leaving_date, accepted_on, policy) is None
    assert offer.amount == calculate(subject, offer.leaving_date, policy).amount

    view = await case.act(Action.ACCEPT_OFFER, case.officer)
    assert view.state is CaseState.ACCEPTED and view.leaving_date == offer.leaving_date
    assert view.calculation.calculation_date == offer.leaving_date
    assert view.calculation.amount == offer.amount
    if notice_min == "P1M":
        await save_history(case.handle, "offer_in_notice_window")
