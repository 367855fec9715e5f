"""Schemes on a fresh install: the HR manager's scheme and equality pages say that no scheme has
been added yet (not "page not found"), an admin adds the first scheme on the Schemes page (a
wrong document gets the error summary and stores nothing), and then the scheme's pages show it.
Only admins reach the Schemes pages; a form without its CSRF token stores nothing."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, expect

from store import schemes
from tests.helpers.api import API_POLICY, Api
from tests.helpers.live import live_server
from tests.web.browser import check_page, screenshot, signed_in
from tests.web.test_inbox import signed_in as signed_in_client
from tests.web.test_sign_in import OWN_PAGE, csrf_of
from web.format import date_text

FIRST = {
    "name": "ves-2027",
    "description": "Voluntary exit, 2027",
    "policy_version": API_POLICY.version,
    "application_opens": "2027-01-04",
    "application_closes": "2027-03-31",
    "budget": "25000000.00",
    "monthly_caps": {"superintendent": 5},
}


@pytest.mark.slow
async def test_before_any_scheme_the_pages_say_so_and_an_admin_adds_the_first(
    scheme_api: Api, browser: Browser, pytestconfig: pytest.Config
) -> None:
    api = scheme_api
    async with live_server(api.stack) as live:
        hr = await signed_in(browser, live, api.staff["hr_manager"])
        await hr.get_by_role("link", name="Scheme", exact=True).click()
        await check_page(hr, "Scheme")
        await expect(hr.get_by_text("No scheme has been added yet")).to_be_visible()
        await hr.get_by_role("link", name="Equality", exact=True).click()
        await check_page(hr, "Equality monitoring")
        await hr.get_by_role("link", name="see the efficiency retirement figures").click()
        await check_page(hr, "Equality monitoring")
        await expect(hr.get_by_text("Efficiency retirement,")).to_be_visible()

        admin = await signed_in(browser, live, api.staff["admin"])
        await admin.get_by_role("link", name="Schemes", exact=True).click()
        await check_page(admin, "Schemes")
        await admin.get_by_role("button", name="Add a scheme version").click()
        await check_page(admin, "Add a scheme version")
        started = json.loads(await admin.get_by_label("Document (JSON)").input_value())
        assert started["policy_version"] == API_POLICY.version  # the policy in force

        wrong = FIRST | {"policy_version": "1999.9", "budget": "-1"}
        await admin.get_by_label("Document (JSON)").fill(json.dumps(wrong))
        await admin.get_by_role("button", name="Add scheme version").click()
        await check_page(admin, "Error: Add a scheme version")
        summary = admin.locator(".govuk-error-summary")
        await expect(summary).to_contain_text("budget")
        assert await schemes.list_schemes(api.stack.pool) == []
        await admin.get_by_label("Document (JSON)").fill(
            json.dumps(FIRST | {"policy_version": "1999.9"})
        )
        await admin.get_by_role("button", name="Add scheme version").click()
        await expect(summary).to_contain_text("policy version 1999.9, which is not stored")
        assert await schemes.list_schemes(api.stack.pool) == []

        await admin.get_by_label("Document (JSON)").fill(json.dumps(FIRST))
        await admin.get_by_role("button", name="Add scheme version").click()
        await check_page(admin, "Schemes")
        await expect(admin.get_by_text("Scheme ves-2027 is saved")).to_be_visible()
        await expect(admin.locator("main")).to_contain_text("Superintendent: 5")
        await screenshot(admin, "admin-schemes", pytestconfig)
        stored = await schemes.list_schemes(api.stack.pool)
        assert [(s.scheme.name, s.version, s.created_by) for s in stored] == [
            ("ves-2027", 1, api.staff["admin"].user_id)
        ]
        added_by = f"Test admin on {date_text(stored[0].created_at)}"  # by name
        await expect(admin.locator("main")).to_contain_text(added_by)

        await hr.get_by_role("link", name="Scheme", exact=True).click()
        await check_page(hr, "Scheme ves-2027")


async def test_only_admins_reach_the_schemes_pages_and_a_form_needs_its_token(
    scheme_api: Api,
) -> None:
    api = scheme_api
    for role in ("hr_manager", "auditor", "caseworker"):
        async with signed_in_client(api, api.staff[role]) as browser:
            assert (await browser.get("/admin/schemes")).status_code == 403, role
            assert (await browser.get("/admin/schemes/new")).status_code == 403, role
    async with signed_in_client(api, api.staff["admin"]) as browser:
        page = await browser.get("/admin/schemes/new")
        document = {"document": json.dumps(FIRST)}
        forged = await browser.post("/admin/schemes/new", data=document, headers=OWN_PAGE)
        assert forged.status_code == 403
        assert await schemes.list_schemes(api.stack.pool) == []
        form = document | {"csrf_token": csrf_of(page.text)}
        added = await browser.post("/admin/schemes/new", data=form, headers=OWN_PAGE)
        assert added.status_code == 303
        # The same document again (a second press of the button) adds no version.
        again = await browser.post("/admin/schemes/new", data=form, headers=OWN_PAGE)
        assert again.status_code == 303
    assert [s.version for s in await schemes.list_schemes(api.stack.pool)] == [1]
