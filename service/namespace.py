"""What the service needs of its Temporal namespace: setting it up, and checking it is set up.

`exitcases temporal setup` (and `exitcases dev`, and the compose file's set-up job) creates the
namespace if it is missing and registers the search attributes of
``config.search_attributes``; `/readyz` and the worker's start check both are there, so that
"ready" means a case can be started, not that the first one fails.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from pydantic import BaseModel
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from config.runtime import run_with_temporal, temporal_address
from config.search_attributes import ALL, indexed_value_type, register_search_attributes
from config.settings import Settings

FIX = "run `exitcases temporal setup`"
# A namespace just created reaches every frontend's cache within seconds (about ten on a cluster);
# until then adding its search attributes answers NOT_FOUND.
PROPAGATION_SECONDS = 60.0
# A positive check is remembered this long: /readyz is polled often, and a namespace once set up
# does not lose its attributes unless someone removes them.
READY_CACHE_SECONDS = 30.0


class NamespaceNotReady(Exception):
    """The namespace is missing, or lacks search attributes; the message says which and how to
    fix it."""


class SetupReport(BaseModel):
    """What `exitcases temporal setup` found and did."""

    namespace: str
    created: bool
    retention_days: float
    search_attributes_added: list[str]


async def _namespace_exists(client: Client, namespace: str) -> bool:
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), retry=True
        )
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def missing_search_attributes(client: Client, namespace: str) -> list[str]:
    """The service's search attributes the namespace lacks (or holds with another type)."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace), retry=True
    )
    present = dict(listed.custom_attributes)
    return [key.name for key in ALL if present.get(key.name) != indexed_value_type(key)]


async def not_ready_reason(client: Client) -> str | None:
    """Why the client's namespace cannot run cases yet, with the fix; None if it can."""
    namespace = client.namespace
    if not await _namespace_exists(client, namespace):
        return f"Temporal namespace {namespace!r} does not exist; {FIX}"
    missing = await missing_search_attributes(client, namespace)
    if missing:
        return (
            f"Temporal namespace {namespace!r} lacks the search attributes "
            f"{', '.join(missing)}; {FIX}"
        )
    return None


async def check_namespace(client: Client) -> None:
    """Raise ``NamespaceNotReady`` unless the client's namespace can run cases."""
    reason = await not_ready_reason(client)
    if reason is not None:
        raise NamespaceNotReady(reason)


class ReadinessCache:
    """``check_namespace`` for a long-lived client, remembering success for a short while."""

    def __init__(self, client: Client, seconds: float = READY_CACHE_SECONDS) -> None:
        self._client = client
        self._seconds = seconds
        self._ready_until = 0.0

    async def check(self) -> None:
        if time.monotonic() < self._ready_until:
            return
        await check_namespace(self._client)
        self._ready_until = time.monotonic() + self._seconds


def _duration(value: timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


async def set_up_namespace(client: Client, retention: timedelta) -> SetupReport:
    """Create the client's namespace if missing, then add the search attributes it lacks.

    Safe to run any number of times, and alongside another run: a namespace or attribute that
    appears meanwhile is taken as done. An existing namespace keeps its own retention.
    """
    namespace = client.namespace
    created = False
    if not await _namespace_exists(client, namespace):
        try:
            await client.workflow_service.register_namespace(
                RegisterNamespaceRequest(
                    namespace=namespace,
                    workflow_execution_retention_period=_duration(retention),
                )
            )
            created = True
        except RPCError as error:
            if error.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace)
    )
    kept = described.config.workflow_execution_retention_ttl.ToTimedelta()
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while True:
        try:
            missing = await missing_search_attributes(client, namespace)
            if missing:
                await register_search_attributes(client, missing)
            break
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)
    still_missing = await missing_search_attributes(client, namespace)
    if still_missing:
        # Present under another type: adding cannot change that, and removing is the operator's
        # decision (workflows may use it).
        raise NamespaceNotReady(
            f"Temporal namespace {namespace!r} holds the search attributes "
            f"{', '.join(still_missing)} with another type; remove them "
            "(`temporal operator search-attribute remove`) and run `exitcases temporal setup`"
        )
    return SetupReport(
        namespace=namespace,
        created=created,
        retention_days=kept / timedelta(days=1),
        search_attributes_added=missing,
    )


async def _setup(settings: Settings) -> SetupReport:
    client = await Client.connect(temporal_address(settings), namespace=settings.temporal_namespace)
    return await set_up_namespace(client, timedelta(days=settings.temporal_retention_days))


def setup_command(settings: Settings) -> int:
    try:
        report = run_with_temporal(_setup(settings))
    except RuntimeError as error:  # no server configured, or none answering
        print(f"error: {error}", file=sys.stderr)
        return 2
    except NamespaceNotReady as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except RPCError as error:
        print(
            f"error: Temporal refused to set up namespace {settings.temporal_namespace!r}: "
            f"{error.message}",
            file=sys.stderr,
        )
        return 1
    print(report.model_dump_json())
    return 0
