"""Prometheus metrics: requests by route and status, their latency, and cases by state.

Each app has its own registry, so several apps in one process (tests) do not collide. Routes
are labelled by their template (``/v1/cases/{case_id}``), never by the path requested, which
would carry case ids and grow without bound.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AppSettings, pool_of
from api.problems import ProblemError, problem_responses, unauthenticated
from domain.lifecycle import ATTENTION_REASONS, CaseState
from store.case_queries import cases_by_state, cases_needing_attention


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "exitcases_http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "exitcases_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.cases = Gauge(
            "exitcases_cases",
            "Cases in the read model, by state.",
            ["state"],
            registry=self.registry,
        )
        self.needing_attention = Gauge(
            "exitcases_cases_needing_attention",
            "Open cases stopped for a person to look at them, by reason.",
            ["reason"],
            registry=self.registry,
        )


class MetricsMiddleware:
    """Pure ASGI, so streamed responses (the audit export) are timed to their last byte."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template: str = getattr(route, "path", None) or "unmatched"
            labels: dict[str, Any] = {
                "method": scope.get("method", ""),
                "route": template,
                "status": str(status),
            }
            self.metrics.requests.labels(**labels).inc()
            self.metrics.latency.labels(**labels).observe(time.perf_counter() - started)


_bearer = HTTPBearer(auto_error=False, scheme_name="MetricsToken")


async def scraper(
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Only the holder of EXITCASES_METRICS_TOKEN (Prometheus) reads the metrics."""
    expected = settings.metrics_token
    if expected is None:
        raise ProblemError(
            404, "metrics are not served: EXITCASES_METRICS_TOKEN is not set", kind="metrics-off"
        )
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise unauthenticated("send 'Authorization: Bearer <the metrics token>' to read metrics")


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Request counts and latencies by route and status; cases by state; open cases "
    "needing attention. No personal data. Only for the bearer of `EXITCASES_METRICS_TOKEN` "
    "(docs/operations.md).",
    response_class=Response,
    dependencies=[Depends(scraper)],
    responses={
        200: {
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": 'exitcases_cases{state="hr_review"} 12.0\n',
                }
            }
        },
        **problem_responses(
            401, 404, s401="send 'Authorization: Bearer <the metrics token>' to read metrics"
        ),
    },
)
async def metrics(request: Request) -> Response:
    collected: Metrics = request.app.state.metrics
    await count_cases(collected, pool_of(request))
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)


async def count_cases(collected: Metrics, pool: asyncpg.Pool) -> None:
    """Set the case gauges from the read model as it stands."""
    counts = await cases_by_state(pool)
    for state in CaseState:
        collected.cases.labels(state=state.value).set(counts.get(state.value, 0))
    stopped = await cases_needing_attention(pool)
    # Every reason is set each time: one whose last case was closed reads zero, not its last
    # count. A reason outside the known ones (written by another version) goes with its cases.
    # No await between clearing and setting, so no scrape sees the gauge half set.
    collected.needing_attention.clear()
    for reason in ATTENTION_REASONS | stopped.keys():
        collected.needing_attention.labels(reason=reason).set(stopped.get(reason, 0))


def install_metrics(app: FastAPI) -> None:
    app.state.metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(router)
