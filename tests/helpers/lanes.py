"""The fast lane (``./test -m "not slow"``) and what keeps it fast.

A test is slow when it starts a process or a server of its own: a Temporal dev server,
``exitcases dev`` or any other command, a worker process, docker, a browser, uvicorn, an SMTP
server. Two servers are shared by the whole run, started once, and belong to the fast lane:
PostgreSQL and the time-skipping Temporal test server.

This module is a pytest plugin (``tests/conftest.py`` loads it). Two rules keep the lane
honest, so a new test cannot forget its mark:

- a test that uses a fixture in ``SLOW_FIXTURES`` (or a fixture built on one) is marked slow
  when it is collected;
- any other test not marked slow runs with process and server starts refused: the first one
  fails the test, saying what it started.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

# Fixtures that start a server of their own (for the tests that use them, or for the session).
SLOW_FIXTURES = frozenset({"dev_env", "rig", "scratch_rig"})
# Fixtures that start the servers the whole run shares; the fast lane may use them.
SHARED_SERVERS = frozenset({"postgres_server_url", "time_skipping_env"})


class NotInTheFastLane(Exception):
    """A test not marked slow started a process or a server."""


# The node id of the test running now if it is in the fast lane, else None.
_fast_test: str | None = None


def _refuse(what: str) -> None:
    if _fast_test is not None:
        raise NotInTheFastLane(
            f"{_fast_test} {what}, but is not marked slow: mark it @pytest.mark.slow"
        )


@contextmanager
def _lane(test: str | None) -> Iterator[None]:
    global _fast_test
    before, _fast_test = _fast_test, test
    try:
        yield
    finally:
        _fast_test = before


def _guard(owner: Any, name: str, what: Callable[..., str], *, classmethod_: bool = False) -> None:
    original = getattr(owner, name)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _refuse(what(*args, **kwargs))
        return original(*args, **kwargs)

    setattr(owner, name, staticmethod(guarded) if classmethod_ else guarded)


_installed = False


def install_guards() -> None:
    """Refuse, in fast-lane tests, every way the suite starts a process or a server: child
    processes (``subprocess``, which asyncio's subprocesses use too), listening sockets (uvicorn,
    asyncio servers, SMTP) and Temporal's own servers (started by the SDK's core, not Python)."""
    global _installed
    if _installed:
        return
    _installed = True
    _guard(subprocess.Popen, "__init__", lambda _self, *a, **k: f"starts {a[:1] or k}")
    _guard(socket.socket, "listen", lambda sock, *_a: f"listens on {sock.getsockname()}")
    for starter in ("start_local", "start_time_skipping"):
        _guard(
            WorkflowEnvironment,
            starter,
            lambda *_a, _starter=starter, **_k: f"starts a Temporal server ({_starter})",
            classmethod_=True,
        )


def pytest_configure(config: pytest.Config) -> None:
    install_guards()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _lane_of(item: pytest.Item) -> str | None:
    return None if item.get_closest_marker("slow") else item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _lane(_lane_of(item)):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _lane(_lane_of(item)):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Iterator[object]:
    """The shared servers may start while whichever test asks for them first sets up."""
    if fixturedef.argname not in SHARED_SERVERS:
        return (yield)
    with _lane(None):
        return (yield)
