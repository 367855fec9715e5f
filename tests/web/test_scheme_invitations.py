"""Invitation runs on the scheme's pages (issue 17, item 2): an HR manager starts one after a
confirmation and watches its progress bar; the page refreshes itself while officers are being
listed or invited and never once the run has ended; a double submit starts one run; only HR
managers start runs, auditors watch them, caseworkers see neither; a form without its CSRF
token changes nothing; the invited officer's letter on their pages and the run's start on the
auditor's. One browser journey, with axe on each page; the rest in-process."""

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
from domain.people import Actor, Role
from domain.scheme import InvitationProgress, RunFigures
from service.schemes import InvitationRunView
from store import schemes
from store.officers import upsert_officers
from tests.api.test_scheme import add_scheme
from tests.audit.test_chain import _tamper
from tests.helpers.api import Api, User, add_user
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
    names = {"u_hr": "Hana Rowe"}
    context = {"run": run, "names": names, "refresh_seconds": refresh_seconds, "paused": False}
    return render(request, "scheme/invitation-run.html", context).body.decode()


def test_the_progress_bar_says_in_words_how_far_the_run_is() -> None:
    page = run_page(run_view(), refresh_seconds=5)
    assert re.search(r'<progress id="run-progress-bar"[^>]* max="700" value="412">', page)
    assert "412 of 700 officers processed" in page
    assert 'data-poll="/scheme/ves-2026/invitations/0123456789abcdef"' in page
    # Without JavaScript only: the script polls instead where it runs.
    assert f'<noscript>{REFRESH} content="5"></noscript>' in page
    assert "/static/invitation-progress.js" in page
    assert "Hana Rowe" in page and "u_hr" not in page  # who started it, by name
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
    # Three submits, one run, one event in the audit log.
    started = await api.stack.pool.fetch(
        "SELECT actor_user_id, details FROM audit_events WHERE case_id = 'scheme:ves-2026'"
    )
    assert [(e["actor_user_id"], e["details"]["run_id"]) for e in started] == [
        (api.staff["hr_manager"].user_id, location.rsplit("/", 1)[1])
    ]
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

        # An invited superintendent finds their letter on their first page and on Apply.
        invited = await add_user(api.stack.pool, "Invited", Role.OFFICER, officer_id="SW000")
        officer_page = await signed_in(browser, live, invited)
        await check_page(officer_page, "Your case")
        await screenshot(officer_page, "officer-invitation-letter", pytestconfig)
        letter = officer_page.get_by_role("link", name=re.compile("^Invitation to apply"))
        async with officer_page.expect_download() as download:
            await letter.click()
        pdf = await (await download.value).path()
        assert (await asyncio.to_thread(pdf.read_bytes)).startswith(b"%PDF-")
        await officer_page.get_by_role("button", name="Apply for voluntary exit").click()
        await check_page(officer_page, "Apply for voluntary exit")
        await expect(officer_page.get_by_text("Your invitation letter")).to_be_visible()
        await officer_page.context.close()

        # The auditor's first page lists the run's start, its scheme's chain verified.
        auditor = await signed_in(browser, live, api.staff["auditor"])
        await check_page(auditor, "Audit")
        await expect(auditor.locator("#scheme-chain-status")).to_contain_text("Verified")
        await expect(auditor.get_by_role("table")).to_contain_text("Start invitations")
        await screenshot(auditor, "audit-scheme-events", pytestconfig)
        await auditor.context.close()


async def test_a_run_temporal_no_longer_keeps_shows_on_its_page_from_its_figures(
    scheme_api: Api,
) -> None:
    """Past the namespace's retention there is no workflow of the run's id: the pages show the
    figures the run recorded."""
    api = scheme_api
    await add_scheme(api)
    manager = Actor(user_id=api.staff["hr_manager"].user_id, role=Role.HR_MANAGER)
    await schemes.record_run(api.stack.pool, "ves-2026", "feedfacecafe0001", [], manager)
    progress = InvitationProgress(
        scheme="ves-2026",
        run_id="feedfacecafe0001",
        status="done",
        total=12,
        processed=12,
        invited=9,
        reminder_day=date(2099, 12, 1),
        reminded=3,
    )
    figures = RunFigures(progress=progress, finished_at=datetime.now(UTC))
    await schemes.record_figures(api.stack.pool, figures)
    async with signed_in_http(api, api.staff["auditor"]) as browser:
        page = await browser.get(f"{RUNS}/feedfacecafe0001")
        assert page.status_code == 200, page.text
        assert "12 of 12 officers processed" in page.text and "govuk-tag--green" in page.text
        assert REFRESH not in page.text
        runs = await browser.get(RUNS)
        assert runs.status_code == 200 and "feedfacecafe0001" in runs.text


async def test_a_run_with_neither_workflow_nor_figures_stays_listed_with_what_is_known(
    scheme_api: Api,
) -> None:
    """Started and audited, its workflow gone and no figures recorded (a run from before runs
    kept them, or one stopped before its end): listed, its invitations counted, nothing made
    up."""
    api = scheme_api
    await add_scheme(api)
    manager = Actor(user_id=api.staff["hr_manager"].user_id, role=Role.HR_MANAGER)
    run_id = "feedfacecafe0003"
    await schemes.record_run(api.stack.pool, "ves-2026", run_id, [Rank.SUPERINTENDENT], manager)
    invitees = [officer(rank=Rank.SUPERINTENDENT) for _ in range(2)]
    await upsert_officers(api.stack.pool, invitees)
    await api.stack.pool.executemany(
        "INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by) "
        "VALUES ('ves-2026', $1, $2, $3)",
        [(invitee.officer_id, run_id, manager.user_id) for invitee in invitees],
    )

    answer = await api.as_("auditor").get(f"/v1/schemes/ves-2026/invitations/{run_id}")
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert (run["state"], run["invited"], run["total"]) == ("unknown", 2, None)
    assert run["started_by"] == manager.user_id and run["failed"] == 0
    listed = (await api.as_("auditor").get("/v1/schemes/ves-2026/invitations")).json()
    assert run_id in [r["run_id"] for r in listed]
    async with signed_in_http(api, api.staff["auditor"]) as browser:
        page = (await browser.get(f"{RUNS}/{run_id}")).text
        assert "Figures not kept" in page and "2 officers invited by this run" in page
        assert "<progress" not in page and REFRESH not in page
        runs = (await browser.get(RUNS)).text
        assert run_id in runs and "2 officers invited by this run" in runs


async def test_auditors_see_the_runs_started_on_the_audit_page_and_a_broken_chain(
    scheme_api: Api,
) -> None:
    api = scheme_api
    await add_scheme(api)
    manager = Actor(user_id=api.staff["hr_manager"].user_id, role=Role.HR_MANAGER)
    for run_id in ("feedfacecafe0001", "feedfacecafe0002"):
        await schemes.record_run(
            api.stack.pool, "ves-2026", run_id, [Rank.CHIEF_INSPECTOR, Rank.SUPERINTENDENT], manager
        )
    async with signed_in_http(api, api.staff["auditor"]) as browser:
        page = (await browser.get("/audit")).text
        assert re.search(r'id="scheme-chain-status">\s*<p[^>]*><strong[^>]*>Verified', page)
        rows = re.findall(r"Start invitations: run (feedfacecafe000\d), ([^<]+)<", page)
        assert rows == [
            ("feedfacecafe0002", "Chief inspector, Superintendent"),
            ("feedfacecafe0001", "Chief inspector, Superintendent"),
        ]
        assert page.count(f"HR manager {manager.user_id}") == 2

        change = "UPDATE audit_events SET details = $2 WHERE case_id = $1 AND seq = 1"
        ranks = '{"run_id": "feedfacecafe0001", "ranks": ["superintendent"]}'
        await _tamper(api.stack.database_url, (change, ("scheme:ves-2026", ranks)))
        broken = (await browser.get("/audit")).text
        assert "The chain of scheme ves-2026 breaks at event 1: hash mismatch" in broken
    async with signed_in_http(api, api.staff["hr_manager"]) as other:
        assert (await other.get("/audit")).status_code == 403
