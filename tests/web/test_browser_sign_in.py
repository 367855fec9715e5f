"""Signing in and out in a real browser, with the keyboard, each page checked by axe."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from domain.people import Role
from tests.helpers.api import Stack, add_user
from tests.web.browser import check_page, screenshot, signed_in, title

pytestmark = pytest.mark.slow


async def test_sign_in_with_the_keyboard_then_sign_out(
    stack: Stack, live: str, browser: Browser, pytestconfig: pytest.Config
) -> None:
    caseworker = await add_user(stack.pool, "Keyboard caseworker", Role.CASEWORKER)
    context = await browser.new_context(base_url=live)
    page = await context.new_page()
    await page.goto("/")
    await check_page(page, "Sign in")
    await screenshot(page, "sign-in", pytestconfig)

    # The skip link comes first; then the service name; the token field takes the token.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent.trim()") == (
        "Skip to main content"
    )
    await page.get_by_label("Access token").fill("not a token")
    await page.keyboard.press("Enter")
    await page.get_by_role("link", name="That access token is not valid").wait_for()
    await check_page(page, "Error: Sign in")

    await page.get_by_label("Access token").fill(caseworker.token)
    await page.keyboard.press("Enter")
    await page.get_by_role("link", name="Sign out").wait_for()
    await check_page(page, "Your tasks")
    assert "Caseworker" in await page.locator(".moj-identity-bar").inner_text()

    # The header's link asks first; its button signs out.
    await page.get_by_role("link", name="Sign out").click()
    await page.get_by_role("button", name="Sign out").wait_for()
    await check_page(page, "Sign out")
    await page.get_by_role("link", name="No, go back").click()
    await page.get_by_role("heading", name="Your tasks").wait_for()
    await page.get_by_role("link", name="Sign out").click()
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_label("Access token").wait_for()
    await page.goto("/tasks")
    assert await page.title() == title("Sign in")
    await context.close()


async def test_a_page_outside_the_role_is_the_403_page(
    stack: Stack, live: str, browser: Browser
) -> None:
    officer = await add_user(stack.pool, "Web officer", Role.OFFICER, officer_id="OFWEB403")
    page = await signed_in(browser, live, officer)
    response = await page.goto("/tasks")
    assert response is not None and response.status == 403
    await check_page(page, "You cannot do this")
    await page.get_by_text("Your role, Officer, does not allow this. It is for:").wait_for()
    await expect(page.locator("main li")).to_have_text(
        ["Admins", "Approvers", "Auditors", "Caseworkers", "HR managers"]
    )
    not_found = await page.goto("/no-such-page")
    assert not_found is not None and not_found.status == 404
    await check_page(page, "Page not found")
    await page.context.close()
