"""The child processes of `exitcases dev`: started, kept running, stopped.

A worker or API process that dies is started again, so that one crash (or a ``kill -9``)
does not take the whole stack down with it: Temporal keeps the cases' state, and a new worker
carries on where the dead one stopped. A process that keeps dying as soon as it starts has a
problem no restart will fix (a bad setting, a broken install); after a few such exits in a row
the supervisor gives up, and `exitcases dev` stops everything and says which one and where its
log is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

# An exit within this many seconds of the start is a fast failure; GIVE_UP_AFTER of them in a
# row, and the process is not started again. One that ran longer starts a new count.
FAST_FAILURE_SECONDS = 10.0
GIVE_UP_AFTER = 5
# The pause before a restart doubles with each fast failure in a row, up to the cap: a process
# that dies at once does not spin, one that died after a good run is back within a second.
RESTART_DELAY_SECONDS = 0.5
RESTART_DELAY_CAP_SECONDS = 5.0
# Per group of processes (the service's, then Temporal): a stop stays well inside 30 seconds.
STOP_SECONDS = 10


class GaveUp(Exception):
    """A process kept exiting as soon as it started; the message names it and its log."""

    exit_code = 1


def start_process(
    command: list[str], log_path: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output appended to ``log_path``.

    In a session of its own: a Ctrl-C on the terminal reaches `exitcases dev` alone, which
    stops its children in order, and whatever a child starts itself (uvicorn's processes, with
    ``EXITCASES_API_WORKERS`` above 1) can be stopped with it as one process group.
    """
    with log_path.open("ab") as out:
        # Our own binaries (the venv's temporal and python) with our own arguments.
        return subprocess.Popen(  # noqa: S603
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process's group. Only while the process is not yet reaped: until then no
    other process can be given its pid, which is the group's id."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def stop_processes(group: list[subprocess.Popen[bytes]]) -> None:
    """Politely, all at once, then firmly: one shared deadline, so a stop time is bounded."""
    for process in group:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in group:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.wait()


class Supervised:
    """One of the service's processes (``name``: worker, api), started again when it exits.

    :meth:`keep_running` does the looking and restarting without waiting, so one loop can watch
    every process and still stop at once when asked.
    """

    def __init__(self, name: str, command: list[str], log_path: Path, env: dict[str, str]):
        self.name = name
        self._command = command
        self.log_path = log_path
        self._env = env
        self._fast_failures = 0
        self._restart_at: float | None = None
        self._start()

    def _start(self) -> None:
        self.process = start_process(self._command, self.log_path, self._env)
        self._started_at = time.monotonic()
        self._restart_at = None

    def _exit_code(self) -> int | None:
        """The exit code once the process has exited, whatever it started killed with it."""
        if self.process.returncode is not None:
            return self.process.returncode
        # Look without reaping, so that the group is still ours to kill (uvicorn's processes
        # would otherwise keep the port and every restart of the API would fail).
        exited = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if exited is None:
            return None
        _kill_group(self.process)
        return self.process.wait()

    def keep_running(self) -> None:
        """Start the process again if it exited and its pause is over; raise GaveUp if it
        exited too fast too often."""
        now = time.monotonic()
        if self._restart_at is not None:
            if now >= self._restart_at:
                self._start()
                log.info("process restarted", process=self.name, pid=self.process.pid)
            return
        code = self._exit_code()
        if code is None:
            return
        ran = now - self._started_at
        self._fast_failures = self._fast_failures + 1 if ran < FAST_FAILURE_SECONDS else 0
        if self._fast_failures >= GIVE_UP_AFTER:
            log.error(
                "process keeps exiting, not restarted",
                process=self.name,
                exit_code=code,
                fast_failures=self._fast_failures,
            )
            raise GaveUp(
                f"the {self.name} exited {GIVE_UP_AFTER} times in a row, each within "
                f"{FAST_FAILURE_SECONDS:g} s of starting; see {self.log_path}"
            )
        delay = min(RESTART_DELAY_SECONDS * 2**self._fast_failures, RESTART_DELAY_CAP_SECONDS)
        log.warning(
            "process exited, restarting",
            process=self.name,
            exit_code=code,
            ran_seconds=round(ran, 1),
            restart_in_seconds=delay,
        )
        self._restart_at = now + delay
