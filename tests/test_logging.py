"""Log lines: JSON off a terminal, with the case id bound while a case is handled."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from exitcases.logging import configure_logging
from exitcases.settings import Settings


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
