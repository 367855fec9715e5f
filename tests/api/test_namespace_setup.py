"""`exitcases temporal setup`, and readiness that means ready, against a dev server started
without the service's search attributes (as a production cluster starts)."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import (
    ListSearchAttributesRequest,
    RemoveSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.search_attributes import ALL
from config.settings import Settings
from domain.people import Role
from service.namespace import NamespaceNotReady, check_namespace
from store.officers import upsert_officers
from store.policies import add_policy
from store.users import create_user
from tests.helpers.api import API_POLICY
from tests.helpers.live import serve_app
from tests.helpers.officers import officer
from tests.helpers.processes import BIN, run_cli, settings_free_environ
from tests.helpers.temporal import TEST_KEYRING

# Every test here starts a Temporal dev server, the API under uvicorn, or `exitcases`.
pytestmark = pytest.mark.slow

NAMES = [key.name for key in ALL]
FIX = "`exitcases temporal setup`"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def bare_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server with no search attributes of the service's (no --search-attribute)."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(BIN / "temporal"))
    yield env
    await env.shutdown()


def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


def exitcases(
    env: WorkflowEnvironment, namespace: str, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    settings = {
        "EXITCASES_TEMPORAL_ADDRESS": address(env),
        "EXITCASES_TEMPORAL_NAMESPACE": namespace,
        "EXITCASES_PAYLOAD_KEYS": TEST_KEYRING,
        "EXITCASES_LOG_FORMAT": "json",
    }
    return run_cli(*args, env=settings_free_environ() | settings | extra, timeout=120)


async def bare_namespace(env: WorkflowEnvironment) -> str:
    """A namespace of the test's own that exists but has none of the search attributes."""
    name = f"bare-{secrets.token_hex(4)}"
    retention = Duration()
    retention.FromTimedelta(timedelta(days=1))
    await env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=retention)
    )
    return name


async def custom_attributes(env: WorkflowEnvironment, namespace: str) -> dict[str, int]:
    listed = await env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return dict(listed.custom_attributes)


async def test_setup_creates_the_namespace_with_its_retention_and_is_idempotent(
    bare_server: WorkflowEnvironment,
) -> None:
    namespace = f"exit-cases-{secrets.token_hex(4)}"
    first = await asyncio.to_thread(
        exitcases,
        bare_server,
        namespace,
        "temporal",
        "setup",
        EXITCASES_TEMPORAL_RETENTION_DAYS="7",
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "namespace": namespace,
        "created": True,
        "retention_days": 7.0,
        "search_attributes_added": NAMES,
    }
    described = await bare_server.client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    assert described.config.workflow_execution_retention_ttl.ToSeconds() == 7 * 86400
    assert set(NAMES) <= set(await custom_attributes(bare_server, namespace))

    again = await asyncio.to_thread(exitcases, bare_server, namespace, "temporal", "setup")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "namespace": namespace,
        "created": False,
        "retention_days": 7.0,
        "search_attributes_added": [],
    }


async def test_setup_adds_only_what_an_existing_namespace_lacks(
    bare_server: WorkflowEnvironment,
) -> None:
    namespace = await bare_namespace(bare_server)
    result = await asyncio.to_thread(exitcases, bare_server, namespace, "temporal", "setup")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["created"] is False and report["search_attributes_added"] == NAMES


def test_setup_without_a_server_says_what_to_configure(tmp_path: Path) -> None:
    result = run_cli(
        "temporal", "setup", env=settings_free_environ() | {"EXITCASES_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 2
    assert "EXITCASES_TEMPORAL_ADDRESS" in result.stderr and "Traceback" not in result.stderr


async def test_readyz_names_what_is_missing_until_setup_and_cases_answer_503(
    bare_server: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str
) -> None:
    namespace = await bare_namespace(bare_server)
    settings = Settings(
        database_url=database_url,
        temporal_address=address(bare_server),
        temporal_namespace=namespace,
        task_queue=f"bare-{secrets.token_hex(3)}",
        payload_keys=TEST_KEYRING,
    )
    await add_policy(pool, API_POLICY, "test-setup")
    record = officer()
    await upsert_officers(pool, [record])
    _, token = await create_user(pool, name="Setup caseworker", role=Role.CASEWORKER)
    async with serve_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.headers["content-type"] == "application/problem+json"
        problem = ready.json()
        assert problem["checks"] == {"postgres": "ok", "temporal": "not set up"}
        assert f"namespace {namespace!r} lacks the search attributes" in problem["detail"]
        assert all(name in problem["detail"] for name in NAMES)
        assert FIX in problem["detail"]

        created = await http.post(
            "/v1/cases",
            headers={"Authorization": f"Bearer {token}"},
            json={"officer_id": record.officer_id},
        )
        assert created.status_code == 503, created.text
        assert created.json()["type"] == "/problems/not-set-up"
        assert "lacks the search attribute" in created.json()["detail"]
        assert FIX in created.json()["detail"]
        # Nothing half-done: the refused start left no case behind.
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM cases WHERE officer_id = $1", record.officer_id
            )
            == 0
        )

        setup = await asyncio.to_thread(exitcases, bare_server, namespace, "temporal", "setup")
        assert setup.returncode == 0, setup.stderr
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "temporal": "ok"}}

        # Ready is remembered for a while (polling stays cheap): an attribute removed now is
        # not noticed by the next poll, though a fresh check sees it at once.
        await bare_server.client.operator_service.remove_search_attributes(
            RemoveSearchAttributesRequest(namespace=namespace, search_attributes=["CaseDueAt"])
        )
        client = await Client.connect(address(bare_server), namespace=namespace)
        with pytest.raises(NamespaceNotReady, match="lacks the search attributes CaseDueAt;"):
            await check_namespace(client)
        assert (await http.get("/readyz")).status_code == 200


async def test_readyz_when_the_namespace_does_not_exist(
    bare_server: WorkflowEnvironment, database_url: str
) -> None:
    settings = Settings(
        database_url=database_url,
        temporal_address=address(bare_server),
        temporal_namespace=f"absent-{secrets.token_hex(4)}",
        payload_keys=TEST_KEYRING,
    )
    async with serve_app(settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"] == (
        f"not ready: Temporal namespace {settings.temporal_namespace!r} does not exist; run {FIX}"
    )


async def test_the_worker_refuses_to_start_on_a_namespace_not_set_up(
    bare_server: WorkflowEnvironment, database_url: str
) -> None:
    namespace = await bare_namespace(bare_server)
    result = await asyncio.to_thread(
        exitcases, bare_server, namespace, "worker", EXITCASES_DATABASE_URL=database_url
    )
    assert result.returncode == 1
    assert f"namespace {namespace!r} lacks the search attributes" in result.stderr
    assert FIX in result.stderr and "Traceback" not in result.stderr
