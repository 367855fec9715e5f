"""The payload keys every test's Temporal client and worker share."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from config.codec import encrypted_converter

# A fixed, test-only key, so that histories saved by one run replay in the next.
TEST_KEYRING = "test-1:" + base64.b64encode(b"exit-case-service-test-key-32-by").decode()
TEST_CONVERTER = encrypted_converter(TEST_KEYRING)

# Saved histories of real runs, which tests/workflows/test_replay.py replays.
HISTORIES = Path(__file__).resolve().parents[1] / "workflows" / "histories"


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With EXITCASES_RECORD_HISTORIES=1, keep this run's history for the replay test."""
    if os.environ.get("EXITCASES_RECORD_HISTORIES") == "1":
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
