"""One case from application to acceptance by keyboard alone: every role signs in, moves and
acts with Tab, Enter and Space, and no mouse click happens anywhere."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.helpers.api import Api, NewOfficer, User
from tests.web.browser import check_page, tab_to

pytestmark = pytest.mark.slow


async def press(page: Page, key: str) -> None:
    """Press ``key`` on a link or button that loads another page, and wait for that page."""
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def sign_in(browser: Browser, live: str, user: User) -> Page:
    page = await (await browser.new_context(base_url=live)).new_page()
    await page.goto("/")
    await check_page(page, "Sign in")
    await tab_to(page, "Access token")
    await page.keyboard.type(user.token)
    await press(page, "Enter")
    await page.get_by_role("link", name="Sign out").wait_for()
    return page


async def open_newest_case(page: Page, case_id: str) -> None:
    """From any staff page: the case list (newest first), then the case."""
    await tab_to(page, "Cases")
    await press(page, "Enter")
    await check_page(page, "Cases")
    await tab_to(page, case_id)
    await press(page, "Enter")
    await check_page(page, f"Case {case_id}")


async def test_apply_review_approve_and_accept_by_keyboard_alone(
    api: Api, staff: dict[str, User], new_officer: NewOfficer, live: str, browser: Browser
) -> None:
    officer = await new_officer()
    me = await sign_in(browser, live, officer)
    await check_page(me, "Your case")
    await tab_to(me, "Apply for voluntary exit")
    await press(me, "Enter")
    await check_page(me, "Apply for voluntary exit")
    await tab_to(me, "Anything you want HR to know (optional)")
    await me.keyboard.type("Typed, not clicked.")
    await tab_to(me, "Apply for voluntary exit")
    await press(me, "Enter")
    await expect(me.get_by_text("Your application has been sent")).to_be_visible()
    case_id = me.url.split("?")[0].rsplit("/", 1)[1]
    await check_page(me, f"Your case {case_id}")
    await api.wait_for(case_id, "hr_review")

    # The caseworker reviews: a radio chosen with Space, the button pressed with Enter.
    caseworker = await sign_in(browser, live, staff["caseworker"])
    await open_newest_case(caseworker, case_id)
    await tab_to(caseworker, "Proceed")
    await caseworker.keyboard.press("Space")
    await tab_to(caseworker, "Review")
    await press(caseworker, "Enter")
    await expect(caseworker.get_by_text("Done: Review")).to_be_visible()
    await check_page(caseworker, f"Case {case_id}")
    case = await api.wait_for(case_id, "approval")

    # Each tier's approver approves.
    for tier in case["required_tiers"]:
        approver = await sign_in(browser, live, staff[f"approver_{tier}"])
        await check_page(approver, "Approvals")
        await open_newest_case(approver, case_id)
        await tab_to(approver, "Approve")
        await press(approver, "Enter")
        await expect(approver.get_by_text("Done: Approve")).to_be_visible()
        await approver.context.close()
    await api.wait_for(case_id, "offer_made")

    # The officer accepts, and confirms with Space.
    await tab_to(me, "Check for changes")
    await press(me, "Enter")
    await check_page(me, f"Your case {case_id}")
    await tab_to(me, "Accept offer")
    await press(me, "Enter")
    await check_page(me, "Accept the offer?")
    await tab_to(me, "Accept offer")
    await press(me, "Space")
    await expect(me.get_by_text("Done: Accept offer")).to_be_visible()
    await check_page(me, f"Your case {case_id}")
    assert (await api.get(case_id))["state"] == "accepted"
    for page in (me, caseworker):
        await page.context.close()
