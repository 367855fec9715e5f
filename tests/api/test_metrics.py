"""/metrics: request counts and latencies by route template and status, cases by state."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Api, NewOfficer


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_requests_by_route_and_cases_by_state(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case = await api.open(officer)
    await api.wait_for(case["case_id"], "hr_review")
    await api.as_("caseworker").get("/v1/cases/EX-NOSUCHCASE")
    async with api.stack.http() as anonymous:
        response = await anonymous.get("/metrics")
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
