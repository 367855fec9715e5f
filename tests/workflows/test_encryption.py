"""Personal data never reaches Temporal's history in plain text."""

from __future__ import annotations

import base64
import os
from decimal import Decimal

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import WorkflowSerializationContext

from config.codec import (
    CASE_ID,
    COMPRESS_FROM_BYTES,
    COMPRESSION,
    ZLIB,
    EncryptionCodec,
    KeyringError,
    UndecryptablePayload,
    new_key_entry,
    parse_keyring,
)
from domain.lifecycle import CaseState
from tests.helpers.officers import officer
from tests.helpers.temporal import TEST_KEYRING

STATEMENT = b"I would like to leave at the end of June. " * 10
PLAIN = Payload(
    metadata={"encoding": b"json/plain"},
    data=b'{"officer_id":"OF1001","statement":"' + STATEMENT + b'"}',
)
# PLAIN as the codec sealed it before it compressed anything (commit 34deefa, TEST_KEYRING,
# workflow EX-OLDFORMAT1): histories and running cases hold payloads like this.
OLD_FORMAT = Payload(
    metadata={
        "encoding": b"binary/encrypted",
        "exitcases-case-id": b"EX-OLDFORMAT1",
        "encryption-key-id": b"test-1",
    },
    data=base64.b64decode(
        "dvHyWxURdxBMMHbxRlJ0+xPxe0kCIvG+aKoqILEzgiPxae/frl7hRxKoymG/kNM+s3Q/twGYuZFiHDcH65rtITFm"
        "3x8MXENz8LMB1dEFq2LZ8dKnB/fJ7YolyWU6mhNTzZS4MPkx9ahta92Ex4veeu9Om5/HVs7JSkpRWnUAcHqaqiqV"
        "P210Sf3jFWmVrdRgsEURLxPrf3g292GBA3c+NniOSGmeqkAYv0ffCUsuiFKQLinoVLaWxXVT0Y5zx9sY9Cwf6X78"
        "un6Cc13Gpy3yKTaDzhCFgq6y6DbatHq/2NmafR8bDkQzSC/rqyM+PSHdImvgdCWaNgWLjdwKPOyeQGkxojRx9M/E"
        "KA/K9ayEesZ1OSngtExA5X20X/3czhOtGRsdp0s1wya9Wq/+imTSiDkMKDclYsyDie/lvhUcWvwYpl7Q1/SE77Uy"
        "qYdJhbsfUYjzPATVHDPwfRdVYqAYGQHhQHBgHeeLLdjmgj+oKm4JQPXjd4VbYrk5bll+knZde6PgDkSNRlVcutNU"
        "tk3BlRfruIk3EvyaORDOIn0C2brUJACimY7l8B8GOzox8HXZGKlB3f5QFgQ8IM89xgN0SC/kcPESI+gdifxT4eQW"
        "LBmxAcdhCZ6/3A0U/DitSG0OnYa7ugeayrnbQLDyRGXg3dca8xpdfcn0EmN2s9NwiBFd"
    ),
)


def case_codec(*, compress: bool = True) -> EncryptionCodec:
    """The test keys' codec as the worker has it for the case EX-OLDFORMAT1."""
    return EncryptionCodec.from_keyring(TEST_KEYRING, compress=compress).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="EX-OLDFORMAT1")
    )


async def test_raw_history_holds_no_name_birth_date_or_pay(start_case, time_skipping_env) -> None:
    # Pay a datetime cannot hold: history carries CaseDueAt in clear (a search attribute, not a
    # payload) with milliseconds, and the default pay's "80000" was in about one in 90 of them
    # (".080000", ".180000", ... ".800000"), failing this test by chance.
    subject = officer(name="Constance Quill-Marchbanks", annual_pay=Decimal("87654.32"))
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
    for secret in (subject.name, subject.date_of_birth.isoformat(), str(subject.annual_pay)):
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


async def test_large_payloads_are_compressed_before_encryption_and_say_so() -> None:
    codec = case_codec()
    small = Payload(metadata={"encoding": b"json/plain"}, data=b"x" * (COMPRESS_FROM_BYTES // 2))
    # Random bytes do not compress: sent as they are rather than grown by zlib's framing.
    noise = Payload(
        metadata={"encoding": b"binary/plain"}, data=os.urandom(4 * COMPRESS_FROM_BYTES)
    )
    sealed = await codec.encode([PLAIN, small, noise])
    assert [p.metadata.get(COMPRESSION) for p in sealed] == [ZLIB, None, None]
    assert len(sealed[0].data) < len(PLAIN.data) // 2
    assert STATEMENT[:20] not in sealed[0].data
    assert await codec.decode(sealed) == [PLAIN, small, noise]


async def test_payloads_sealed_before_compression_still_decode() -> None:
    for compress in (True, False):
        assert await case_codec(compress=compress).decode([OLD_FORMAT]) == [PLAIN]


async def test_compression_can_be_turned_off_and_both_kinds_still_decode() -> None:
    off, on = case_codec(compress=False), case_codec()
    [uncompressed] = await off.encode([PLAIN])
    [compressed] = await on.encode([PLAIN])
    assert COMPRESSION not in uncompressed.metadata
    assert len(uncompressed.data) > len(PLAIN.data)
    for codec in (off, on):
        assert await codec.decode([uncompressed, compressed]) == [PLAIN, PLAIN]


def _rewritten(payload: Payload, **metadata: bytes | None) -> Payload:
    changed = Payload()
    changed.CopyFrom(payload)
    for key, value in metadata.items():
        name = {"case_id": CASE_ID, "compression": COMPRESSION}[key]
        if value is None:
            del changed.metadata[name]
        else:
            changed.metadata[name] = value
    return changed


async def test_rewriting_the_compression_in_metadata_breaks_decryption() -> None:
    codec = case_codec()
    [compressed] = await codec.encode([PLAIN])
    forged = [
        # Said to be uncompressed: the associated data no longer matches.
        _rewritten(compressed, compression=None),
        # An old-format payload said to be compressed.
        _rewritten(OLD_FORMAT, compression=ZLIB),
        # The compressed payload's associated data spelled out as its case id, with the
        # compression removed: refused before decryption, as no case id holds a NUL byte.
        _rewritten(compressed, compression=None, case_id=b"\0zlib\0EX-OLDFORMAT1"),
        # Another case's id.
        _rewritten(compressed, case_id=b"EX-SOMEONEELSE"),
        _rewritten(compressed, compression=b"gzip"),
    ]
    problems = []
    for payload in forged:
        with pytest.raises(UndecryptablePayload) as refused:
            await codec.decode([payload])
        problems.append(str(refused.value).removeprefix("payload 0: ").split(" (")[0])
    assert problems == [
        "does not decrypt with its key",
        "does not decrypt with its key",
        "its case id holds a NUL byte, which no case id has",
        "does not decrypt with its key",
        "compressed in a way this service does not know",
    ]
