"""Personal data never reaches Temporal's history in plain text."""

from __future__ import annotations

import base64

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config.codec import (
    EncryptionCodec,
    KeyringError,
    UndecryptablePayload,
    new_key_entry,
    parse_keyring,
)
from domain.lifecycle import CaseState
from tests.helpers.officers import officer


async def test_raw_history_holds_no_name_birth_date_or_pay(start_case, time_skipping_env) -> None:
    subject = officer(name="Constance Quill-Marchbanks")
    case = await start_case(subject)
    await case.wait_for(CaseState.HR_REVIEW)
    # A client without the codec sees what the server stores.
    raw_client = await Client.connect(
        time_skipping_env.client.service_client.config.target_host,
        namespace=time_skipping_env.client.namespace,
        data_converter=pydantic_data_converter,
    )
    history = await raw_client.get_workflow_handle(case.case_id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert b"binary/encrypted" in raw
    for secret in (subject.name, subject.date_of_birth.isoformat(), "80000"):
        assert secret.encode() not in raw
    # ...while the service itself reads the officer back through the codec.
    assert (await case.view()).officer_id == subject.officer_id


async def test_rotated_keys_still_decrypt_old_payloads() -> None:
    old = new_key_entry("2026-a")
    new = new_key_entry("2026-b")
    before = EncryptionCodec.from_keyring(old)
    sealed = await before.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    after = EncryptionCodec.from_keyring(f"{new},{old}")
    [opened] = await after.decode(sealed)
    assert opened.data == b'"x"'
    [resealed] = await after.encode([opened])
    assert resealed.metadata["encryption-key-id"] == b"2026-b"
    with pytest.raises(UndecryptablePayload, match=r"payload 0: .*'2026-a', which is not loaded"):
        await EncryptionCodec.from_keyring(new).decode(sealed)


@pytest.mark.parametrize(
    ("keyring", "message"),
    [
        ("", "no keys"),
        ("nokey", "expected 'id:base64-key'"),
        ("a:!!!", "not valid base64"),
        ("a:" + base64.b64encode(b"short").decode(), "needs 32 bytes"),
    ],
)
def test_bad_keyrings_say_what_is_wrong(keyring: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        parse_keyring(keyring)
