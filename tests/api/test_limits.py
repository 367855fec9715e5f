"""Input hardening: request bodies have a ceiling, and guessing tokens gets an address braked."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from api.limits import BodyLimitMiddleware, FailedAuthBrake
from api.problems import ProblemError
from config.settings import Settings
from tests.helpers.api import Api, Stack
from tests.helpers.live import live_server


def small_app(limit: int) -> tuple[FastAPI, list[int]]:
    seen: list[int] = []
    app = FastAPI()
    app.add_middleware(BodyLimitMiddleware, limit=limit)

    @app.post("/echo")
    async def echo(body: dict) -> dict:
        seen.append(len(body["text"]))
        return {}

    return app, seen


async def test_bodies_over_the_limit_are_refused_before_the_route_runs() -> None:
    app, seen = small_app(limit=100)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.post("/echo", json={"text": "x" * 10})).status_code == 200
        big = await http.post("/echo", json={"text": "x" * 200})
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert "over 100 bytes" in big.json()["detail"]

        async def chunks():  # no Content-Length: the body arrives in pieces
            yield b'{"text": "'
            yield b"y" * 200
            yield b'"}'

        streamed = await http.post(
            "/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413

        async def small_chunks():
            yield b'{"text": '
            yield b'"ok"}'

        small = await http.post(
            "/echo", content=small_chunks(), headers={"content-type": "application/json"}
        )
        assert small.status_code == 200
    assert seen == [10, 2]


def test_the_brake_holds_an_address_after_repeated_failures() -> None:
    brake = FailedAuthBrake(limit=3, window=60)
    for _ in range(3):
        brake.failed("10.0.0.1")
    with pytest.raises(ProblemError) as braked:
        brake.failed("10.0.0.1")
    assert braked.value.status == 429 and int(braked.value.headers["Retry-After"]) > 0
    brake.failed("10.0.0.2")  # another address is not affected


def test_the_brake_forgets_and_holds_a_bounded_number_of_addresses() -> None:
    now = [0.0]
    brake = FailedAuthBrake(limit=3, window=60, max_addresses=1000, timer=lambda: now[0])
    for n in range(30_000):
        brake.failed(f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}")
        assert len(brake) <= 1000
    for _ in range(3):
        brake.failed("192.0.2.1")
    now[0] = 61.0  # a window after the last failure, everything is forgotten
    assert len(brake) == 0
    brake.failed("192.0.2.1")


async def test_guessing_tokens_over_http_meets_a_429_but_a_valid_token_gets_through(
    api: Api,
) -> None:
    """From an address of its own, so that the brake holds no other test's requests."""
    transport = httpx.ASGITransport(app=api.stack.app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as office:
        bad = {"Authorization": "Bearer not-a-token"}
        statuses = [(await office.get("/v1/cases", headers=bad)).status_code for _ in range(25)]
        assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
        # A colleague behind the same address, with a good token, is not locked out.
        good = {"Authorization": f"Bearer {api.staff['auditor'].token}"}
        assert (await office.get("/v1/cases", headers=good)).status_code == 200
        assert (await office.get("/v1/cases", headers=bad)).status_code == 429


async def _guess(base_url: str, forwarded_for: str, times: int) -> list[int]:
    headers = {"Authorization": "Bearer not-a-token", "X-Forwarded-For": forwarded_for}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        return [(await http.get("/v1/cases")).status_code for _ in range(times)]


@pytest.mark.slow
async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(stack: Stack) -> None:
    """The real server: uvicorn with the options ``exitcases api`` gives it."""
    async with live_server(stack) as base_url:
        assert await _guess(base_url, "198.51.100.1", 20) == [401] * 20
        # Naming another address does not escape: the brake holds the TCP peer.
        assert await _guess(base_url, "198.51.100.2", 1) == [429]
    async with live_server(stack, trusted_proxies=["127.0.0.0/8"]) as base_url:
        assert await _guess(base_url, "198.51.100.1", 20) == [401] * 20
        assert await _guess(base_url, "198.51.100.1", 1) == [429]
        # Behind a trusted proxy, each client is held by its own address.
        assert await _guess(base_url, "198.51.100.2", 1) == [401]


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings(trusted_proxies="10.0.0.1, 192.168.0.0/16,::1")
    assert settings.trusted_proxies == ["10.0.0.1", "192.168.0.0/16", "::1"]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValidationError):
        Settings(trusted_proxies="proxy.example")
