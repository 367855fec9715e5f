"""The Temporal Web UI's codec endpoint: staff see decrypted payloads; nobody else does."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType

from api.app import create_app
from config.settings import Settings
from tests.helpers.api import Api, NewOfficer
from tests.helpers.temporal import TEST_KEYRING


async def test_staff_decode_a_case_payload_and_others_are_refused(
    api: Api, new_officer: NewOfficer
) -> None:
    officer = await new_officer()
    case_id = await api.to_hr_review(officer)
    history = await api.stack.client.get_workflow_handle(case_id).fetch_history()
    started = next(
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    )
    sealed = started.workflow_execution_started_event_attributes.input
    body = json_format.MessageToDict(sealed)
    assert officer.officer_id.encode() not in sealed.SerializeToString()

    response = await api.as_("caseworker").post("/codec/decode", json=body)
    assert response.status_code == 200, response.text
    (payload,) = json_format.ParseDict(response.json(), Payloads()).payloads
    assert payload.metadata["encoding"] == b"json/plain"
    assert json.loads(payload.data)["officer_id"] == officer.officer_id

    assert (await api.as_(officer).post("/codec/decode", json=body)).status_code == 403
    async with api.stack.http() as anonymous:
        assert (await anonymous.post("/codec/decode", json=body)).status_code == 401
    bad = await api.as_("auditor").post("/codec/decode", json={"payloads": [{"data": 5}]})
    assert bad.status_code == 422

    # Encoding round-trips through the same keys.
    encoded = await api.as_("admin").post("/codec/encode", json=response.json())
    again = await api.as_("auditor").post("/codec/decode", json=encoded.json())
    assert again.json() == response.json()


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[:5], "too short"),
        (lambda data: data[:12] + bytes(len(data) - 12), "does not decrypt"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "does not decrypt"),
    ],
)
async def test_a_damaged_ciphertext_is_a_problem_naming_the_payload(
    api: Api, damage: Callable[[bytes], bytes], why: str
) -> None:
    secret = b'{"officer_id": "OF-SECRET-1"}'
    plain = Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"}, data=secret)] * 2)
    encoded = await api.as_("caseworker").post(
        "/codec/encode", json=json_format.MessageToDict(plain)
    )
    sealed = json_format.ParseDict(encoded.json(), Payloads())
    sealed.payloads[1].data = damage(sealed.payloads[1].data)
    response = await api.as_("caseworker").post(
        "/codec/decode", json=json_format.MessageToDict(sealed)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("payload 1: ") and why in problem["detail"]
    assert problem["errors"] == [{"field": "body.payloads.1", "message": "cannot be decrypted"}]
    for leak in (TEST_KEYRING.split(":")[1], "OF-SECRET-1", encoded.json()["payloads"][1]["data"]):
        assert leak not in response.text


async def test_a_refused_cors_preflight_is_a_problem_document() -> None:
    app = create_app(Settings(ui_origins="https://ui.example"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as http:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = await http.options(
            "/codec/decode", headers={"Origin": "https://ui.example", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://ui.example"
        refused = await http.options(
            "/codec/decode", headers={"Origin": "https://evil.example", **preflight}
        )
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/cors-refused"
    assert refused.json()["detail"].endswith("refused: origin")
    assert "access-control-allow-origin" not in refused.headers
