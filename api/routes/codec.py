"""The remote codec the Temporal Web UI calls to show staff decrypted payloads.

Temporal keeps every payload encrypted (AES-256-GCM, config/codec.py); the UI sends them
here to be decoded in the browser session of someone the service has authenticated. The body
is the codec-server protocol: ``{"payloads": [{"metadata": {...}, "data": "..."}]}`` with
base64 bytes, as Temporal's JSON mapping of its Payload message writes them.

Callers are staff with a bearer token, or staff signed in to a browser session (the UI sends
the session cookie; see docs/temporal-ui.md). Decoding is reading: every decode that reveals a
case's payloads writes an access-log row naming the user and the case. The UI sends only the
namespace (``X-Namespace``) and the payloads, so the case comes from each payload's metadata
(``config.codec.CASE_ID``); payloads from before that was stamped are logged as ``unknown``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request
from google.protobuf import json_format
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload, Payloads

from api.access import allow
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.problems import FieldError, ProblemError, problem_responses
from api.sessions import token_or_session_user
from config.codec import CASE_ID, ENCODING, EncryptionCodec, UndecryptablePayload
from config.runtime import payload_keyring
from store.audit import UNKNOWN_CASE, record_access

router = APIRouter(prefix="/codec", tags=["operations"])


# Staff with a bearer token, or signed in to a browser session.
CodecStaff = Annotated[Principal, allow(Operation.CODEC, token_or_session_user)]


class CodecBody(BaseModel):
    payloads: list[dict[str, Any]]


def _codec(request: Request) -> EncryptionCodec:
    state = request.app.state
    if getattr(state, "codec", None) is None:
        settings = state.settings
        state.codec = EncryptionCodec.from_keyring(
            payload_keyring(settings), compress=settings.payload_compression
        )
    codec: EncryptionCodec = state.codec
    return codec


def _parse(body: CodecBody) -> Payloads:
    try:
        return json_format.ParseDict({"payloads": body.payloads}, Payloads())
    except json_format.ParseError:
        raise ProblemError(422, "the payloads are not Temporal payloads in JSON") from None


def _render(payloads: Sequence[Payload]) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


def _cases_revealed(payloads: Payloads) -> set[str]:
    return {
        payload.metadata[CASE_ID].decode(errors="replace")
        if CASE_ID in payload.metadata
        else UNKNOWN_CASE
        for payload in payloads.payloads
        if payload.metadata.get("encoding") == ENCODING
    }


@router.post(
    "/decode",
    summary="Decode payloads for the Temporal Web UI (staff)",
    responses=problem_responses(401, 403, 422),
)
async def decode(user: CodecStaff, body: CodecBody, request: Request, pool: Pool) -> dict[str, Any]:
    sealed = _parse(body)
    try:
        decoded = await _codec(request).decode(list(sealed.payloads))
    except UndecryptablePayload as error:
        raise ProblemError(
            422,
            str(error),
            kind="undecryptable-payload",
            errors=[
                FieldError(field=f"body.payloads.{error.index}", message="cannot be decrypted")
            ],
        ) from None
    # Recorded before the answer leaves: no decoded payload is seen without its row.
    for case_id in sorted(_cases_revealed(sealed)):
        await record_access(
            pool,
            user_id=user.user_id,
            role=user.role.value,
            case_id=case_id,
            endpoint="POST /codec/decode",
        )
    return _render(decoded)


@router.post(
    "/encode",
    summary="Encode payloads for the Temporal Web UI (staff)",
    responses=problem_responses(401, 403, 422),
)
async def encode(user: CodecStaff, body: CodecBody, request: Request) -> dict[str, Any]:
    return _render(await _codec(request).encode(list(_parse(body).payloads)))
