"""A real browser on the pages: headless Chromium against the application under uvicorn,
and axe-core's accessibility check.

Fixtures: ``live`` (tests/web/conftest.py: the base URL, one server per session, with the API
tests' worker and Temporal) and ``browser`` (tests/conftest.py). Helpers: :func:`signed_in`
opens a new browser context signed in as a user, through the sign-in page as a person would;
:func:`check_page` asserts the page's title and that axe finds no WCAG 2.2 AA violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from tests.helpers.api import User

# The pages' pictures in the docs (README shows them).
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"

# Every rule of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()


def title(page_name: str) -> str:
    """A page's whole title: the name, an en dash (as GOV.UK titles have), the service."""
    return f"{page_name} \N{EN DASH} Exit cases"


async def signed_in(browser: Browser, live: str, user: User) -> Page:
    """A new page in a browser of its own, signed in as ``user`` on the sign-in page."""
    context = await browser.new_context(base_url=live)
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_label("Access token").fill(user.token)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Sign out").wait_for()
    return page


async def session_csrf_token(page: Page) -> str:
    """The CSRF token of the page's session, as the sign-out page's form carries it: for a
    test that posts a form no page offers it."""
    answer = await page.request.get("/sign-out")
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', await answer.text())
    assert match, "the sign-out page has no CSRF token"
    return match.group(1)


async def check_page(page: Page, name: str) -> None:
    """The page is called ``name`` and axe finds nothing wrong with it."""
    assert await page.title() == title(name)
    results = await _AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert results.violations_count == 0, results.generate_snapshot()


async def screenshot(page: Page, name: str, config: pytest.Config) -> None:
    """``docs/screenshots/name.png``, with ``--screenshots`` only: they differ every run (ids,
    times), and the docs should change when the pages do, not when the tests run."""
    if config.getoption("--screenshots"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


async def tab_to(page: Page, text: str, most: int = 150) -> None:
    """Press Tab until the focused element's text or label is ``text``, as a keyboard user
    moves through a page; fails if it never is."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        names = await page.evaluate(
            """() => {
                const e = document.activeElement;
                return [(e.innerText || '').trim(), (e.labels?.[0]?.textContent || '').trim()];
            }"""
        )
        if text in names:
            return
    raise AssertionError(f"Tab never reached {text!r}")
