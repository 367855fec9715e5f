"""`exitcases dev` as a user runs it: embedded or configured PostgreSQL, real ports, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psutil

from tests.conftest import BIN, free_port

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


class Dev:
    def __init__(self, data_dir: Path, ports: dict[str, int]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXITCASES_")}
        self.env = env | {
            "EXITCASES_DATA_DIR": str(data_dir),
            "EXITCASES_API_PORT": str(ports["api"]),
            "EXITCASES_TEMPORAL_PORT": str(ports["temporal"]),
            "EXITCASES_TEMPORAL_UI_PORT": str(ports["ui"]),
        }
        self.data_dir = data_dir

    def start(self) -> tuple[subprocess.Popen[str], dict[str, str]]:
        process = subprocess.Popen(
            [str(BIN / "exitcases"), "dev"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
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

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "exitcases"), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def stop(self, process: subprocess.Popen[str]) -> int:
        process.send_signal(signal.SIGINT)
        return process.wait(timeout=60)

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
        assert httpx.get(printed["sign in"], timeout=10).status_code == 200
        admin = {"Authorization": f"Bearer {printed['admin token']}"}
        assert httpx.get(f"{api}/v1/policies/current", headers=admin).status_code == 200

        # Other commands find the running service through the data directory alone.
        added = dev.run("users", "add", "--name", "Cas Worker", "--role", "caseworker", "--json")
        assert added.returncode == 0, added.stderr
        caseworker = {"Authorization": f"Bearer {json.loads(added.stdout)['token']}"}
        roster = (
            f"{HEADER}\nDEV1,Dev Officer,superintendent,1975-01-01,2001-01-01,80000,2006,false\n"
        )
        assert dev.run("officers", "import", "-", stdin=roster).returncode == 0
        created = httpx.post(f"{api}/v1/cases", headers=caseworker, json={"officer_id": "DEV1"})
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]

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

    # A second run finds the first run's case, and its workflow is still there to act on.
    process, printed = dev.start()
    try:
        assert "admin token" not in printed
        url = f"{printed['API']}/v1/cases/{case_id}"
        async_deadline = time.monotonic() + 30
        while httpx.get(url, headers=caseworker).json()["state"] != "hr_review":
            assert time.monotonic() < async_deadline
            time.sleep(0.2)
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
