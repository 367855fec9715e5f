"""Temporal payload encryption: AES-256-GCM, so personal data never sits in plain text in history.

Every payload the worker, API or CLI sends is encrypted with the active key; the key id travels
in the payload's metadata so older payloads still decrypt after the active key changes. Keep
every key that ever encrypted a running case loaded until those cases have closed.

The id of the workflow (the case) a payload belongs to travels in its metadata too, in clear
(Temporal shows workflow ids anyway) but sealed with the data: whoever decodes a payload for the
Web UI is recorded against that case (api/routes/codec.py). Older payloads have no case id.

A payload of ``COMPRESS_FROM_BYTES`` or more is compressed (zlib) before it is encrypted, when
that makes it smaller, and its metadata says so (``COMPRESSION``), sealed with the data like the
case id. Payloads written before compression have no such key and decode as they always did.
Why compression is on, and what the lengths of compressed ciphertexts reveal:
docs/temporal-ui.md#compression.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CASE_ID = "exitcases-case-id"
COMPRESSION = "exitcases-compression"
ZLIB = b"zlib"
# Below this, zlib saves a few dozen bytes at best: about what the metadata key saying so costs.
COMPRESS_FROM_BYTES = 256
_NONCE_BYTES = 12


class KeyringError(ValueError):
    """The configured keys cannot be used (the message never includes key material)."""


class UndecryptablePayload(ValueError):
    """Payload ``index`` cannot be decrypted. The message names the index and the kind of
    fault, never key material or the payload's bytes."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"payload {index}: {problem}")
        self.index = index


def parse_keyring(text: str) -> tuple[str, dict[str, bytes]]:
    """``"id1:base64key,id2:base64key"`` → (active id, keys). The first key is the active one."""
    keys: dict[str, bytes] = {}
    active = ""
    for position, entry in enumerate(filter(None, (e.strip() for e in text.split(",")))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id:
            raise KeyringError(f"key {position + 1}: expected 'id:base64-key'")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise KeyringError(f"key '{key_id}': not valid base64") from None
        if len(key) != 32:
            raise KeyringError(f"key '{key_id}': AES-256 needs 32 bytes, got {len(key)}")
        if key_id in keys:
            raise KeyringError(f"key '{key_id}' is given twice")
        keys[key_id] = key
        active = active or key_id
    if not keys:
        raise KeyringError("no keys given")
    return active, keys


def new_key_entry(key_id: str) -> str:
    """A fresh ``id:base64key`` entry for a keyring."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _associated_data(case_id: bytes | None, compression: bytes | None) -> bytes | None:
    """What AES-GCM authenticates along with the data: the case id, and how the data was
    compressed. Removing, adding or changing either breaks decryption.

    Uncompressed payloads keep the form they had before compression existed (the case id
    alone), so old payloads still decrypt. A compressed one's starts with a NUL byte, which no
    case id may contain (``_decrypt`` refuses one that does): no payload can pass for the other
    kind by having its metadata rewritten.
    """
    if compression is None:
        return case_id
    return b"\0" + compression + b"\0" + (case_id or b"")


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(
        self, active_key_id: str, keys: Mapping[str, bytes], *, compress: bool = True
    ) -> None:
        if active_key_id not in keys:
            raise KeyringError(f"the active key '{active_key_id}' is not among the keys")
        self._active = active_key_id
        self._compress = compress
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._case_id: bytes | None = None

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        """The SDK asks for this before coding a workflow's or activity's payloads."""
        workflow_id = getattr(context, "workflow_id", None)
        if not workflow_id:
            return self
        stamped = copy.copy(self)
        stamped._case_id = workflow_id.encode()
        return stamped

    @classmethod
    def from_keyring(cls, text: str, *, compress: bool = True) -> EncryptionCodec:
        return cls(*parse_keyring(text), compress=compress)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(index, p) for index, p in enumerate(payloads)]

    def _encrypt(self, payload: Payload) -> Payload:
        plain = payload.SerializeToString()
        compression: bytes | None = None
        if self._compress and len(plain) >= COMPRESS_FROM_BYTES:
            packed = zlib.compress(plain)
            if len(packed) < len(plain):
                plain, compression = packed, ZLIB
        nonce = os.urandom(_NONCE_BYTES)
        # The case id is authenticated with the data: changing or removing it breaks decryption,
        # so nobody can decode one case's payload while the access log names another.
        sealed = self._ciphers[self._active].encrypt(
            nonce, plain, _associated_data(self._case_id, compression)
        )
        metadata = {"encoding": ENCODING, KEY_ID: self._active.encode()}
        if self._case_id is not None:
            metadata[CASE_ID] = self._case_id
        if compression is not None:
            metadata[COMPRESSION] = compression
        return Payload(metadata=metadata, data=nonce + sealed)

    def _decrypt(self, index: int, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            # Key ids are names, not secrets: saying which one is missing helps rotate keys.
            raise UndecryptablePayload(index, f"encrypted with key '{key_id}', which is not loaded")
        data = payload.data
        if len(data) <= _NONCE_BYTES:
            raise UndecryptablePayload(index, "too short to be an encrypted payload")
        # The case id and the compression are authenticated with the data (see _encrypt).
        case_id = payload.metadata.get(CASE_ID)
        compression = payload.metadata.get(COMPRESSION)
        if compression is not None and compression != ZLIB:
            raise UndecryptablePayload(index, "compressed in a way this service does not know")
        if case_id is not None and b"\0" in case_id:
            raise UndecryptablePayload(index, "its case id holds a NUL byte, which no case id has")
        try:
            plain = cipher.decrypt(
                data[:_NONCE_BYTES], data[_NONCE_BYTES:], _associated_data(case_id, compression)
            )
            # Only data this service sealed is decompressed: nobody else can make it inflate.
            return Payload.FromString(zlib.decompress(plain) if compression else plain)
        except (InvalidTag, DecodeError, zlib.error):
            raise UndecryptablePayload(
                index,
                "does not decrypt with its key (damaged, its case id altered, or not sealed by "
                "this service)",
            ) from None

    def key_ids(self) -> Iterable[str]:
        return self._ciphers.keys()


def encrypted_converter(keyring: str, *, compress: bool = True) -> DataConverter:
    """The service's data converter: pydantic models on the wire, compressed and encrypted."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec.from_keyring(keyring, compress=compress),
    )
