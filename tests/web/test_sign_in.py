"""Signing in to the pages with an access token, the session cookie, the CSRF check on forms,
and the error pages: through the application in-process (the browser tests are beside)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from api.sessions import COOKIE
from config.settings import Settings
from domain.people import Role
from store.users import revoke_user
from tests.helpers.api import Stack, add_user
from tests.web.browser import title
from web.app import install_web
from web.session import page_user

OWN_PAGE = {"Origin": "http://api.test"}


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


async def session_token(client: httpx.AsyncClient) -> str:
    """The CSRF token of the client's session, from the sign-out page's form: for a test that
    posts a form the page it is on does not offer (a forged post)."""
    return csrf_of((await client.get("/sign-out")).text)


async def test_the_start_page_asks_for_an_access_token(stack: Stack) -> None:
    async with stack.http() as browser:
        page = await browser.get("/")
    assert page.status_code == 200
    assert f"<title>{title('Sign in')}</title>" in page.text
    assert '<label class="govuk-label govuk-label--s" for="token">' in page.text
    assert "Access token" in page.text and ">\n  Sign in\n</button>" in page.text
    assert "govuk-header__logotype" not in page.text and "favicon" not in page.text


async def test_a_wrong_token_is_an_error_summary_linked_to_the_field(stack: Stack) -> None:
    async with stack.http() as browser:
        empty = await browser.post("/sign-in", data={"token": ""})
        wrong = await browser.post("/sign-in", data={"token": "not-a-token"})
    assert empty.status_code == 400 and "Enter your access token" in empty.text
    assert wrong.status_code == 401 and COOKIE not in wrong.cookies
    assert f"<title>{title('Error: Sign in')}</title>" in wrong.text
    assert 'href="#token"' in wrong.text and "govuk-error-summary" in wrong.text


async def test_signing_in_sets_a_new_session_and_signing_out_needs_the_csrf_token(
    stack: Stack,
) -> None:
    caseworker = await add_user(stack.pool, "Web caseworker", Role.CASEWORKER)
    async with stack.http() as browser:
        signed = await browser.post("/sign-in", data={"token": caseworker.token})
        assert signed.status_code == 303 and signed.headers["location"] == "/tasks"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        first = browser.cookies[COOKIE]
        again = await browser.post("/sign-in", data={"token": caseworker.token})
        assert again.status_code == 303 and browser.cookies[COOKIE] != first  # a new id

        home = await browser.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/tasks"
        tasks = await browser.get("/tasks")
        # Not kept by the browser: Back after signing out must not show it to the next person.
        assert tasks.headers["cache-control"] == "no-store"
        page = tasks.text
        assert re.search(r'<a class="govuk-link[^"]*" href="/sign-out">Sign out</a>', page)
        # The header's link goes to a page that only asks: its form posts the CSRF token.
        asking = await browser.get("/sign-out")
        assert asking.status_code == 200 and f"<title>{title('Sign out')}</title>" in asking.text
        assert 'action="/sign-out"' in asking.text
        token = csrf_of(asking.text)
        assert (await browser.get("/tasks")).status_code == 200  # still signed in

        forged = await browser.post("/sign-out", data={"csrf_token": "0" * 64}, headers=OWN_PAGE)
        assert forged.status_code == 403 and "nothing was changed" in forged.text
        elsewhere = {"Origin": "https://elsewhere.example"}
        foreign = await browser.post("/sign-out", data={"csrf_token": token}, headers=elsewhere)
        assert foreign.status_code == 403
        assert (await browser.get("/tasks")).status_code == 200  # still signed in

        out = await browser.post("/sign-out", data={"csrf_token": token}, headers=OWN_PAGE)
        assert out.status_code == 303 and out.headers["location"] == "/"
        assert (await browser.get("/tasks")).headers["location"] == "/"


async def test_the_sign_out_page_is_for_someone_signed_in(stack: Stack) -> None:
    async with stack.http() as browser:
        nobody = await browser.get("/sign-out")
    assert nobody.status_code == 303 and nobody.headers["location"] == "/"


async def test_an_old_sessions_csrf_token_does_not_work_in_a_new_one(stack: Stack) -> None:
    caseworker = await add_user(stack.pool, "Web caseworker 2", Role.CASEWORKER)
    async with stack.http() as browser:
        await browser.post("/sign-in", data={"token": caseworker.token})
        old = csrf_of((await browser.get("/sign-out")).text)
        await browser.post("/sign-in", data={"token": caseworker.token})
        refused = await browser.post("/sign-out", data={"csrf_token": old}, headers=OWN_PAGE)
    assert refused.status_code == 403


async def test_revoking_a_user_ends_their_page_session_at_once(stack: Stack) -> None:
    caseworker = await add_user(stack.pool, "Revoked caseworker", Role.CASEWORKER)
    async with stack.http() as browser:
        await browser.post("/sign-in", data={"token": caseworker.token})
        assert (await browser.get("/tasks")).status_code == 200
        assert await revoke_user(stack.pool, caseworker.user_id)
        ended = await browser.get("/tasks")
    assert ended.status_code == 303 and ended.headers["location"] == "/"


async def test_unknown_pages_are_a_page_and_unknown_api_addresses_a_problem(stack: Stack) -> None:
    async with stack.http(Accept="text/html") as browser:
        page = await browser.get("/no-such-page")
        api = await browser.get("/v1/no-such-thing")
    assert page.status_code == 404 and f"<title>{title('Page not found')}</title>" in page.text
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


async def test_an_unexpected_error_shows_a_reference_and_no_details(stack: Stack) -> None:
    async def broken() -> None:
        raise RuntimeError("Pat Example's personal data")

    stack.app.dependency_overrides[page_user] = broken
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            page = await client.get("/tasks")
    finally:
        del stack.app.dependency_overrides[page_user]
    assert page.status_code == 500
    assert re.search(r'class="app-reference">[0-9A-F]{8}<', page.text)
    assert "Pat Example" not in page.text and "RuntimeError" not in page.text
    assert "Traceback" not in page.text


def test_single_sign_on_is_a_seam_that_refuses_to_start_until_built() -> None:
    settings = Settings(oidc_issuer="https://login.microsoftonline.com/tenant/v2.0")
    with pytest.raises(RuntimeError, match="not built yet"):
        install_web(FastAPI(), settings)
