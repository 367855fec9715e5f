"""`exitcases dev` as a user runs it: embedded PostgreSQL and Temporal, real ports, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import psutil

from tests.conftest import BIN

HEADER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,misconduct_pending"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
