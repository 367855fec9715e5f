"""Running the service's own executables: where they are, free ports, and the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# The virtual environment's executables: `exitcases`, the Temporal CLI, the test server.
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_free_environ() -> dict[str, str]:
    """This process's environment without any ``EXITCASES_`` setting, for a child that must
    see only the settings the test gives it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("EXITCASES_")}


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``exitcases *args`` as an operator runs it, with ``env`` as its whole environment (this
    process's by default); output captured as text, the exit status left to the test."""
    return subprocess.run(
        [str(BIN / "exitcases"), *args],
        env=dict(os.environ if env is None else env),
        input=stdin,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
