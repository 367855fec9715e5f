"""`exitcases dev` as a user runs it: embedded or configured PostgreSQL, real ports, Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psutil
import pytest

from tests.helpers.processes import BIN, free_port, run_cli, settings_free_environ

# Every test here runs `exitcases` (most of them `exitcases dev`) as a process.
pytestmark = pytest.mark.slow

HEADER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,misconduct_pending"
)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def logged(stderr: str, event: str) -> list[dict]:
    """The supervisor's log lines (JSON: its stderr is no terminal) with this event."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == event]


def wait_for_state(url: str, headers: dict[str, str], state: str) -> None:
    deadline = time.monotonic() + 60
    while httpx.get(url, headers=headers).json()["state"] != state:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _last_logged(log: Path, event: str) -> datetime:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return max(
        datetime.fromisoformat(line["timestamp"]) for line in lines if line["event"] == event
    )


def _postgres_stop_requested(data_dir: Path) -> datetime:
    """When embedded PostgreSQL was last asked to shut down (its log is in UTC: TZ below)."""
    log = (data_dir / "postgres" / "log").read_text().splitlines()
    [*_, line] = [line for line in log if "received fast shutdown request" in line]
    assert line[24:27] == "UTC", line
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)


class Dev:
    def __init__(self, data_dir: Path, ports: dict[str, int]) -> None:
        # No XDG_RUNTIME_DIR, as on a machine with no login session (root in a container).
        env = {k: v for k, v in settings_free_environ().items() if k != "XDG_RUNTIME_DIR"}
        self.env = env | {
            "EXITCASES_DATA_DIR": str(data_dir),
            "TZ": "UTC",
            "EXITCASES_API_PORT": str(ports["api"]),
            "EXITCASES_TEMPORAL_PORT": str(ports["temporal"]),
            "EXITCASES_TEMPORAL_UI_PORT": str(ports["ui"]),
        }
        self.data_dir = data_dir
        self.stderr_path = data_dir.with_name(f"{data_dir.name}-stderr.log")

    def start(self) -> tuple[subprocess.Popen[str], dict[str, str]]:
        with self.stderr_path.open("a") as stderr:
            process = subprocess.Popen(
                [str(BIN / "exitcases"), "dev"],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        printed: dict[str, str] = {}
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Ctrl-C"):
                return process, printed
            name, _, value = line.partition("  ")
            printed[name.strip()] = value.strip().split(" ")[0]
            assert time.monotonic() < deadline
        raise AssertionError(f"exitcases dev stopped early with {process.wait()}")

    def run(
        self, *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, env=self.env, stdin=stdin, cwd=cwd, timeout=timeout)

    def stop(self, process: subprocess.Popen[str]) -> int:
        process.send_signal(signal.SIGINT)
        return process.wait(timeout=60)

    def open_case(self, api: str, officer_id: str) -> tuple[dict[str, str], str]:
        """A caseworker's headers and the id of a case they opened for a new officer, both made
        through the other `exitcases` commands."""
        added = self.run("users", "add", "--name", "Cas Worker", "--role", "caseworker", "--json")
        assert added.returncode == 0, added.stderr
        caseworker = {"Authorization": f"Bearer {json.loads(added.stdout)['token']}"}
        row = f"{officer_id},Dev Officer,superintendent,1975-01-01,2001-01-01,80000,2006,false"
        assert self.run("officers", "import", "-", stdin=f"{HEADER}\n{row}\n").returncode == 0
        created = httpx.post(f"{api}/v1/cases", headers=caseworker, json={"officer_id": officer_id})
        assert created.status_code == 201, created.text
        return caseworker, created.json()["case_id"]

    def stderr(self) -> str:
        return self.stderr_path.read_text() if self.stderr_path.exists() else ""

    def leftovers(self) -> list[str]:
        """Processes still running with this data directory in their command line."""
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(self.data_dir) in cmdline:
                found.append(cmdline)
        return found


def test_dev_runs_everything_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    dev = Dev(tmp_path / "data", ports)
    process, printed = dev.start()
    try:
        api = printed["API"]
        assert httpx.get(f"{api}/readyz", timeout=10).json()["status"] == "ready"
        assert httpx.get(printed["Temporal UI"], timeout=10).status_code == 200
        # The UI, on its configured port, may call the codec with the session cookie.
        ui_settings = httpx.get(f"{printed['Temporal UI']}/api/v1/settings", timeout=10).json()
        assert ui_settings["Codec"]["Endpoint"] == f"{api}/codec"
        preflight = httpx.options(
            f"{api}/codec/decode",
            headers={
                "Origin": printed["Temporal UI"],
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace",
            },
            timeout=10,
        )
        assert preflight.headers["access-control-allow-origin"] == printed["Temporal UI"]
        assert preflight.headers["access-control-allow-credentials"] == "true"
        sign_in = httpx.get(printed["sign in"], timeout=10)
        assert sign_in.status_code == 200 and "Access token" in sign_in.text
        admin = {"Authorization": f"Bearer {printed['admin token']}"}
        assert httpx.get(f"{api}/v1/policies/current", headers=admin).status_code == 200

        # Other commands find the running service through the data directory alone.
        caseworker, case_id = dev.open_case(api, "DEV1")

        again = dev.run("dev")
        assert again.returncode == 2 and "already running" in again.stderr
        elsewhere = Dev(tmp_path / "other", ports).run("dev")
        assert elsewhere.returncode == 2
        assert f"port {ports['api']} (the API) is already in use" in elsewhere.stderr
    finally:
        assert dev.stop(process) == 0
    assert dev.leftovers() == []
    assert all(port_free(port) for port in ports.values())
    assert not (tmp_path / "data" / "runtime.json").exists()
    # Embedded PostgreSQL started with no warning (platformdirs' runtime directory), and was
    # stopped after the processes using it.
    assert "Warning" not in dev.stderr()
    postgres_stop = _postgres_stop_requested(tmp_path / "data")
    logs = tmp_path / "data" / "logs"
    assert _last_logged(logs / "worker.log", "worker stopped") < postgres_stop
    assert _last_logged(logs / "api.log", "Application shutdown complete.") < postgres_stop

    # A second run finds the first run's case, and its workflow is still there to act on.
    process, printed = dev.start()
    try:
        assert "admin token" not in printed
        url = f"{printed['API']}/v1/cases/{case_id}"
        wait_for_state(url, caseworker, "hr_review")
        acted = httpx.post(
            f"{url}/actions/review",
            headers=caseworker,
            json={"decision": "request_info", "reason": "payslips"},
            timeout=30,
        )
        assert acted.status_code == 200 and acted.json()["state"] == "info_requested"
    finally:
        assert dev.stop(process) == 0
    assert dev.leftovers() == []


def test_commands_say_what_to_configure_when_no_dev_is_running(tmp_path: Path) -> None:
    dev = Dev(tmp_path / "data", {"api": 1, "temporal": 1, "ui": 1})
    for command in (("migrate",), ("api",), ("users", "add", "--name", "A", "--role", "admin")):
        result = dev.run(*command)
        assert result.returncode == 2, command
        assert "EXITCASES_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def _create_database(server_url: str) -> tuple[str, str]:
    name = f"exitcases_dev_{secrets.token_hex(4)}"

    async def create() -> None:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(create())
    return name, urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def _drop_database(server_url: str, name: str) -> None:
    async def drop() -> None:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())


def test_dev_on_a_configured_database_and_ctrl_c_while_starting(
    tmp_path: Path, postgres_server_url: str
) -> None:
    name, database_url = _create_database(postgres_server_url)
    try:
        ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
        dev = Dev(tmp_path / "data", ports)
        dev.env["EXITCASES_DATABASE_URL"] = database_url

        # Ctrl-C while Temporal is still starting: a clean stop, nothing left behind, and no
        # admin whose token nobody saw.
        starting = subprocess.Popen(
            [str(BIN / "exitcases"), "dev"],
            env=dev.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        temporal_log = tmp_path / "data" / "logs" / "temporal.log"
        deadline = time.monotonic() + 60
        while not temporal_log.exists():
            assert starting.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        starting.send_signal(signal.SIGINT)
        out, err = starting.communicate(timeout=30)
        assert starting.returncode == 0, err
        assert "admin token" not in out
        assert dev.leftovers() == []
        assert all(port_free(port) for port in ports.values())

        process, printed = dev.start()
        try:
            api = printed["API"]
            ready = httpx.get(f"{api}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["checks"] == {
                "postgres": "ok",
                "temporal": "ok",
            }
            runtime = json.loads((tmp_path / "data" / "runtime.json").read_text())
            assert runtime["database_url"] == database_url
            admin = {"Authorization": f"Bearer {printed['admin token']}"}
            assert httpx.get(f"{api}/v1/policies/current", headers=admin).status_code == 200
            assert httpx.get(f"{api}/v1/policies/current").status_code == 401
            taken = Dev(tmp_path / "other", ports).run("dev")
            assert taken.returncode == 2
            assert f"port {ports['api']} (the API) is already in use" in taken.stderr
            started = time.monotonic()
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        assert time.monotonic() - started < 30
        assert dev.leftovers() == []
        assert all(port_free(port) for port in ports.values())

        process, printed = dev.start()
        try:
            assert "admin token" not in printed
            assert httpx.get(f"{printed['API']}/readyz", timeout=10).status_code == 200
        finally:
            assert dev.stop(process) == 0
        assert dev.leftovers() == []
    finally:
        _drop_database(postgres_server_url, name)


@pytest.fixture
def dev_database(postgres_server_url: str) -> Iterator[str]:
    name, database_url = _create_database(postgres_server_url)
    yield database_url
    _drop_database(postgres_server_url, name)


def _children_running(process: subprocess.Popen[str], command: str) -> list[psutil.Process]:
    """The supervisor's children running `exitcases <command>`."""
    children = psutil.Process(process.pid).children()
    return [child for child in children if child.cmdline()[-1:] == [command]]


def test_a_killed_worker_is_restarted_while_the_api_stays_up(
    tmp_path: Path, dev_database: str
) -> None:
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    dev = Dev(tmp_path / "data", ports)
    dev.env["EXITCASES_DATABASE_URL"] = dev_database
    process, printed = dev.start()
    try:
        api = printed["API"]
        caseworker, case_id = dev.open_case(api, "KILL1")
        url = f"{api}/v1/cases/{case_id}"
        wait_for_state(url, caseworker, "hr_review")
        [worker] = _children_running(process, "worker")

        readiness: list[int | str] = []
        done = threading.Event()

        def watch_readiness() -> None:
            while not done.is_set():
                try:
                    readiness.append(httpx.get(f"{api}/readyz", timeout=10).status_code)
                except httpx.HTTPError as error:
                    readiness.append(repr(error))
                time.sleep(0.2)

        watcher = threading.Thread(target=watch_readiness)
        watcher.start()
        try:
            worker.kill()
            # Sent while no worker runs: the Update waits for the restarted one.
            acted = httpx.post(
                f"{url}/actions/review",
                headers=caseworker,
                json={"decision": "request_info", "reason": "payslips"},
                timeout=60,
            )
        finally:
            done.set()
            watcher.join()
        assert acted.status_code == 200, acted.text
        assert acted.json()["state"] == "info_requested"
        assert readiness and set(readiness) == {200}, readiness

        [restarted] = _children_running(process, "worker")
        assert restarted.pid != worker.pid
        [exited] = logged(dev.stderr(), "process exited, restarting")
        assert exited["process"] == "worker" and exited["exit_code"] == -signal.SIGKILL
        restarts = logged(dev.stderr(), "process restarted")
        assert [line["pid"] for line in restarts] == [restarted.pid]

        # The API too comes back, on the same port.
        [api_process] = _children_running(process, "api")
        api_process.kill()
        api_process.wait(timeout=30)  # gone, and reaped by the supervisor
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api}/readyz", timeout=10).status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        [new_api] = _children_running(process, "api")
        assert new_api.pid != api_process.pid
        assert [line["process"] for line in logged(dev.stderr(), "process restarted")] == [
            "worker",
            "api",
        ]
        assert httpx.get(url, headers=caseworker).json()["state"] == "info_requested"
        assert process.poll() is None
    finally:
        assert dev.stop(process) == 0
    assert dev.leftovers() == []


def test_a_worker_that_cannot_start_is_given_up_on_and_everything_stops(
    tmp_path: Path, dev_database: str
) -> None:
    # A `worker` module that exits on import stands in for the real one (a bad setting, a
    # broken install); `python -m` looks in the working directory first, so not the project's.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "worker.py").write_text('raise SystemExit("this worker cannot start")\n')
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    dev = Dev(tmp_path / "data", ports)
    dev.env |= {"EXITCASES_DATABASE_URL": dev_database, "PYTHONPATH": str(shim)}
    result = dev.run("dev", cwd=tmp_path, timeout=180)
    worker_log = tmp_path / "data" / "logs" / "worker.log"
    assert result.returncode == 1, result.stderr
    assert (
        f"error: the worker exited 5 times in a row, each within 10 s of starting; see {worker_log}"
    ) in result.stderr
    assert worker_log.read_text().count("this worker cannot start") == 5

    restarts = logged(result.stderr, "process exited, restarting")
    assert {line["process"] for line in restarts} == {"worker"}
    # Exponential, capped.
    assert [line["restart_in_seconds"] for line in restarts] == [1.0, 2.0, 4.0, 5.0]
    [gave_up] = logged(result.stderr, "process keeps exiting, not restarted")
    assert gave_up["process"] == "worker" and gave_up["fast_failures"] == 5

    assert dev.leftovers() == []
    assert all(port_free(port) for port in ports.values())
    assert not (tmp_path / "data" / "runtime.json").exists()
