"""Log lines: JSON off a terminal, with the case id bound while a case is handled."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import structlog
from fastapi import FastAPI

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
