"""Liveness and readiness, outside /v1 and without authentication (load balancers call them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.namespace import NamespaceNotReady, ReadinessCache

router = APIRouter(tags=["operations"])
log = structlog.get_logger(__name__)

# Each dependency's whole budget, retries included: a probe must answer within its own timeout.
CHECK_TIMEOUT = 3.0


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _postgres(request: Request) -> None:
    async with asyncio.timeout(CHECK_TIMEOUT):
        await request.app.state.pool.fetchval("SELECT 1")


async def _temporal(request: Request) -> None:
    # Retried: a client idle for a while may find its connection dropped, and one failed call
    # on it would mark a working server "unreachable" until the next probe.
    async with asyncio.timeout(CHECK_TIMEOUT):
        await request.app.state.temporal.service_client.check_health(
            retry=True, timeout=timedelta(seconds=CHECK_TIMEOUT)
        )


async def _namespace(request: Request) -> None:
    state = request.app.state
    # Made on first use, for the app's one client: any app with the router gets it.
    if getattr(state, "namespace_readiness", None) is None:
        state.namespace_readiness = ReadinessCache(state.temporal)
    async with asyncio.timeout(CHECK_TIMEOUT):
        await state.namespace_readiness.check()


def _log_unreachable(dependency: str, error: Exception) -> None:
    # The type only: an error's text may quote a connection string or a query.
    log.warning("readiness check failed", dependency=dependency, error_type=type(error).__name__)


@router.get(
    "/readyz",
    summary="PostgreSQL and Temporal are reachable, and Temporal's namespace is set up",
    responses={
        503: {
            "description": "a dependency is down, or the namespace lacks what cases need; "
            "the problem names which, and the command that sets the namespace up"
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    not_set_up: str | None = None
    for name, check in (("postgres", _postgres), ("temporal", _temporal)):
        try:
            await check(request)
            checks[name] = "ok"
        except Exception as error:  # any failure means "not ready"
            _log_unreachable(name, error)
            checks[name] = "unreachable"
    if checks["temporal"] == "ok":
        try:
            await _namespace(request)
        except NamespaceNotReady as error:
            checks["temporal"] = "not set up"
            not_set_up = str(error)
        except Exception as error:
            _log_unreachable("temporal", error)
            checks["temporal"] = "unreachable"
    down = [name for name, state in checks.items() if state == "unreachable"]
    if not down and not_set_up is None:
        return JSONResponse({"status": "ready", "checks": checks})
    reasons = [f"{' and '.join(down)} unreachable"] if down else []
    if not_set_up is not None:
        reasons.append(not_set_up)
    return JSONResponse(
        {
            "type": "/problems/not-ready",
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"not ready: {'; '.join(reasons)}",
            "checks": checks,
        },
        status_code=503,
        media_type="application/problem+json",
    )
