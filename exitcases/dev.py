"""`exitcases dev`: the whole service on one machine, on embedded defaults, until Ctrl-C.

PostgreSQL is the configured one or an embedded one in the data directory; Temporal is the
configured one or the CLI's dev server keeping its state in a file there. Then a worker and the
API run as child processes, started again if they die (exitcases/supervise.py). A second run
reuses the data: cases started before carry on.
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

import httpx
from temporalio.client import Client
from temporalio.service import RPCError

from config.codec import new_key_entry
from config.runtime import (
    Runtime,
    keyring_path,
    payload_keyring,
    read_runtime,
    runtime_path,
    write_runtime,
)
from config.search_attributes import dev_server_flags
from config.settings import Settings
from exitcases.local import (
    LocalServerError,
    check_local_servers,
    embedded_postgres,
    temporal_binary,
)
from exitcases.supervise import GaveUp, Supervised, start_process, stop_processes
from service.namespace import NamespaceNotReady, set_up_namespace
from store.migrate import migrate_url
from store.policies import ensure_default_policy
from store.pool import create_pool
from store.users import create_user

STARTUP_SECONDS = 90
ADMIN_MARKER = "first-admin-created"


class DevError(Exception):
    """Something `exitcases dev` cannot get past; the message says what."""

    exit_code = 1


class PortInUse(DevError):
    exit_code = 2


class NoLocalServers(DevError):
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
    server = embedded_postgres().get_server(settings.data_dir / "postgres", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


async def _prepare_database(url: str) -> None:
    """Migrations, and the bundled policy when there is none yet (cases need one to start)."""
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


def _wait_for_api(url: str, service: list[Supervised], stop: _Stop) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        stop.check()
        for process in service:
            process.keep_running()
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise DevError(f"the API did not answer at {url}")
        time.sleep(0.3)


def _stop(service: list[Supervised], temporal: subprocess.Popen[bytes] | None) -> None:
    """The API and the worker first (the worker finishes its tasks against Temporal), then
    Temporal itself."""
    stop_processes([supervised.process for supervised in service])
    if temporal is not None:
        stop_processes([temporal])


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
    service: list[Supervised] = []
    temporal: subprocess.Popen[bytes] | None = None
    try:
        try:
            check_local_servers(settings)
        except LocalServerError as error:
            raise NoLocalServers(str(error)) from None
        _check_ports(settings)
        # The children run in sessions of their own: a closed terminal must stop them too.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, stop)
        keyring = _ensure_keyring(settings)
        logs = settings.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        with contextlib.ExitStack() as stack:
            database_url = stack.enter_context(_database(settings))
            # The service and Temporal stop before the database they use stops.
            stack.callback(lambda: _stop(service, temporal))
            asyncio.run(_prepare_database(database_url))
            stop.check()
            address = settings.temporal_address
            ui_url = None
            if not address:
                address = f"127.0.0.1:{settings.temporal_port}"
                ui_url = f"http://127.0.0.1:{settings.temporal_ui_port}"
                temporal = start_process(
                    [
                        str(temporal_binary()),
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
            asyncio.run(_prepare_temporal(address, settings, temporal, stop))
            api_url = f"http://{_local_host(settings.api_host)}:{settings.api_port}"
            env = dict(os.environ) | {
                "EXITCASES_DATABASE_URL": database_url,
                "EXITCASES_TEMPORAL_ADDRESS": address,
                "EXITCASES_PAYLOAD_KEYS": keyring,
                "EXITCASES_DATA_DIR": str(settings.data_dir),
                "EXITCASES_LOG_FORMAT": "json",
                # The API lets the UI on this port call /codec with the session cookie.
                "EXITCASES_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
            }
            python = [sys.executable, "-m", "exitcases"]
            for name in ("worker", "api"):
                service.append(Supervised(name, [*python, name], logs / f"{name}.log", env))
            _wait_for_api(api_url, service, stop)
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
                print(f"sign in      {api_url}/  (the pages; the UI then shows decoded payloads)")
            print(f"logs         {logs}")
            if token:
                print(f"admin token  {token}  (shown once; keep it)")
            print("Ctrl-C stops everything.", flush=True)
            while not stop.requested:
                if temporal is not None and temporal.poll() is not None:
                    raise DevError(f"the Temporal dev server exited; see {logs / 'temporal.log'}")
                for process in service:
                    process.keep_running()
                time.sleep(0.3)
            return 0
    except (DevError, GaveUp) as error:
        if stop.requested:
            return 0
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        runtime_path(settings).unlink(missing_ok=True)
