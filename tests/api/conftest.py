"""Fixtures the API tests of the scheme share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from store.policies import add_policy
from tests.helpers.api import API_POLICY, STAFF, Api, Stack, add_user


@pytest_asyncio.fixture(loop_scope="session")
async def scheme_api(isolated_stack: Stack) -> AsyncIterator[Api]:
    """The API on a database of its own, with the test policy and a user of each staff role:
    a scheme in force changes what every new case meets."""
    await add_policy(isolated_stack.pool, API_POLICY, "test-setup")
    staff = {
        key: await add_user(isolated_stack.pool, f"Test {key}", role, tier)
        for key, (role, tier) in STAFF.items()
    }
    client = Api(isolated_stack, staff)
    yield client
    await client.close()
