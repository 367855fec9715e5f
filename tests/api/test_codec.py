"""The Temporal Web UI's codec endpoint: staff see decrypted payloads; nobody else does."""

from __future__ import annotations

import json

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType

from tests.api.conftest import Api, NewOfficer


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
