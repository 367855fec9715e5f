"""Browser sessions: signing in with a token, the cookie the Temporal Web UI sends to /codec,
and the ways a session ends. Decoding through the codec is recorded like reading a case."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from google.protobuf import json_format
from pydantic import ValidationError
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType

from api.app import create_app
from api.sessions import COOKIE, SECURE_COOKIE
from config.codec import CASE_ID
from config.settings import Settings
from domain.people import Role
from store.users import revoke_user
from tests.helpers.api import Api, NewOfficer, Stack, add_user

UI = "http://127.0.0.1:8233"


async def sealed_input(api: Api, case_id: str) -> dict:
    history = await api.stack.client.get_workflow_handle(case_id).fetch_history()
    started = next(
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    )
    return json_format.MessageToDict(started.workflow_execution_started_event_attributes.input)


def browser(stack: Stack) -> httpx.AsyncClient:
    """A client that keeps cookies, as a browser does, calling from the UI's origin."""
    return stack.http(Origin=UI)


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/session", json={"token": token})


async def access_rows(api: Api, user_id: str) -> list[tuple[str, str]]:
    rows = await api.stack.pool.fetch(
        "SELECT case_id, endpoint FROM access_log WHERE user_id = $1 ORDER BY access_id", user_id
    )
    return [(row["case_id"], row["endpoint"]) for row in rows]


async def test_a_signed_in_browser_decodes_and_the_decoding_is_logged(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    body = await sealed_input(api, case_id)
    assert body["payloads"][0]["metadata"][CASE_ID]  # the case travels with its payloads
    auditor = await add_user(api.stack.pool, "Session auditor", Role.AUDITOR)

    async with browser(api.stack) as anonymous:
        assert (await anonymous.post("/codec/decode", json=body)).status_code == 401
    async with browser(api.stack) as http:
        signed = await sign_in(http, auditor.token)
        assert signed.status_code == 201, signed.text
        assert signed.json() == {"user_id": auditor.user_id, "role": "auditor"}
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain HTTP here; over TLS the cookie is Secure

        decoded = await http.post("/codec/decode", json=body)
        assert decoded.status_code == 200, decoded.text
        (payload,) = json_format.ParseDict(decoded.json(), Payloads()).payloads
        assert json.loads(payload.data)["officer_id"] == officer.officer_id
        assert await access_rows(api, auditor.user_id) == [(case_id, "POST /codec/decode")]

        # The case id is sealed with the data: relabelled, the payload does not decode.
        relabelled = json.loads(json.dumps(body))
        other_case = base64.b64encode(b"EX-SOMEONEELSE").decode()
        relabelled["payloads"][0]["metadata"][CASE_ID] = other_case
        assert (await http.post("/codec/decode", json=relabelled)).status_code == 422
        assert await access_rows(api, auditor.user_id) == [(case_id, "POST /codec/decode")]

        # A page of another origin on the same site may not spend the cookie.
        http.headers["Origin"] = "http://127.0.0.1:9999"
        assert (await http.post("/codec/decode", json=body)).status_code == 403
        http.headers["Origin"] = UI

        assert (await http.delete("/session")).status_code == 204
        http.cookies.set(COOKIE, signed.cookies[COOKIE])  # a browser that kept it anyway
        assert (await http.post("/codec/decode", json=body)).status_code == 401
    assert await access_rows(api, auditor.user_id) == [(case_id, "POST /codec/decode")]


async def test_an_officer_session_cannot_decode(api: Api, new_officer: NewOfficer) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    body = await sealed_input(api, case_id)
    async with browser(api.stack) as http:
        assert (await sign_in(http, officer.token)).status_code == 201
        assert (await http.post("/codec/decode", json=body)).status_code == 403
        assert (await sign_in(http, "not-a-token")).status_code == 401


async def test_sessions_end_when_idle_too_long_too_old_or_revoked(api: Api) -> None:
    pool = api.stack.pool
    caseworker = await add_user(pool, "Session caseworker", Role.CASEWORKER)
    empty = {"payloads": []}
    async with browser(api.stack) as http:
        assert (await sign_in(http, caseworker.token)).status_code == 201
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        await pool.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1",
            caseworker.user_id,
        )
        assert (await http.post("/codec/decode", json=empty)).status_code == 401

        assert (await sign_in(http, caseworker.token)).status_code == 201
        await pool.execute(
            "UPDATE sessions SET created_at = now() - interval '12 hours 1 minute' "
            "WHERE user_id = $1",
            caseworker.user_id,
        )
        assert (await http.post("/codec/decode", json=empty)).status_code == 401

        assert (await sign_in(http, caseworker.token)).status_code == 201
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        assert await revoke_user(pool, caseworker.user_id)
        assert (await http.post("/codec/decode", json=empty)).status_code == 401
    count = "SELECT count(*) FROM sessions WHERE user_id = $1"
    assert await pool.fetchval(count, caseworker.user_id) == 0


async def test_requests_within_a_minute_of_the_last_write_only_read_the_session(
    api: Api,
) -> None:
    pool = api.stack.pool
    caseworker = await add_user(pool, "Session reader", Role.CASEWORKER)
    empty = {"payloads": []}
    # xmin changes with every UPDATE of the row, even one that writes the same values.
    written = "SELECT xmin::text AS version, last_seen_at FROM sessions WHERE user_id = $1"
    async with browser(api.stack) as http:
        assert (await sign_in(http, caseworker.token)).status_code == 201
        signed_in = await pool.fetchrow(written, caseworker.user_id)
        for _ in range(2):
            assert (await http.post("/codec/decode", json=empty)).status_code == 200
        assert await pool.fetchrow(written, caseworker.user_id) == signed_in

        await pool.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '61 seconds' WHERE user_id = $1",
            caseworker.user_id,
        )
        backdated = await pool.fetchrow(written, caseworker.user_id)
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        touched = await pool.fetchrow(written, caseworker.user_id)
        assert touched["version"] != backdated["version"]
        assert touched["last_seen_at"] > backdated["last_seen_at"]
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        assert await pool.fetchrow(written, caseworker.user_id) == touched

        # Idle for 29 minutes and a bit: still live, and the request keeps it so.
        await pool.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '29 minutes 50 seconds' "
            "WHERE user_id = $1",
            caseworker.user_id,
        )
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        await pool.execute(
            "UPDATE sessions SET last_seen_at = last_seen_at - interval '29 minutes' "
            "WHERE user_id = $1",
            caseworker.user_id,
        )
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        # Idle past the limit: ended, however recently it was last written before that.
        await pool.execute(
            "UPDATE sessions SET last_seen_at = now() - interval '30 minutes 1 second' "
            "WHERE user_id = $1",
            caseworker.user_id,
        )
        assert (await http.post("/codec/decode", json=empty)).status_code == 401


async def test_a_cookie_replayed_without_a_page_is_refused(api: Api) -> None:
    """Any service on the API's host name receives the cookie; replayed from its server (no
    Origin, as no browser sends a POST), it decodes nothing."""
    caseworker = await add_user(api.stack.pool, "Replay caseworker", Role.CASEWORKER)
    empty = {"payloads": []}
    async with browser(api.stack) as http:
        signed = await sign_in(http, caseworker.token)
    async with api.stack.http() as replayer:
        replayer.cookies.set(COOKIE, signed.cookies[COOKIE])
        refused = await replayer.post("/codec/decode", json=empty)
        assert refused.status_code == 403, refused.text
        assert "no Origin" in refused.json()["detail"]
        same_origin = await replayer.post(
            "/codec/decode", json=empty, headers={"Sec-Fetch-Site": "same-origin"}
        )
        assert same_origin.status_code == 200, same_origin.text
        from_ui = await replayer.post("/codec/decode", json=empty, headers={"Origin": UI})
        assert from_ui.status_code == 200, from_ui.text


async def test_only_the_api_and_ui_pages_sign_a_browser_out(api: Api) -> None:
    caseworker = await add_user(api.stack.pool, "Sign-out caseworker", Role.CASEWORKER)
    empty = {"payloads": []}
    async with browser(api.stack) as http:
        assert (await sign_in(http, caseworker.token)).status_code == 201
        elsewhere = {"Origin": "http://127.0.0.1:9999"}
        assert (await http.delete("/session", headers=elsewhere)).status_code == 403
        assert (await http.post("/sign-out", headers=elsewhere)).status_code == 403
        del http.headers["Origin"]
        assert (await http.delete("/session")).status_code == 403
        assert (await http.post("/sign-out")).status_code == 403
        http.headers["Origin"] = UI
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        assert (await http.delete("/session")).status_code == 204
        assert (await http.post("/codec/decode", json=empty)).status_code == 401


async def test_signing_in_ends_the_browsers_previous_session(api: Api) -> None:
    pool = api.stack.pool
    first = await add_user(pool, "First signer", Role.AUDITOR)
    second = await add_user(pool, "Second signer", Role.CASEWORKER)
    empty = {"payloads": []}
    async with browser(api.stack) as http:
        earlier = await sign_in(http, first.token)
        assert (await sign_in(http, second.token)).status_code == 201
        assert (await http.post("/codec/decode", json=empty)).status_code == 200
        http.cookies.set(COOKIE, earlier.cookies[COOKIE])  # the first cookie, kept somewhere
        assert (await http.post("/codec/decode", json=empty)).status_code == 401
    count = "SELECT count(*) FROM sessions WHERE user_id = $1"
    assert await pool.fetchval(count, first.user_id) == 0
    assert await pool.fetchval(count, second.user_id) == 1


async def test_the_sign_in_pages_may_not_be_framed_nor_stored(api: Api) -> None:
    async with api.stack.http() as http:
        page = await http.get("/")
        refused = await http.post("/sign-in", data={"token": "wrong"})
    for response in (page, refused):
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"


async def test_behind_a_tls_proxy_the_public_url_decides_origin_and_secure(
    api: Api, stack: Stack
) -> None:
    """The proxy speaks plain HTTP to the API and may rewrite Host: EXITCASES_PUBLIC_URL says
    what browsers see."""
    settings = stack.settings.model_copy(update={"public_url": "https://api.hr.example:443/"})
    app = create_app(settings, pool=stack.pool, temporal=stack.client)
    admin = await add_user(stack.pool, "Proxied admin", Role.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as http:
        own = {"Origin": "https://api.hr.example"}
        signed = await http.post("/sign-in", data={"token": admin.token}, headers=own)
        assert signed.status_code == 303, signed.text
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith(f"{SECURE_COOKIE}=") and "secure" in cookie.lower()
        by_host = {"Origin": "http://internal:8000"}  # the Host the proxy sent: not a page
        forged = await http.post("/session", json={"token": admin.token}, headers=by_host)
        assert forged.status_code == 403


def test_the_public_url_is_an_origin() -> None:
    assert Settings(public_url="https://API.hr.example:443").public_origin() == (
        "https://api.hr.example"
    )
    assert Settings(public_url="http://[::1]:8000/").public_origin() == "http://[::1]:8000"
    for wrong in ("api.hr.example", "ftp://api.hr.example", "https://api.hr.example/v1"):
        with pytest.raises(ValidationError, match="public_url"):
            Settings(public_url=wrong)


async def test_cors_lets_the_ui_on_its_actual_port_send_credentials() -> None:
    app = create_app(Settings(temporal_ui_port=9233))
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        allowed = await http.options(
            "/codec/decode", headers={"Origin": "http://127.0.0.1:9233", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "http://127.0.0.1:9233"
        assert allowed.headers["access-control-allow-credentials"] == "true"
        other = await http.options("/codec/decode", headers={"Origin": UI, **preflight})
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
