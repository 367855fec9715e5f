"""An officer's pages in a real browser: applying, the case in plain words as the staff move it
on, accepting with a confirmation step, withdrawing, and the pages an officer may not open."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.helpers.api import Api, NewOfficer, Stack, User
from tests.web.browser import check_page, screenshot, session_csrf_token, signed_in

pytestmark = pytest.mark.slow


def form_of(page: Page, button: str) -> Locator:
    """The form whose button is named ``button``: fields with the same label stay apart."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))


async def test_an_officer_applies_and_accepts_the_offer_after_confirming(
    api: Api, new_officer: NewOfficer, live: str, browser: Browser, pytestconfig: pytest.Config
) -> None:
    officer = await new_officer()
    page = await signed_in(browser, live, officer)
    await check_page(page, "Your case")
    await expect(page.get_by_role("link", name="Your case")).to_be_visible()
    await expect(page.get_by_role("link", name="Cases", exact=True)).to_have_count(0)

    # A statement too long comes back as an error, with what was typed still there.
    await page.get_by_role("button", name="Apply for voluntary exit").click()
    too_long = ("I have served for thirty years. " * 130)[:4001]
    statement = page.get_by_label(re.compile("Anything you want HR to know"))
    await statement.fill(too_long)
    await page.get_by_role("button", name="Apply for voluntary exit").click()
    await check_page(page, "Error: Apply for voluntary exit")
    await expect(page.get_by_role("link", name=re.compile("4,000 characters"))).to_be_visible()
    await expect(statement).to_have_value(too_long)
    await screenshot(page, "officer-apply", pytestconfig)
    await statement.fill("Thirty years is enough.")
    await page.get_by_role("button", name="Apply for voluntary exit").click()
    await expect(page.get_by_text("Your application has been sent")).to_be_visible()
    case_id = page.url.split("?")[0].rsplit("/", 1)[1]
    await check_page(page, f"Your case {case_id}")
    await expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)

    # The staff's steps, through the API: the case reaches its offer.
    await api.wait_for(case_id, "hr_review")
    await page.reload()
    main = page.locator("main")
    await expect(main).to_contain_text("HR is reviewing your application.")

    # HR asks for information; the officer gives it on their page.
    question = "Send your last payslip."
    await api.act(case_id, "review", "caseworker", decision="request_info", reason=question)
    await page.reload()
    await check_page(page, f"Your case {case_id}")
    await expect(main).to_contain_text("HR needs more information from you")
    await expect(main).to_contain_text(question)
    await page.get_by_label("Answer").fill("Sent to HR by email today.")
    await page.get_by_role("button", name="Provide information").click()
    await expect(page.get_by_text("Done: Provide information")).to_be_visible()
    await api.wait_for(case_id, "hr_review")

    await api.act(case_id, "review", "caseworker", decision="proceed")
    case = await api.approve_all(case_id)
    await page.get_by_role("link", name="Check for changes").click()
    await check_page(page, f"Your case {case_id}")
    await expect(main).to_contain_text("You have an offer of £")
    await expect(main).to_contain_text("Offer lapses on")
    await expect(main).to_contain_text("If you do neither, the offer lapses on")
    await expect(page.get_by_role("button", name="Decline offer")).to_be_visible()
    await screenshot(page, "officer-offer", pytestconfig)

    # Accepting asks first, saying what it means; going back changes nothing.
    await page.get_by_role("button", name="Accept offer").click()
    await check_page(page, "Accept the offer?")
    await expect(main).to_contain_text("cooling-off period")
    await screenshot(page, "officer-confirm-accept", pytestconfig)
    await page.get_by_role("link", name="No, go back to your case").click()
    await check_page(page, f"Your case {case_id}")
    assert (await api.get(case_id))["state"] == "offer_made"
    await page.get_by_role("button", name="Accept offer").click()
    await page.get_by_role("button", name="Accept offer").click()
    await expect(page.get_by_text("Done: Accept offer")).to_be_visible()
    await check_page(page, f"Your case {case_id}")
    await expect(main).to_contain_text("You accepted the offer on")
    await expect(main).to_contain_text("Cooling-off ends on")
    await expect(main).to_contain_text("Until then you can withdraw")
    accepted = await api.get(case_id)
    assert accepted["state"] == "accepted"
    assert accepted["offer"]["amount"] == case["offer"]["amount"]
    await screenshot(page, "officer-case", pytestconfig)

    # Withdrawing needs a reason, then a confirmation; the reason travels with it.
    withdraw = form_of(page, "Withdraw")
    await withdraw.get_by_role("button", name="Withdraw").click()
    await check_page(page, f"Error: Your case {case_id}")
    await expect(page.get_by_role("link", name="Enter the reason")).to_be_visible()
    await form_of(page, "Withdraw").get_by_label("Reason").fill("Changed my mind.")
    await form_of(page, "Withdraw").get_by_role("button", name="Withdraw").click()
    await check_page(page, "Withdraw your application?")
    await expect(main).to_contain_text("Changed my mind.")
    await page.get_by_role("button", name="Withdraw").click()
    await expect(page.get_by_text("Done: Withdraw")).to_be_visible()
    await expect(main).to_contain_text("The application was withdrawn.")
    assert (await api.get(case_id))["state"] == "withdrawn"

    # With no case open, the officer's home offers applying again.
    await page.get_by_role("link", name="Your case").click()
    await check_page(page, "Your case")
    await expect(page.get_by_role("row").filter(has_text=case_id)).to_contain_text("Withdrawn")
    await page.context.close()


async def test_an_officer_sees_only_their_own_case_and_no_staff_page(
    stack: Stack, new_officer: NewOfficer, live: str, browser: Browser
) -> None:
    me, them = await new_officer(), await new_officer()
    case_id = await opened_by(stack, them)
    page = await signed_in(browser, live, me)
    for address in (f"/your-case/{case_id}", f"/cases/{case_id}"):
        response = await page.goto(address)
        assert response is not None and response.status == 404
        await check_page(page, "Page not found")
    token = await session_csrf_token(page)
    sent = await page.request.post(
        f"{live}/your-case/{case_id}/actions/withdraw",
        form={"csrf_token": token, "reason": "not mine", "confirmed": "yes"},
        headers={"Origin": live},
    )
    assert sent.status == 404
    for address in ("/tasks", "/escalations", "/propose"):
        response = await page.goto(address)
        assert response is not None and response.status == 403, address
        await check_page(page, "You cannot do this")
    await page.context.close()

    # Their own case opens, at the address staff use too.
    theirs = await signed_in(browser, live, them)
    await theirs.goto(f"/cases/{case_id}")
    await check_page(theirs, f"Your case {case_id}")
    await theirs.context.close()


async def opened_by(stack: Stack, officer: User) -> str:
    async with stack.http(officer.token) as http:
        opened = await http.post("/v1/cases", json={"officer_id": officer.officer_id})
    assert opened.status_code == 201, opened.text
    return opened.json()["case_id"]


async def test_an_acceptance_of_a_case_that_changed_meanwhile_is_refused_with_why(
    api: Api, new_officer: NewOfficer, live: str, browser: Browser
) -> None:
    officer = await new_officer()
    case_id = await api.to_approval(officer)
    await api.approve_all(case_id)
    page = await signed_in(browser, live, officer)
    await page.get_by_role("button", name="Accept offer").click()
    await check_page(page, "Accept the offer?")

    # While the officer reads the confirmation, HR suspends the case.
    await api.act(case_id, "suspend", "hr_manager", reason="Proceedings opened.")
    await page.get_by_role("button", name="Accept offer").click()
    await check_page(page, f"Error: Your case {case_id}")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Your case has moved on since you opened the page")
    await expect(summary).to_contain_text("Accept offer")
    await expect(page.locator("main")).to_contain_text("Your case is on hold")
    await expect(page.get_by_role("button", name="Accept offer")).to_have_count(0)
    assert (await api.get(case_id))["state"] == "suspended"
    await page.context.close()
