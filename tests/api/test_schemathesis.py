"""Schemathesis against the live app: real database, real Temporal, real worker.

For every operation in the OpenAPI document, as several roles, with inputs generated from the
schema (valid ones, and deliberately invalid ones): no response is a 5xx, and every response
matches the document (status code, content type, headers, body schema).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.people import Role, Tier
from store.officers import upsert_officers
from store.policies import add_policy
from tests.api.conftest import API_POLICY, Stack, add_user, officer_record
from tests.api.live import live_server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Bounded: the whole run stays well under two minutes on a small machine.
EXAMPLES_PER_OPERATION = 8


def _run(base_url: str, tokens: dict[str, str], case_id: str) -> tuple[list[str], int]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    calls = 0
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        with_case = "{case_id}" in operation.path
        for role, token in tokens.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for path_parameters in ({"case_id": case_id}, None) if with_case else (None,):
                    strategy = operation.as_strategy(
                        generation_mode=mode,
                        headers={"Authorization": f"Bearer {token}"},
                        path_parameters=path_parameters,
                    )

                    @settings(
                        max_examples=EXAMPLES_PER_OPERATION,
                        deadline=None,
                        database=None,
                        derandomize=True,
                        phases=[Phase.explicit, Phase.generate],
                        suppress_health_check=list(HealthCheck),
                    )
                    @given(case=strategy)
                    def check(case: Any) -> None:
                        nonlocal calls
                        calls += 1
                        response = case.call(base_url=base_url, session=session, timeout=60)
                        case.validate_response(response, checks=CHECKS)

                    try:
                        check()
                    except Unsatisfiable:
                        pass  # negative mode with nothing to make invalid (no parameters)
                    except Exception as failure:  # collect every operation's, then report
                        label = f"{operation.label} as {role} ({mode.value})"
                        failures.append(f"{label}: {failure}"[:2000])
    return failures, calls


@pytest.mark.slow
async def test_no_server_errors_and_every_response_matches_the_schema(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    await add_policy(stack.pool, API_POLICY, "test")
    subject = officer_record()
    await upsert_officers(stack.pool, [subject])
    caseworker = await add_user(stack.pool, "cw", Role.CASEWORKER)
    tokens = {
        "caseworker": caseworker.token,
        "admin": (await add_user(stack.pool, "admin", Role.ADMIN)).token,
        "auditor": (await add_user(stack.pool, "aud", Role.AUDITOR)).token,
        "approver": (await add_user(stack.pool, "apr", Role.APPROVER, Tier.HR)).token,
        "officer": (
            await add_user(stack.pool, "o", Role.OFFICER, officer_id=subject.officer_id)
        ).token,
    }
    started = time.perf_counter()
    async with live_server(stack) as base_url:
        async with stack.http(caseworker.token) as client:
            created = await client.post("/v1/cases", json={"officer_id": subject.officer_id})
        assert created.status_code == 201
        failures, calls = await asyncio.to_thread(_run, base_url, tokens, created.json()["case_id"])
    elapsed = time.perf_counter() - started
    print(f"\nschemathesis: {calls} generated requests in {elapsed:.1f} s")
    assert calls > 500
    assert not failures, "\n\n".join(failures)
