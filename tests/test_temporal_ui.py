"""Staff see decoded case histories in the Temporal Web UI, in a real browser.

The Temporal CLI's dev server runs with its UI, pointed at a live API's /codec; headless Chromium
(Debian's package: Playwright cannot download its own browser here) opens a case's history.
Signed in to the API, the UI shows the officer's data in plain text and the decoding is in the
access log; not signed in, the codec answers 401 and the UI shows none of it.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config import search_attributes
from config.settings import Settings
from domain.people import Role
from store.officers import upsert_officers
from store.policies import add_policy
from tests.helpers.api import API_POLICY, Stack, add_user
from tests.helpers.live import live_server
from tests.helpers.officers import officer
from tests.helpers.processes import BIN, free_port
from tests.helpers.temporal import TEST_CONVERTER, TEST_KEYRING
from worker import build_worker

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).parent.parent / ".exitcases" / "screenshots"


class Service:
    def __init__(self, stack: Stack, api: str, ui: str) -> None:
        self.stack, self.api, self.ui = stack, api, ui


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(pool: asyncpg.Pool, database_url: str) -> AsyncIterator[Service]:
    api_port, ui_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=search_attributes.ALL,
        ui=True,
        ui_port=ui_port,
        # As `exitcases dev` starts it.
        dev_server_extra_args=["--ui-codec-endpoint", f"{api}/codec"],
    )
    settings = Settings(task_queue=f"ui-test-{secrets.token_hex(3)}", payload_keys=TEST_KEYRING)
    await add_policy(pool, API_POLICY, "test-setup")
    try:
        async with build_worker(env.client, pool, settings):
            app = create_app(settings, pool=pool, temporal=env.client)
            stack = Stack(pool, env.client, settings, app, database_url)
            async with live_server(stack, port=api_port, temporal_ui_port=ui_port):
                yield Service(stack, api, f"http://127.0.0.1:{ui_port}")
    finally:
        await env.shutdown()


async def ui_context(browser: Browser, service: Service) -> BrowserContext:
    """A browser whose UI sends credentials to the codec: the UI's "Data Encoder" setting
    ("Include cross-origin credentials"), which the dev server has no flag for."""
    context = await browser.new_context()
    await context.add_init_script(
        f"""if (location.origin === {service.ui!r}) {{
              localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
              localStorage.setItem('endpoint', JSON.stringify({service.api + "/codec"!r}));
              localStorage.setItem('includeCredentials', 'true');
            }}"""
    )
    return context


async def open_history(page: Page, service: Service, case_id: str) -> int:
    """Open the case's history in the UI; the status of the codec's first answer."""
    url = f"{service.ui}/namespaces/default/workflows/{case_id}"
    async with page.expect_response(
        lambda r: "/codec/decode" in r.url and r.request.method == "POST", timeout=60_000
    ) as decoding:
        await page.goto(url)
    return (await decoding.value).status


async def test_signed_in_staff_see_decoded_payloads_and_others_do_not(
    service: Service, browser: Browser
) -> None:
    pool = service.stack.pool
    record = officer()
    await upsert_officers(pool, [record])
    applicant = await add_user(pool, "UI officer", Role.OFFICER, officer_id=record.officer_id)
    auditor = await add_user(pool, "UI auditor", Role.AUDITOR)
    async with httpx.AsyncClient(base_url=service.api, timeout=30) as http:
        opened = await http.post(
            "/v1/cases",
            headers={"Authorization": f"Bearer {applicant.token}"},
            json={"officer_id": record.officer_id, "statement": "I would like to go."},
        )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    anonymous = await ui_context(browser, service)
    page = await anonymous.new_page()
    assert await open_history(page, service, case_id) == 401
    # The UI has had the refusal: it says so, and shows the payloads as they are stored.
    await (
        page.locator("#content")
        .get_by_text("Codec Server could not connect")
        .wait_for(timeout=30_000)
    )
    await page.screenshot(path=SCREENSHOTS / "ui-not-signed-in.png", full_page=True)
    assert record.officer_id not in await page.content()
    await anonymous.close()

    staff = await ui_context(browser, service)
    page = await staff.new_page()
    await page.goto(f"{service.api}/")
    await page.get_by_label("Access token").fill(auditor.token)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Sign out").wait_for()
    assert await open_history(page, service, case_id) == 200
    await page.get_by_text(record.officer_id).first.wait_for(timeout=30_000)
    await page.screenshot(path=SCREENSHOTS / "ui-signed-in.png", full_page=True)
    await staff.close()

    rows = await pool.fetch(
        "SELECT case_id, endpoint FROM access_log WHERE user_id = $1", auditor.user_id
    )
    assert {(row["case_id"], row["endpoint"]) for row in rows} == {(case_id, "POST /codec/decode")}
