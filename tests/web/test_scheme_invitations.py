"""Invitation runs on the scheme's pages (issue 17, item 2): an HR manager starts one after a
confirmation and watches its progress bar; the page refreshes itself while officers are being
listed or invited and never once the run has ended; a double submit starts one run; only HR
managers start runs, auditors watch them, caseworkers see neither; a form without its CSRF
token changes nothing. One browser journey, with axe on each page; the rest in-process."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

import httpx
import pytest
from playwright.async_api import Browser, expect
from starlette.requests import Request

from domain.officer import Rank
from service.schemes import InvitationRunView
from store.officers import upsert_officers
from tests.api.test_scheme import add_scheme
from tests.helpers.api import Api, User
from tests.helpers.live import live_server
from tests.helpers.officers import officer
from tests.web.browser import check_page, screenshot, signed_in
from tests.web.test_sign_in import OWN_PAGE, csrf_of, session_token
from web.templating import render

SCHEME = "/scheme/ves-2026"
RUNS = f"{SCHEME}/invitations"
REFRESH = '<meta http-equiv="refresh"'


def run_view(**overrides: object) -> InvitationRunView:
    fields: dict[str, object] = {
        "scheme": "ves-2026",
        "run_id": "0123456789abcdef",
        "status": "inviting",
        "total": 700,
        "processed": 412,
        "invited": 400,
        "state": "running",
        "skipped": 12,
        "failed": 0,
        "ranks": [Rank.SUPERINTENDENT],
        "started_by": "u_hr",
        "started_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        "reminder_day": date(2027, 3, 24),
    }
    return InvitationRunView.model_validate(fields | overrides)


def run_page(run: InvitationRunView, refresh_seconds: int | None) -> str:
    request = Request({"type": "http", "method": "GET", "path": RUNS, "headers": []})
    context = {"run": run, "refresh_seconds": refresh_seconds, "paused": False}
    return render(request, "scheme/invitation-run.html", context).body.decode()


def test_the_progress_bar_says_in_words_how_far_the_run_is() -> None:
    page = run_page(run_view(), refresh_seconds=5)
    assert re.search(r'<progress id="run-progress-bar"[^>]* max="700" value="412">', page)
    assert "412 of 700 officers processed" in page
    assert 'data-poll="/scheme/ves-2026/invitations/0123456789abcdef"' in page
    # Without JavaScript only: the script polls instead where it runs.
    assert f'<noscript>{REFRESH} content="5"></noscript>' in page
    assert "/static/invitation-progress.js" in page
    listing = run_page(run_view(status="listing", total=None, processed=0), refresh_seconds=5)
    assert '<progress id="run-progress-bar" class="app-progress"></progress>' in listing
    assert "Listing the officers to invite" in listing

    done = run_page(run_view(state="completed", status="done", processed=700), None)
    assert REFRESH not in done and "data-poll" not in done and "invitation-progress" not in done
    assert "700 of 700 officers processed" in done


async def a_roster(api: Api) -> Api:
    """The scheme, and ten officers of each of three ranks on the roster; inspectors are not
    eligible under the policy."""
    ranks = [Rank.SUPERINTENDENT, Rank.CHIEF_INSPECTOR, Rank.INSPECTOR]
    roster = [officer(officer_id=f"SW{n:03d}", rank=ranks[n % 3]) for n in range(30)]
    await upsert_officers(api.stack.pool, roster)
    await add_scheme(api)
    return api


@asynccontextmanager
async def signed_in_http(api: Api, user: User) -> AsyncIterator[httpx.AsyncClient]:
    async with api.stack.http(**OWN_PAGE) as browser:
        signed = await browser.post("/sign-in", data={"token": user.token})
        assert signed.status_code == 303, signed.text
        yield browser


@asynccontextmanager
async def officers_locked(api: Api) -> AsyncIterator[None]:
    """Hold the roster so a run cannot list its officers: it stays running meanwhile."""
    async with api.stack.pool.acquire() as connection, connection.transaction():
        await connection.execute("LOCK TABLE officers IN ACCESS EXCLUSIVE MODE")
        yield


async def until_completed(browser: httpx.AsyncClient, location: str) -> str:
    async with asyncio.timeout(30):
        while "govuk-tag--green" not in (page := (await browser.get(location)).text):
            await asyncio.sleep(0.1)
    return page


@pytest.mark.slow
async def test_a_double_submit_starts_one_run_whose_page_refreshes_until_it_completes(
    scheme_api: Api,
) -> None:
    api = await a_roster(scheme_api)
    async with signed_in_http(api, api.staff["hr_manager"]) as browser:
        form = await browser.get(f"{RUNS}/new")
        assert form.status_code == 200
        token = csrf_of(form.text)
        # The form offers the policy's eligible ranks, not inspectors.
        assert 'value="superintendent" checked' in form.text
        assert 'value="inspector"' not in form.text

        nothing = await browser.post(f"{RUNS}/new", data={"csrf_token": token})
        assert nothing.status_code == 400
        assert "Select at least one rank to invite" in nothing.text
        assert "<title>Error: Invite officers to apply" in nothing.text

        chosen = {"csrf_token": token, "ranks": ["superintendent", "chief_inspector"]}
        confirm = await browser.post(f"{RUNS}/new", data=chosen)
        assert confirm.status_code == 200
        assert re.search(
            r"Officers of these ranks on the roster\s*</dt>\s*<dd[^>]*>\s*20", confirm.text
        )
        run_token = re.search(r'name="run" value="([^"]+)"', confirm.text)
        assert run_token
        start = chosen | {"run": run_token.group(1)}

        async with officers_locked(api):
            first, second = [await browser.post(RUNS, data=start) for _ in range(2)]
            assert first.status_code == second.status_code == 303
            location = first.headers["location"]
            assert second.headers["location"] == location
            # Still listing: the page says so and refreshes itself (without JavaScript).
            running = await browser.get(location)
            assert "Listing the officers to invite" in running.text
            assert f"{REFRESH} content=" in running.text
            paused = await browser.get(f"{location}?refresh=off")
            assert REFRESH not in paused.text and "no longer refreshes itself" in paused.text

        done = await until_completed(browser, location)
        assert REFRESH not in done
        # Sent again once the run has ended (the back button, say): still that one run.
        again = await browser.post(RUNS, data=start)
        assert (again.status_code, again.headers["location"]) == (303, location)
        assert "20 of 20 officers processed" in done
        runs = await browser.get(RUNS)
        assert runs.text.count("govuk-tag--green") == 1
        assert "Chief inspector, Superintendent" in runs.text

    assert await api.stack.pool.fetchval("SELECT count(*) FROM scheme_invitation_runs") == 1
    invited = await api.stack.pool.fetchval("SELECT count(*) FROM scheme_invitations")
    assert invited == 20

    # The API has the same figures, for auditors too.
    listed = await api.as_("auditor").get("/v1/schemes/ves-2026/invitations")
    assert listed.status_code == 200, listed.text
    [run] = listed.json()
    assert location.endswith(run["run_id"])
    assert (run["state"], run["total"], run["processed"], run["invited"]) == (
        "completed",
        20,
        20,
        20,
    )
    assert (run["skipped"], run["not_eligible"], run["failed"]) == (0, 0, 0)
    assert run["ranks"] == ["chief_inspector", "superintendent"]
    assert run["started_by"] == api.staff["hr_manager"].user_id


@pytest.mark.slow
async def test_only_hr_managers_start_runs_and_a_form_without_its_token_changes_nothing(
    scheme_api: Api,
) -> None:
    start = {"ranks": ["superintendent"], "run": "a-token-of-sixteen-or-more"}
    api = await a_roster(scheme_api)
    async with signed_in_http(api, api.staff["hr_manager"]) as manager:
        forged = await manager.post(RUNS, data=start)
        assert forged.status_code == 403
        assert "nothing was changed" in forged.text
        # A run token made up rather than given by the confirmation is refused too.
        short = await manager.post(
            RUNS, data=start | {"run": "x", "csrf_token": await session_token(manager)}
        )
        assert short.status_code == 400
    async with signed_in_http(api, api.staff["caseworker"]) as caseworker:
        token = await session_token(caseworker)
        for response in (
            await caseworker.get(RUNS),
            await caseworker.get(f"{RUNS}/new"),
            await caseworker.post(f"{RUNS}/new", data=start | {"csrf_token": token}),
            await caseworker.post(RUNS, data=start | {"csrf_token": token}),
        ):
            assert response.status_code == 403
    async with signed_in_http(api, api.staff["auditor"]) as auditor:
        token = await session_token(auditor)
        watched = await auditor.get(RUNS)
        assert watched.status_code == 200 and "Invite officers to apply" not in watched.text
        refused = await auditor.post(RUNS, data=start | {"csrf_token": token})
        assert refused.status_code == 403
        assert (await auditor.get(f"{RUNS}/0000000000000000")).status_code == 404
    assert await api.stack.pool.fetchval("SELECT count(*) FROM scheme_invitation_runs") == 0
    assert await api.stack.pool.fetchval("SELECT count(*) FROM scheme_invitations") == 0


@pytest.mark.slow
async def test_an_hr_manager_invites_from_the_scheme_page_and_watches_the_run_complete(
    scheme_api: Api, browser: Browser, pytestconfig: pytest.Config
) -> None:
    api = await a_roster(scheme_api)
    async with live_server(api.stack) as live:
        page = await signed_in(browser, live, api.staff["hr_manager"])
        await page.get_by_role("link", name="Scheme", exact=True).click()
        await check_page(page, "Scheme ves-2026")
        await page.get_by_role("link", name=re.compile("^Invitation runs")).click()
        await check_page(page, "Invitations to scheme ves-2026")
        await expect(page.get_by_text("No invitation run has been started")).to_be_visible()
        await page.get_by_role("button", name="Invite officers to apply").click()
        await check_page(page, "Invite officers to apply")
        await page.get_by_label("Chief inspector").uncheck()
        await page.get_by_role("button", name="Continue").click()
        await check_page(page, "Send the invitations?")
        await expect(page.locator(".govuk-summary-list")).to_contain_text("To invite now")

        async with officers_locked(api):
            await page.get_by_role("button", name="Send invitations").click()
            await check_page(page, "Invitation run")
            await expect(page.get_by_text("Listing the officers to invite")).to_be_visible()
        # The script polls the page and shows the end of the run without a refresh of ours.
        await expect(page.locator(".govuk-tag")).to_have_text("Completed", timeout=20_000)
        await expect(page.get_by_text("10 of 10 officers processed")).to_be_visible()
        assert await page.locator("progress").get_attribute("value") == "10"
        await check_page(page, "Invitation run")
        await screenshot(page, "scheme-invitations", pytestconfig)

        await page.get_by_role("link", name="Back to invitations").click()
        await check_page(page, "Invitations to scheme ves-2026")
        table = page.get_by_role("table")
        await expect(table).to_contain_text("Superintendent")
        await expect(table).to_contain_text("10 of 10 officers processed")
        await screenshot(page, "scheme-invitation-runs", pytestconfig)
        await page.context.close()
