"""Real processes to break: a file-backed Temporal dev server, worker processes, and a TCP
proxy in front of PostgreSQL that a test can cut and restore."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg
from temporalio.client import Client

from config.search_attributes import dev_server_flags
from config.settings import Settings
from domain.policy import SchemePolicy, load_bundled_policy
from store import audit
from tests.helpers.history import recorded_events
from tests.helpers.processes import BIN, free_port

# Seconds, not days: the lifecycle runs in well under a minute.
FAST_POLICY: SchemePolicy = load_bundled_policy("demo").model_copy(
    update={
        "version": "faults",
        "application_opens": date(2000, 1, 1),
        "application_closes": date(2099, 12, 31),
        "earliest_leaving_date": date(2000, 1, 1),
        "cooling_off": "PT3S",
    }
)


class TemporalServer:
    """`temporal server start-dev` keeping its state in a file, so it can stop and come back."""

    def __init__(self, directory: Path) -> None:
        self.db_file = directory / "temporal.db"
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        """Start the server, or start it again on the address its clients know. A first start
        whose process exits at once (its port taken between choosing and binding it, by another
        test's connection, say) tries again on another port."""
        first = self.process is None
        for _ in range(3):
            self.process = self._launch()
            if await self._answers():
                return
            if not first:
                break
            self.port = free_port()
            self.address = f"127.0.0.1:{self.port}"
        raise RuntimeError(f"the Temporal dev server did not start on {self.address}")

    def _launch(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(BIN / "temporal"),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--db-filename",
                str(self.db_file),
                "--sqlite-pragma",
                "journal_mode=wal",
                "--sqlite-pragma",
                "synchronous=normal",
                "--log-level",
                "error",
                *dev_server_flags(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def _answers(self) -> bool:
        """Whether the server answers within a minute; False at once if its process ended."""
        assert self.process is not None
        async with asyncio.timeout(60):
            while self.process.poll() is None:
                try:
                    await Client.connect(self.address)
                    return True
                except RuntimeError:
                    await asyncio.sleep(0.2)
        return False

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


class Proxy:
    """Forwards TCP to PostgreSQL; ``cut()`` refuses new connections and drops open ones."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        socket_dir = parse_qs(parts.query).get("host", [None])[0]
        self._unix = f"{socket_dir}/.s.PGSQL.{parts.port or 5432}" if socket_dir else None
        self._tcp = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.port = free_port()
        self.url = urlunsplit(
            parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{self.port}", query="")
        )
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._links):
            writer.close()
        self._links.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._unix:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(self._unix)
        else:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._tcp)
        self._links |= {writer, upstream_writer}

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))


@dataclass
class Workers:
    """Worker processes, as `exitcases worker` runs in production."""

    env: dict[str, str]
    log: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "exitcases", "worker"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@dataclass
class Rig:
    server: TemporalServer
    proxy: Proxy
    workers: Workers
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    database_url: str


async def wait_for_a_blocked_write(rig: Rig, statement: str) -> None:
    """Until a session waits on a lock in a query containing ``statement``."""
    # Other sessions' queries show only to the login, not to the service's role.
    watcher = await asyncpg.connect(rig.database_url)
    try:
        async with asyncio.timeout(60):
            while not await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%' || $1 || '%'",
                statement,
            ):
                await asyncio.sleep(0.2)
    finally:
        await watcher.close()


async def assert_recorded_exactly_once(rig: Rig, case_id: str) -> None:
    """After a fault: the chain verifies, every transition in the workflow's history has exactly
    one audit event, and every notice and hand-off it asked for exists exactly once."""
    transitions, notices = [], 0
    for recorded in await recorded_events(rig.client, case_id):
        transitions.append((recorded.audit.seq, recorded.audit.action))
        notices += len(recorded.notices)
    logged = await rig.pool.fetch(
        "SELECT seq, action FROM audit_events WHERE case_id = $1 ORDER BY seq", case_id
    )
    assert [(r["seq"], r["action"]) for r in logged] == transitions
    assert (await audit.verify(rig.pool, case_id)).clean
    assert (
        await rig.pool.fetchval("SELECT count(*) FROM notifications WHERE case_id = $1", case_id)
        == notices
    )
