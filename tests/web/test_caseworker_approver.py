"""The caseworker's and approvers' pages in a real browser: a case opened for an officer,
reviewed, approved tier by tier, and the refusals on the way, with axe on every page."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Browser, Page, expect

from domain.officer import Rank
from domain.people import Role
from store.officers import upsert_officers
from tests.helpers.api import Api, NewOfficer, Stack, User, add_user
from tests.helpers.officers import officer
from tests.web.browser import check_page, screenshot, session_csrf_token, signed_in, tab_to
from tests.web.test_officer import form_of
from web.routes import cases as web_cases

pytestmark = pytest.mark.slow


async def wait_for_state(page: Page, state: str, within: float = 60) -> None:
    """Reload the case page until its state reads ``state`` (the workflow moves on its own;
    a loaded machine can take a while)."""
    tag = page.locator("h1 .govuk-tag")
    async with asyncio.timeout(within):
        while (await tag.inner_text()).strip() != state:
            await asyncio.sleep(0.3)
            await page.reload()


async def test_a_case_from_opening_to_offer_with_the_refusals_on_the_way(
    stack: Stack, staff: dict[str, User], live: str, browser: Browser, pytestconfig: pytest.Config
) -> None:
    record = officer()
    await upsert_officers(stack.pool, [record])

    # A caseworker opens the case for the officer.
    caseworker = await signed_in(browser, live, staff["caseworker"])
    await caseworker.get_by_role("link", name="Cases", exact=True).click()
    await check_page(caseworker, "Cases")
    await caseworker.get_by_role("button", name="Open a case for an officer").click()
    await check_page(caseworker, "Open a case for an officer")
    await caseworker.get_by_role("button", name="Open case").click()  # nothing typed
    await check_page(caseworker, "Error: Open a case for an officer")
    await expect(
        caseworker.get_by_role("link", name=re.compile("Enter the officer"))
    ).to_be_visible()
    await caseworker.get_by_label("Officer id").fill(record.officer_id)
    await caseworker.get_by_label(re.compile("statement")).fill("Time to go.")
    await caseworker.get_by_role("button", name="Open case").click()
    await expect(caseworker.get_by_text("The case is open")).to_be_visible()
    case_url = caseworker.url.split("?")[0]
    case_id = case_url.rsplit("/", 1)[1]
    await wait_for_state(caseworker, "HR review")
    await check_page(caseworker, f"Case {case_id}")

    # The inbox has the review, with its deadline.
    await caseworker.get_by_role("link", name="Tasks").click()
    await check_page(caseworker, "Your tasks")
    row = caseworker.get_by_role("row").filter(has_text=case_id)
    await expect(row).to_contain_text("HR review")
    await screenshot(caseworker, "caseworker-tasks", pytestconfig)

    # Reviewing: a missing decision comes back as an error, with the reason kept.
    await row.get_by_role("link", name=case_id).click()
    review = form_of(caseworker, "Review")
    await review.get_by_label("Reason").fill("Figures checked.")
    await review.get_by_role("button", name="Review").click()
    await check_page(caseworker, f"Error: Case {case_id}")
    await expect(caseworker.get_by_role("link", name="Select the decision")).to_be_visible()
    await expect(form_of(caseworker, "Review").get_by_label("Reason")).to_have_value(
        "Figures checked."
    )
    await caseworker.get_by_label("Proceed").check()
    await caseworker.get_by_role("button", name="Review").click()
    await expect(caseworker.get_by_text("Done: Review")).to_be_visible()
    await wait_for_state(caseworker, "Approval")
    await expect(caseworker.get_by_text("Tariff")).to_be_visible()  # the working
    await expect(caseworker.locator(".moj-timeline")).to_contain_text("Review")
    await check_page(caseworker, f"Case {case_id}")
    await screenshot(caseworker, "case", pytestconfig)

    # A caseworker is offered no approval, and one sent anyway is refused with the reason.
    await expect(caseworker.get_by_role("button", name="Approve")).to_have_count(0)
    token = await session_csrf_token(caseworker)
    forged = await caseworker.request.post(
        f"{case_url}/actions/approve", form={"csrf_token": token}, headers={"Origin": live}
    )
    assert forged.status == 403
    assert "caseworker role may not &#39;approve&#39;" in await forged.text()

    # The HR approver's queue has the case; they approve it.
    hr = await signed_in(browser, live, staff["approver_hr"])
    await check_page(hr, "Approvals")
    await expect(hr.get_by_role("row").filter(has_text=case_id)).to_contain_text("You may decide")
    await screenshot(hr, "approvals", pytestconfig)
    await hr.get_by_role("link", name=case_id).click()
    await check_page(hr, f"Case {case_id}")
    # A second tab on the same case, as it was before approving.
    again = await hr.context.new_page()
    await again.goto(case_url)
    await hr.get_by_role("button", name="Approve").click()
    await expect(hr.get_by_text("Done: Approve")).to_be_visible()
    await expect(hr.get_by_role("button", name="Approve")).to_have_count(0)
    await expect(hr.get_by_text("four eyes need another person")).to_be_visible()

    # The same person approving again from the other tab is refused, and says why.
    await again.get_by_role("button", name="Approve").click()
    await check_page(again, f"Error: Case {case_id}")
    summary = again.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("You cannot decide on this case again")
    await expect(summary).to_contain_text("four eyes")
    await screenshot(again, "approval-refused", pytestconfig)

    # The other tiers finish the approvals (which the policy current now requires: another
    # test may have added one with a higher tariff): the offer is made.
    async with stack.http(staff["caseworker"].token) as http:
        tiers = (await http.get(f"/v1/cases/{case_id}")).json()["required_tiers"]
    assert tiers[0] == "hr" and len(tiers) > 1
    pages = [caseworker, hr]
    for tier in tiers[1:]:
        approver = await signed_in(browser, live, staff[f"approver_{tier}"])
        pages.append(approver)
        await approver.goto(case_url)
        await approver.get_by_label("Reason (optional)").fill("Within budget.")
        await approver.get_by_role("button", name="Approve").click()
        await expect(approver.get_by_text("Done: Approve")).to_be_visible()
    await wait_for_state(pages[-1], "Offer made")
    await check_page(pages[-1], f"Case {case_id}")
    for page in pages:
        await page.context.close()


async def test_the_case_list_filters_and_pages(
    stack: Stack,
    staff: dict[str, User],
    live: str,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    pytestconfig: pytest.Config,
) -> None:
    # Sergeants are this test's own (their cases close as ineligible at once): no other test
    # opens cases for that rank, so the list filtered by it holds exactly these two.
    sergeant = Rank.SERGEANT
    records = [officer(rank=sergeant), officer(rank=sergeant)]
    await upsert_officers(stack.pool, records)
    async with stack.http(staff["caseworker"].token) as http:
        for record in records:
            opened = await http.post("/v1/cases", json={"officer_id": record.officer_id})
            assert opened.status_code == 201, opened.text
    # One case a page (the server runs in this process), to page through the two.
    monkeypatch.setattr(web_cases, "PAGE_SIZE", 1)
    page = await signed_in(browser, live, staff["caseworker"])
    await page.goto("/cases")
    await page.get_by_label("Rank").select_option("sergeant")
    await page.get_by_label("Deadline").select_option("no")
    await page.get_by_role("button", name="Apply filters").click()
    await check_page(page, "Cases")
    assert "rank=sergeant" in page.url
    await expect(page.get_by_label("Rank")).to_have_value("sergeant")
    seen = [await page.locator("tbody tr td").first.inner_text()]
    await page.get_by_role("link", name="Next page").click()
    await check_page(page, "Cases")
    await expect(page.get_by_label("Rank")).to_have_value("sergeant")  # kept
    seen.append(await page.locator("tbody tr td").first.inner_text())
    ours = [c["case_id"] for c in await cases_of(stack, staff, sergeant)]
    assert seen == ours  # both, newest first, none twice
    await page.get_by_role("link", name="First page").click()
    assert await page.locator("tbody tr td").first.inner_text() == seen[0]

    await page.get_by_label("State").select_option("completed")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.get_by_text("No cases match these filters")).to_be_visible()
    await check_page(page, "Cases")
    await page.get_by_role("link", name="Clear filters").click()
    monkeypatch.setattr(web_cases, "PAGE_SIZE", 50)
    await page.reload()
    await screenshot(page, "cases", pytestconfig)
    await page.context.close()


async def cases_of(stack: Stack, staff: dict[str, User], rank: Rank) -> list[dict]:
    async with stack.http(staff["caseworker"].token) as http:
        listed = await http.get("/v1/cases", params={"rank": rank.value, "limit": 200})
    return listed.json()["items"]


async def test_an_officer_opening_another_officers_case_gets_not_found(
    stack: Stack, staff: dict[str, User], live: str, browser: Browser
) -> None:
    mine, theirs = officer(), officer()
    await upsert_officers(stack.pool, [mine, theirs])
    me = await add_user(stack.pool, "Web officer A", Role.OFFICER, officer_id=mine.officer_id)
    them = await add_user(stack.pool, "Web officer B", Role.OFFICER, officer_id=theirs.officer_id)
    async with stack.http(them.token) as http:
        opened = await http.post("/v1/cases", json={"officer_id": theirs.officer_id})
    case_id = opened.json()["case_id"]
    page = await signed_in(browser, live, me)
    response = await page.goto(f"/cases/{case_id}")
    assert response is not None and response.status == 404
    await check_page(page, "Page not found")
    await page.context.close()


async def test_review_and_approve_with_the_keyboard(
    api: Api, staff: dict[str, User], new_officer: NewOfficer, live: str, browser: Browser
) -> None:
    case_id = await api.to_hr_review(await new_officer())

    caseworker = await signed_in(browser, live, staff["caseworker"])
    await caseworker.goto(f"/cases/{case_id}")
    await tab_to(caseworker, "Proceed")
    await caseworker.keyboard.press("Space")
    await tab_to(caseworker, "Review")
    await caseworker.keyboard.press("Enter")
    await expect(caseworker.get_by_text("Done: Review")).to_be_visible()
    await api.wait_for(case_id, "approval")

    approver = await signed_in(browser, live, staff["approver_hr"])
    await tab_to(approver, case_id)  # in the queue
    await approver.keyboard.press("Enter")
    await approver.wait_for_url(f"**/cases/{case_id}")
    await tab_to(approver, "Approve")
    await approver.keyboard.press("Enter")
    await expect(approver.get_by_text("Done: Approve")).to_be_visible()
    await check_page(approver, f"Case {case_id}")
    for page in (caseworker, approver):
        await page.context.close()
