"""Every case action has a form made from its API body, and each renders and reads back."""

from __future__ import annotations

import pytest_asyncio
from starlette.datastructures import FormData

from domain.case import CaseView
from domain.lifecycle import Action, ChecklistItem
from store.cases import get_case_view
from tests.helpers.api import Api, NewOfficer
from web.action_forms import form_fields, read_form
from web.actions import ACTION_NAMES
from web.templating import environment

RENDER = environment.from_string(
    '{% from "parts.html" import action_form %}'
    "{{ action_form(case, action, fields, submitted, 'token') }}"
)


@pytest_asyncio.fixture(loop_scope="session")
async def case(api: Api, new_officer: NewOfficer) -> CaseView:
    view = await get_case_view(api.stack.pool, await api.to_hr_review(await new_officer()))
    assert view is not None
    return view


async def test_each_action_renders_its_fields_and_a_button_named_in_words(
    case: CaseView,
) -> None:
    for action in Action:
        fields = form_fields(action, case)
        html = RENDER.render(case=case, action=action, fields=fields, submitted=None)
        assert f">\n  {ACTION_NAMES[action]}\n</button>" in html, action
        assert f'action="/cases/{case.case_id}/actions/{action.value}"' in html
        for field in fields:
            assert f'name="{field.name}"' in html, (action, field)
            assert f'id="{action.value}-{field.id}"' in html, (action, field)


async def test_a_form_comes_back_with_its_errors_and_what_was_typed(case: CaseView) -> None:
    sent = read_form(
        Action.ADJUST_COMPENSATION, case, FormData({"amount": "12.345", "reason": " agreed "})
    )
    assert sent.body is None and set(sent.errors) == {"amount"}
    assert sent.values == {"amount": "12.345", "reason": "agreed"}
    fields = form_fields(Action.ADJUST_COMPENSATION, case)
    html = RENDER.render(
        case=case,
        action=Action.ADJUST_COMPENSATION,
        fields=fields,
        submitted=(Action.ADJUST_COMPENSATION, sent),
    )
    assert 'value="12.345"' in html and ">agreed</textarea>" in html
    assert "govuk-error-message" in html

    # Amounts as people type them, and what is wrong with one, in words.
    for typed, sent_as, problem in (
        ("£12,000.50", "12000.50", None),
        ("-5", None, "Amount: enter an amount more than £0"),
        ("12.345", None, "Amount: enter pounds and pence in figures, such as 41,538.46"),
        ("99999999999", None, "Amount: enter an amount of at most £1,000,000.00"),
    ):
        form = FormData({"amount": typed, "reason": "agreed"})
        read = read_form(Action.ADJUST_COMPENSATION, case, form)
        assert read.values["amount"] == typed
        if problem is None:
            assert read.body == {"amount": sent_as, "reason": "agreed"}
        else:
            assert read.body is None and read.errors == {"amount": problem}

    missing = read_form(Action.REVIEW, case, FormData({}))
    assert missing.errors == {"decision": "Select the decision"}
    good = read_form(Action.REVIEW, case, FormData({"decision": "proceed"}))
    assert good.errors == {} and good.body == {"decision": "proceed"}
    # Rejecting says why: asked for by the field, whose hint says so before the form is sent.
    for decision in ("reject", "request_info"):
        unexplained = read_form(Action.REVIEW, case, FormData({"decision": decision}))
        assert unexplained.body is None
        assert unexplained.errors == {
            "reason": "Enter a reason to reject or to ask for information"
        }
    [_, reason] = form_fields(Action.REVIEW, case)
    assert (reason.label, reason.required) == ("Reason", True)
    assert reason.hint == "Needed to reject or to ask for information; not to go on."


async def test_the_checklist_offers_only_what_a_person_may_record(case: CaseView) -> None:
    (field,) = form_fields(Action.COMPLETE_CHECKLIST_ITEM, case)
    assert [value for value, _ in field.choices] == [
        ChecklistItem.ACCESS_REVOCATION.value,
        ChecklistItem.EQUIPMENT_RETURN.value,
    ]
