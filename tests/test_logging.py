"""Log lines: JSON off a terminal, with the case id bound while a case is handled."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import structlog
from fastapi import FastAPI

from activities.letters import html_to_pdf
from api.logging import CaseLoggingMiddleware
from config.logging import configure_logging
from config.settings import Settings


def test_json_lines_carry_the_bound_case_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_format="json"))
    try:
        with structlog.contextvars.bound_contextvars(case_id="EX-TEST000001"):
            structlog.get_logger("exitcases.test").info("case moved", state="hr_review")
            logging.getLogger("temporalio.test").warning("from the SDK")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()
    assert [line["event"] for line in lines] == ["case moved", "from the SDK"]
    assert all(line["case_id"] == "EX-TEST000001" for line in lines)
    assert lines[0]["state"] == "hr_review" and lines[1]["level"] == "warning"


async def test_api_requests_about_a_case_log_its_id() -> None:
    seen: list[object] = []
    app = FastAPI()
    app.add_middleware(CaseLoggingMiddleware)

    @app.get("/v1/cases/{case_id}/audit")
    async def read(case_id: str) -> dict[str, str]:
        seen.append(structlog.contextvars.get_contextvars().get("case_id"))
        return {}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        await http.get("/v1/cases/EX-0123456789/audit")
    assert seen == ["EX-0123456789"]
    assert structlog.contextvars.get_contextvars().get("case_id") is None


def test_access_lines_leave_out_query_strings(capsys: pytest.CaptureFixture[str]) -> None:
    """An evidence file's name travels in the query string (POST .../evidence?filename=)."""
    configure_logging(Settings(log_format="json"))
    access = logging.getLogger("uvicorn.access")
    # A test that served the app in-process (tests/helpers/live.py, log_level="warning") leaves
    # uvicorn's access logger at WARNING for the rest of the run; here it logs as deployed.
    level = access.level
    access.setLevel(logging.INFO)
    try:
        # As uvicorn logs each request (uvicorn/protocols/http/h11_impl.py).
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:50000",
            "POST",
            "/v1/cases/EX-0123456789/evidence?attached_to=application&filename=Si%C3%A2n.pdf",
            "1.1",
            201,
        )
        [line] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        access.setLevel(level)
        logging.getLogger().handlers = []
        structlog.reset_defaults()
    assert line["event"] == '127.0.0.1:50000 - "POST /v1/cases/EX-0123456789/evidence HTTP/1.1" 201'


def test_a_rendered_letter_logs_no_layout_steps(capsys: pytest.CaptureFixture[str]) -> None:
    """WeasyPrint logs seven info lines a document: thousands a day in an invitation round."""
    configure_logging(Settings(log_format="json"))
    try:
        html_to_pdf('<html lang="en"><p>Dear Chief Superintendent</p></html>')
        logging.getLogger("weasyprint").warning("a font is missing")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        logging.getLogger().handlers = []
        structlog.reset_defaults()
    assert [line["event"] for line in lines] == ["a font is missing"]
