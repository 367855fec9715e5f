"""Input hardening: request bodies have a ceiling, and guessing tokens gets an address braked."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.limits import BodyLimitMiddleware, FailedAuthBrake
from api.problems import ProblemError
from tests.api.conftest import Api


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
        brake.check("10.0.0.1")
        brake.failed("10.0.0.1")
    with pytest.raises(ProblemError) as braked:
        brake.check("10.0.0.1")
    assert braked.value.status == 429 and int(braked.value.headers["Retry-After"]) > 0
    brake.check("10.0.0.2")  # another address is not affected


async def test_guessing_tokens_over_http_meets_a_429(api: Api) -> None:
    """From an address of its own, so that the brake holds no other test's requests."""
    transport = httpx.ASGITransport(app=api.stack.app, client=("203.0.113.7", 40000))
    headers = {"Authorization": "Bearer not-a-token"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=headers
    ) as guesser:
        statuses = [(await guesser.get("/v1/cases")).status_code for _ in range(25)]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    # Other addresses are not held up.
    assert (await api.as_("auditor").get("/v1/cases")).status_code == 200
