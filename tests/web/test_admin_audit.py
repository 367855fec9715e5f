"""The auditor's, admin's and roster pages in a real browser, axe on every page: a verified
chain and then the first broken event, the exports, users added and revoked (the token shown
once, the revoked user's session ended at once), and a roster file with wrong rows."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re

import pytest
from playwright.async_api import Browser, Download, Page, expect

from domain.people import Role
from store.officers import get_officer, upsert_officers
from store.policies import add_policy
from tests.audit.test_chain import _tamper, record_case
from tests.helpers.api import API_POLICY, Stack, User, add_user
from tests.helpers.live import live_server
from tests.helpers.officers import officer
from tests.web.browser import check_page, screenshot, session_csrf_token, signed_in

pytestmark = pytest.mark.slow

HEADER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,misconduct_pending"
)


async def _text(download: Download) -> str:
    return await asyncio.to_thread((await download.path()).read_text, encoding="utf-8")


async def test_an_auditor_sees_a_verified_chain_then_the_first_broken_event(
    stack: Stack, staff: dict[str, User], live: str, browser: Browser, pytestconfig: pytest.Config
) -> None:
    record = officer()
    await upsert_officers(stack.pool, [record])
    case_id = await record_case(stack.pool, events=4, officer_id=record.officer_id)

    auditor = await signed_in(browser, live, staff["auditor"])
    await check_page(auditor, "Audit")  # an auditor's first page
    await auditor.get_by_label("Case id").fill("not a case")
    await auditor.get_by_role("button", name="Check the case").click()
    await check_page(auditor, "Error: Audit")
    await expect(auditor.get_by_role("link", name="Enter a case id like")).to_be_visible()
    await auditor.get_by_label("Case id").fill(case_id.lower())
    await auditor.get_by_role("button", name="Check the case").click()
    await check_page(auditor, f"Audit of case {case_id}")
    status = auditor.locator("#chain-status")
    await expect(status).to_contain_text("Verified")
    await expect(status).to_contain_text("All 4 events link")
    # The auditor's own read is in the case's access log.
    reads = auditor.get_by_role("table").filter(has_text="Who has read the case")
    await expect(reads).to_contain_text(staff["auditor"].user_id)
    await screenshot(auditor, "audit-case", pytestconfig)

    # A superuser changes an event's reason: the page names event 3 as where the chain breaks.
    change = "UPDATE audit_events SET reason = $2 WHERE case_id = $1 AND seq = 3"
    await _tamper(stack.database_url, (change, (case_id, "nothing to see")))
    try:
        await auditor.reload()
        await check_page(auditor, f"Audit of case {case_id}")
        await expect(status).to_contain_text("Broken")
        await expect(status).to_contain_text("breaks at event 3: hash mismatch")
        await expect(auditor.locator("#event-3")).to_contain_text("Chain breaks here")
        await expect(auditor.locator("#event-4")).to_contain_text("Not verified")
        await expect(auditor.locator("#event-2 .moj-badge")).to_have_count(0)
        await screenshot(auditor, "audit-case-broken", pytestconfig)
    finally:
        # Put it back: other tests verify chains in this database.
        await _tamper(stack.database_url, (change, (case_id, None)))

    # The downloads: the API's export, as CSV and JSON lines, and the access log.
    await auditor.get_by_role("link", name="Back to audit").click()
    await check_page(auditor, "Audit")
    await screenshot(auditor, "audit", pytestconfig)
    async with auditor.expect_download() as csv_download:
        await auditor.get_by_role("link", name="The audit log as CSV").click()
    download = await csv_download.value
    assert download.suggested_filename == "audit.csv"
    rows = list(csv.DictReader(io.StringIO(await _text(download))))
    assert [r["seq"] for r in rows if r["case_id"] == case_id] == ["1", "2", "3", "4"]
    async with auditor.expect_download() as jsonl_download:
        await auditor.get_by_role("link", name="The audit log as JSON lines").click()
    download = await jsonl_download.value
    assert download.suggested_filename == "audit.jsonl"
    events = [json.loads(line) for line in (await _text(download)).splitlines()]
    assert {e["seq"] for e in events if e["case_id"] == case_id} == {1, 2, 3, 4}
    async with auditor.expect_download() as access_download:
        await auditor.get_by_role("link", name="The access log as JSON lines").click()
    download = await access_download.value
    reads_of_case = [json.loads(line) for line in (await _text(download)).splitlines()]
    assert any(
        r["case_id"] == case_id and r["user_id"] == staff["auditor"].user_id for r in reads_of_case
    )

    # A caseworker may not download the log.
    caseworker = await signed_in(browser, live, staff["caseworker"])
    refused = await caseworker.goto("/audit/export.csv")
    assert refused is not None and refused.status == 403
    await check_page(caseworker, "You cannot do this")
    for page in (auditor, caseworker):
        await page.context.close()


async def test_an_admin_adds_a_user_sees_the_token_once_and_revokes_them(
    isolated_stack: Stack, browser: Browser, pytestconfig: pytest.Config
) -> None:
    """A database of its own, so that the users page shows everyone on its first page."""
    admin_user = await add_user(isolated_stack.pool, "Web admin", Role.ADMIN)
    async with live_server(isolated_stack) as live:
        await _add_and_revoke(browser, live, admin_user, pytestconfig)


async def _add_and_revoke(
    browser: Browser, live: str, admin_user: User, pytestconfig: pytest.Config
) -> None:
    admin = await signed_in(browser, live, admin_user)
    await admin.get_by_role("link", name="Users").click()
    await check_page(admin, "Users")
    await admin.get_by_role("button", name="Add a user").click()
    await check_page(admin, "Add a user")
    # An approver without a tier: the error names the field, and what was typed stays.
    await admin.get_by_label("Name").fill("Dana Decider")
    await admin.get_by_label("Approver").check()
    await admin.get_by_role("button", name="Add user").click()
    await check_page(admin, "Error: Add a user")
    await expect(admin.get_by_role("link", name=re.compile("Select the tier"))).to_be_visible()
    await expect(admin.get_by_label("Name")).to_have_value("Dana Decider")
    await expect(admin.get_by_label("Approver")).to_be_checked()
    await screenshot(admin, "admin-add-user-error", pytestconfig)
    await admin.get_by_label("Finance").check()
    await admin.get_by_role("button", name="Add user").click()
    await check_page(admin, "User added")
    token = (await admin.locator(".app-token").inner_text()).strip()
    assert len(token) > 20
    await screenshot(admin, "admin-user-added", pytestconfig)

    # The new approver signs in with the token; it is on no other page.
    dana = await signed_in(browser, live, User("", Role.APPROVER, None, token))
    await check_page(dana, "Approvals")
    await admin.get_by_role("link", name="Back to users").click()
    await check_page(admin, "Users")
    assert token not in await admin.content()
    row = admin.get_by_role("row").filter(has_text="Dana Decider")
    await expect(row).to_contain_text("Approver (Finance tier)")
    await screenshot(admin, "admin-users", pytestconfig)

    # Revoked: the admin sees it so, and Dana's open session ends at once.
    await row.get_by_role("button", name="Revoke Dana Decider").click()
    await check_page(admin, "Users")
    await expect(admin.get_by_text("Dana Decider is revoked")).to_be_visible()
    await expect(admin.get_by_role("row").filter(has_text="Dana Decider")).to_contain_text(
        "Revoked"
    )
    await dana.reload()
    await check_page(dana, "Sign in")
    # Nobody revokes themselves from the page (no button), nor by posting the form.
    me = admin.get_by_role("row").filter(has_text=admin_user.user_id)
    await expect(me.get_by_role("button")).to_have_count(0)
    csrf = await session_csrf_token(admin)
    own = await admin.request.post(
        f"/admin/users/{admin_user.user_id}/revoke",
        form={"csrf_token": csrf},
        headers={"Origin": live},
    )
    assert own.status == 409 and "cannot revoke your own token" in await own.text()
    for page in (admin, dana):
        await page.context.close()


async def test_a_caseworker_opening_an_admin_page_is_refused(
    staff: dict[str, User], live: str, browser: Browser
) -> None:
    caseworker = await signed_in(browser, live, staff["caseworker"])
    await expect(caseworker.get_by_role("link", name="Users")).to_have_count(0)
    for address in ("/admin/users", "/admin/users/new", "/admin/policies/new", "/audit"):
        answer = await caseworker.goto(address)
        assert answer is not None and answer.status == 403, address
        await check_page(caseworker, "You cannot do this")
    await caseworker.context.close()


async def test_an_admin_adds_a_policy_version_and_a_regulation_record(
    isolated_stack: Stack, browser: Browser, pytestconfig: pytest.Config
) -> None:
    """A database of its own: the policy version added here is in force for every case opened
    after it, which would change what the other tests' cases need."""
    await add_policy(isolated_stack.pool, API_POLICY, "test-setup")
    admin_user = await add_user(isolated_stack.pool, "Web admin", Role.ADMIN)
    async with live_server(isolated_stack) as url:
        await _add_versions(await signed_in(browser, url, admin_user), pytestconfig)


async def _add_versions(admin: Page, pytestconfig: pytest.Config) -> None:
    await admin.get_by_role("link", name="Policies").click()
    await check_page(admin, "Scheme policies")
    await admin.get_by_role("button", name="Add a policy version").click()
    await check_page(admin, "Add a policy version")
    document = json.loads(await admin.get_by_label("Document (JSON)").input_value())
    # Adding the current version again with other content is refused, and the text kept.
    document["description"] = "Changed without a new version"
    await admin.get_by_label("Document (JSON)").fill(json.dumps(document))
    await admin.get_by_role("button", name="Add policy version").click()
    await check_page(admin, "Error: Add a policy version")
    await expect(admin.locator(".govuk-error-summary")).to_contain_text("choose a new version")
    await expect(admin.get_by_label("Document (JSON)")).to_have_value(json.dumps(document))
    document["version"] = f"web-{id(document)}"
    document["tariff_weeks_per_year"] = "-1"
    await admin.get_by_label("Document (JSON)").fill(json.dumps(document))
    await admin.get_by_role("button", name="Add policy version").click()
    await expect(admin.locator(".govuk-error-summary")).to_contain_text("tariff_weeks_per_year")
    await screenshot(admin, "admin-policy-error", pytestconfig)
    document["tariff_weeks_per_year"] = "4"
    await admin.get_by_label("Document (JSON)").fill(json.dumps(document))
    await admin.get_by_role("button", name="Add policy version").click()
    await check_page(admin, f"Scheme policy {document['version']}")
    await expect(admin.get_by_text("is added")).to_be_visible()

    await admin.get_by_role("link", name="Regulations").click()
    await check_page(admin, "Regulation records")
    await admin.get_by_role("button", name="Add a regulation record").click()
    await check_page(admin, "Add a regulation record")
    await admin.get_by_label("Document (JSON)").fill("{not json")
    await admin.get_by_role("button", name="Add regulation record").click()
    await check_page(admin, "Error: Add a regulation record")
    await expect(admin.locator(".govuk-error-summary")).to_contain_text(
        "The document is not valid JSON: expecting property name"
    )
    await admin.context.close()


async def test_a_bad_roster_file_shows_each_row_error_and_stores_nothing(
    stack: Stack, staff: dict[str, User], live: str, browser: Browser, pytestconfig: pytest.Config
) -> None:
    good, bad = officer(), officer()
    text = (
        f"{HEADER}\n"
        f"{good.officer_id},A. Good,superintendent,1975-03-14,2001-09-03,82000.00,2006,false\n"
        f"{bad.officer_id},B. Bad,general,1975-03-14,2001-09-03,lots,2006,false\n"
    )
    caseworker = await signed_in(browser, live, staff["caseworker"])
    await caseworker.get_by_role("link", name="Roster").click()
    await check_page(caseworker, "Import the roster")
    await caseworker.get_by_role("button", name="Import roster").click()  # no file
    await check_page(caseworker, "Error: Import the roster")
    await expect(caseworker.get_by_role("link", name="Select the roster file")).to_be_visible()

    upload = {"name": "roster.csv", "mimeType": "text/csv", "buffer": text.encode()}
    await caseworker.get_by_label("Roster file (CSV)").set_input_files(upload)
    await caseworker.get_by_role("button", name="Import roster").click()
    await check_page(caseworker, "Error: Import the roster")
    summary = caseworker.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("1 row is wrong, so nothing was imported")
    await expect(summary).to_contain_text("Line 3, rank:")
    await expect(summary).to_contain_text("Line 3, annual_pay:")
    table = caseworker.get_by_role("table")
    await expect(table.get_by_role("row").filter(has_text="rank")).to_contain_text("3")
    await screenshot(caseworker, "roster-errors", pytestconfig)
    # All rows or none: the good row is not stored either.
    assert await get_officer(stack.pool, good.officer_id) is None

    fixed = text.replace("general", "superintendent").replace("lots", "70000.00")
    upload["buffer"] = fixed.encode()
    await caseworker.get_by_label("Roster file (CSV)").set_input_files(upload)
    await caseworker.get_by_role("button", name="Import roster").click()
    await check_page(caseworker, "Import the roster")
    await expect(caseworker.get_by_text("2 officers added, 0 updated")).to_be_visible()
    assert await get_officer(stack.pool, bad.officer_id) is not None
    await caseworker.context.close()


async def test_an_officer_opening_the_roster_admin_or_audit_pages_is_refused(
    stack: Stack, live: str, browser: Browser
) -> None:
    record = officer()
    await upsert_officers(stack.pool, [record])
    officer_user = await add_user(
        stack.pool, "Web officer", Role.OFFICER, officer_id=record.officer_id
    )
    page = await signed_in(browser, live, officer_user)
    for address in ("/officers/import", "/admin/regulations/new", "/audit/cases/EX-AAAAAAAAAA"):
        answer = await page.goto(address)
        assert answer is not None and answer.status == 403, address
        await check_page(page, "You cannot do this")
    await page.context.close()
