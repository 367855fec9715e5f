"""The remote codec the Temporal Web UI calls to show staff decrypted payloads.

Temporal keeps every payload encrypted (AES-256-GCM, exitcases/codec.py); the UI sends them
here to be decoded in the browser session of someone the service has authenticated. The body
is the codec-server protocol: ``{"payloads": [{"metadata": {...}, "data": "..."}]}`` with
base64 bytes, as Temporal's JSON mapping of its Payload message writes them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from google.protobuf import json_format
from pydantic import BaseModel
from temporalio.api.common.v1 import Payloads

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.problems import FieldError, ProblemError, problem_responses
from exitcases.codec import EncryptionCodec, UndecryptablePayload
from exitcases.runtime import payload_keyring

router = APIRouter(prefix="/codec", tags=["operations"])


class CodecBody(BaseModel):
    payloads: list[dict[str, Any]]


def _codec(request: Request) -> EncryptionCodec:
    state = request.app.state
    if getattr(state, "codec", None) is None:
        state.codec = EncryptionCodec.from_keyring(payload_keyring(state.settings))
    return state.codec


def _parse(body: CodecBody) -> Payloads:
    try:
        return json_format.ParseDict({"payloads": body.payloads}, Payloads())
    except json_format.ParseError:
        raise ProblemError(422, "the payloads are not Temporal payloads in JSON") from None


def _render(payloads: list) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


@router.post(
    "/decode",
    summary="Decode payloads for the Temporal Web UI (staff)",
    responses=problem_responses(401, 403, 422),
)
async def decode(
    user: Annotated[Principal, ALLOW[Operation.CODEC]], body: CodecBody, request: Request
) -> dict[str, Any]:
    try:
        decoded = await _codec(request).decode(list(_parse(body).payloads))
    except UndecryptablePayload as error:
        raise ProblemError(
            422,
            str(error),
            kind="undecryptable-payload",
            errors=[
                FieldError(field=f"body.payloads.{error.index}", message="cannot be decrypted")
            ],
        ) from None
    return _render(decoded)


@router.post(
    "/encode",
    summary="Encode payloads for the Temporal Web UI (staff)",
    responses=problem_responses(401, 403, 422),
)
async def encode(
    user: Annotated[Principal, ALLOW[Operation.CODEC]], body: CodecBody, request: Request
) -> dict[str, Any]:
    return _render(await _codec(request).encode(list(_parse(body).payloads)))
