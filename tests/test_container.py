"""The production image, built and run as an operator would: deploy/smoke-test.sh against this
run's PostgreSQL and a Temporal dev server started here without the service's search attributes.

Needs a Docker engine; .ci/run starts this machine's dockerd when none answers. No engine is a
failure, not a skip: the production path must have run.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.processes import BIN, free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bare_temporal() -> Iterator[str]:
    """A dev server with no --search-attribute, as a fresh production cluster has none."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "temporal"),
            *("server", "start-dev", "--headless", "--log-level", "error"),
            *("--ip", "127.0.0.1", "--port", str(port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.slow
def test_the_image_runs_a_case_against_real_servers(
    bare_temporal: str, postgres_server_url: str
) -> None:
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    assert engine.returncode == 0, (
        "no Docker engine answers: start dockerd (.ci/run does when it is installed) to test the "
        f"production image; docker info said: {engine.stderr.strip()[-300:]}"
    )
    result = subprocess.run(
        [str(ROOT / "deploy" / "smoke-test.sh")],
        env=os.environ
        | {"SMOKE_POSTGRES_URL": postgres_server_url, "SMOKE_TEMPORAL_ADDRESS": bare_temporal},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "reached hr_review" in result.stdout
    assert "stopped on SIGTERM with 0" in result.stdout
