"""Liveness and readiness, outside /v1 and without authentication (load balancers call them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT = 3.0


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _postgres(request: Request) -> None:
    async with asyncio.timeout(CHECK_TIMEOUT):
        await request.app.state.pool.fetchval("SELECT 1")


async def _temporal(request: Request) -> None:
    await request.app.state.temporal.service_client.check_health(
        timeout=timedelta(seconds=CHECK_TIMEOUT)
    )


@router.get(
    "/readyz",
    summary="PostgreSQL and Temporal are reachable",
    responses={503: {"description": "a dependency is down; the problem names which"}},
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in (("postgres", _postgres), ("temporal", _temporal)):
        try:
            await check(request)
            checks[name] = "ok"
        except Exception:  # any failure means "not ready"; the reason is in the server log
            checks[name] = "unreachable"
    down = [name for name, state in checks.items() if state != "ok"]
    if not down:
        return JSONResponse({"status": "ready", "checks": checks})
    return JSONResponse(
        {
            "type": "/problems/not-ready",
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"not ready: {' and '.join(down)} unreachable",
            "checks": checks,
        },
        status_code=503,
        media_type="application/problem+json",
    )
