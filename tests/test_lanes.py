"""The fast lane (``-m "not slow"``) keeps out every test that starts a process or a server, and
a test that forgets its mark fails instead of slowing the lane down (``tests.helpers.lanes``)."""

from __future__ import annotations

import ast
import asyncio
import socket
import subprocess
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.helpers.lanes import SHARED_SERVERS, SLOW_FIXTURES, NotInTheFastLane

TESTS = Path(__file__).parent

# This module's tests are in the fast lane: each start below is refused before it happens.


def test_a_fast_test_may_not_start_a_process() -> None:
    with pytest.raises(NotInTheFastLane, match="test_a_fast_test_may_not_start_a_process starts"):
        subprocess.run(["true"], check=True)


async def test_nor_an_asyncio_subprocess() -> None:
    with pytest.raises(NotInTheFastLane, match="is not marked slow"):
        await asyncio.create_subprocess_exec("true")


def test_nor_listen_on_a_socket() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        with pytest.raises(NotInTheFastLane, match="listens on"):
            sock.listen()


async def test_nor_start_a_temporal_server_of_its_own() -> None:
    with pytest.raises(NotInTheFastLane, match="start_local"):
        await WorkflowEnvironment.start_local()
    with pytest.raises(NotInTheFastLane, match="start_time_skipping"):
        await WorkflowEnvironment.start_time_skipping()


def test_a_forgotten_mark_fails_and_a_server_fixture_marks_its_users(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def dev_env():  # a stand-in: the plugin goes by the fixture's name
            return "server"

        @pytest.fixture
        def built_on_it(dev_env):
            return dev_env
        """
    )
    pytester.makepyfile(
        """
        import subprocess
        import pytest

        def test_forgot_its_mark():
            subprocess.run(["true"])

        @pytest.mark.slow
        def test_marked(): ...

        def test_uses_the_server(built_on_it): ...

        def test_fast(): ...
        """
    )
    result = pytester.runpytest("-p", "tests.helpers.lanes", "-p", "no:asyncio", "-m", "not slow")
    result.assert_outcomes(passed=1, failed=1, deselected=2)
    result.stdout.fnmatch_lines(["*NotInTheFastLane*test_forgot_its_mark starts*"])


def test_the_plugin_names_fixtures_that_exist() -> None:
    """A renamed fixture would leave its tests unmarked (or the shared servers refused)."""
    fixtures = {
        node.name
        for conftest in TESTS.rglob("conftest.py")
        for node in ast.walk(ast.parse(conftest.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    }
    assert fixtures >= SLOW_FIXTURES | SHARED_SERVERS
