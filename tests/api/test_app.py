"""``create_app``: one wiring, whether it opens its own pool and Temporal client or is given the
caller's (as the tests give theirs)."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import pytest
from temporalio.client import Client

from api.app import create_app
from config.settings import Settings


def test_given_resources_are_used_at_once_and_half_of_them_is_refused() -> None:
    pool, temporal = cast(asyncpg.Pool, object()), cast(Client, object())
    settings = Settings()
    app = create_app(settings, pool=pool, temporal=temporal)
    state: Any = app.state
    assert (state.pool, state.temporal, state.settings) == (pool, temporal, settings)
    with pytest.raises(ValueError, match="both a pool and a Temporal client, or neither"):
        create_app(settings, pool=pool)
    with pytest.raises(ValueError, match="both a pool and a Temporal client, or neither"):
        create_app(settings, temporal=temporal)


def test_the_tests_app_serves_what_the_service_serves() -> None:
    pool, temporal = cast(asyncpg.Pool, object()), cast(Client, object())
    given = create_app(Settings(), pool=pool, temporal=temporal).openapi()["paths"]
    own = create_app(Settings()).openapi()["paths"]
    assert given == own
    assert {"/healthz", "/readyz", "/v1/cases"} <= set(own)
