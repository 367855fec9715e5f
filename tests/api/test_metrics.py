"""/metrics: request counts and latencies by route template and status, cases by state, and
only for the holder of the metrics token."""

from __future__ import annotations

import dataclasses
import secrets

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from api.app import create_app
from api.metrics import count_cases
from config.settings import Settings
from domain.lifecycle import CALCULATION_FAILED
from tests.helpers.api import Api, NewOfficer

METRICS_TOKEN = "metrics-test-token-0123456789abcdef"


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _with_metrics_token(api: Api) -> Api:
    """The same pool, Temporal and users, in an app configured with a metrics token."""
    settings = api.stack.settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    app = create_app(settings, pool=api.stack.pool, temporal=api.stack.client)
    return Api(dataclasses.replace(api.stack, app=app, settings=settings), api.staff)


async def test_metrics_count_requests_by_route_and_cases_by_state(
    api: Api, new_officer: NewOfficer
) -> None:
    api = _with_metrics_token(api)
    officer = await new_officer()
    case = await api.open(officer)
    await api.wait_for(case["case_id"], "hr_review")
    await api.as_("caseworker").get("/v1/cases/EX-NOSUCHCASE")
    async with api.stack.http(METRICS_TOKEN) as prometheus:
        response = await prometheus.get("/metrics")
    await api.close()
    assert response.status_code == 200
    samples = _samples(response.text)
    route = frozenset({("method", "GET"), ("route", "/v1/cases/{case_id}"), ("status", "200")})
    assert samples[("exitcases_http_requests_total", route)] >= 1
    missing = frozenset({("method", "GET"), ("route", "/v1/cases/{case_id}"), ("status", "404")})
    assert samples[("exitcases_http_requests_total", missing)] >= 1
    assert samples[("exitcases_http_request_duration_seconds_count", route)] >= 1
    in_review = await api.stack.pool.fetchval(
        "SELECT count(*) FROM cases WHERE state = 'hr_review'"
    )
    assert samples[("exitcases_cases", frozenset({("state", "hr_review")}))] == in_review >= 1
    assert ("exitcases_cases", frozenset({("state", "completed")})) in samples
    assert case["case_id"] not in response.text  # templates, never the ids requested


async def test_metrics_are_not_readable_without_the_metrics_token(api: Api) -> None:
    with_token = _with_metrics_token(api)
    auditor = api.staff["auditor"].token
    for token in (None, "wrong-token", auditor, METRICS_TOKEN[:-1]):
        async with with_token.stack.http(token) as client:
            refused = await client.get("/metrics")
        assert refused.status_code == 401, token
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "exitcases_cases" not in refused.text
    # No token configured (the default): nobody reads them, the token's holder included.
    for token in (None, METRICS_TOKEN, auditor):
        async with api.stack.http(token) as client:
            off = await client.get("/metrics")
        assert off.status_code == 404
        assert "EXITCASES_METRICS_TOKEN" in off.json()["detail"]


def test_the_metrics_token_is_long_or_unset_and_never_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXITCASES_METRICS_TOKEN", "")
    assert Settings().metrics_token is None  # compose's `${EXITCASES_METRICS_TOKEN:-}`
    monkeypatch.setenv("EXITCASES_METRICS_TOKEN", "hunter2-too-short")
    with pytest.raises(ValidationError, match="at least 32") as refused:
        Settings()
    assert "hunter2" not in str(refused.value)


async def test_a_reason_whose_cases_have_gone_no_longer_counts_them(
    api: Api, new_officer: NewOfficer
) -> None:
    """A reason another version wrote reads as its cases, and goes when they do."""
    case = await api.open(await new_officer())
    await api.wait_for(case["case_id"], "hr_review")
    pool, collected = api.stack.pool, api.stack.app.state.metrics
    reason = f"written_by_another_version_{secrets.token_hex(3)}"

    async def needing_attention(why: str) -> float | None:
        await count_cases(collected, pool)
        return collected.registry.get_sample_value(
            "exitcases_cases_needing_attention", {"reason": why}
        )

    set_reason = "UPDATE cases SET needs_attention = $2 WHERE case_id = $1"
    await pool.execute(set_reason, case["case_id"], reason)
    try:
        assert await needing_attention(reason) == 1
    finally:
        await pool.execute(set_reason, case["case_id"], None)
    assert not await needing_attention(reason)
    # The known reasons are always there, at zero when no case has them.
    assert await needing_attention(CALCULATION_FAILED) is not None
