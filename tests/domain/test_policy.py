"""Scheme policies: the bundled ones load, and any document is accepted or refused clearly."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.policy import SchemePolicy, load_bundled_policy

DEFAULT = load_bundled_policy().model_dump(mode="json")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@pytest.mark.parametrize("name", ["default", "demo"])
def test_bundled_policies_load(name: str) -> None:
    policy = load_bundled_policy(name)
    assert SchemePolicy.model_validate_json(policy.model_dump_json()) == policy


@given(field=st.sampled_from(sorted(DEFAULT)), value=json_values)
def test_a_changed_field_is_accepted_or_refused_naming_it(field: str, value: object) -> None:
    document = DEFAULT | {field: value}
    try:
        SchemePolicy.model_validate(json.loads(json.dumps(document)))
    except ValidationError as invalid:
        located = {str(e["loc"][0]) for e in invalid.errors() if e["loc"]}
        # Cross-field rules report at the top level; field rules name the field.
        assert located <= {field} or not located, (field, located)


@given(document=st.dictionaries(st.text(max_size=12), json_values, max_size=8))
def test_any_document_is_parsed_or_refused_never_crashes(document: dict) -> None:
    with pytest.raises(ValidationError):
        SchemePolicy.model_validate(document)


def test_inconsistent_windows_are_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="application_closes is before application_opens"):
        SchemePolicy.model_validate(DEFAULT | {"application_closes": "2025-01-01"})
    with pytest.raises(ValidationError, match="not an ISO 8601 duration"):
        SchemePolicy.model_validate(DEFAULT | {"cooling_off": "fortnight"})
