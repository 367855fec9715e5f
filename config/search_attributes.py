"""Search attributes for operators. None of them holds personal data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

CASE_KIND = SearchAttributeKey.for_keyword("CaseKind")
CASE_STATE = SearchAttributeKey.for_keyword("CaseState")
OFFICER_RANK = SearchAttributeKey.for_keyword("OfficerRank")
CASE_DUE_AT = SearchAttributeKey.for_datetime("CaseDueAt")

ALL = (CASE_KIND, CASE_STATE, OFFICER_RANK, CASE_DUE_AT)


def _type_name(key: SearchAttributeKey[Any]) -> str:
    return {
        SearchAttributeIndexedValueType.KEYWORD: "Keyword",
        SearchAttributeIndexedValueType.DATETIME: "Datetime",
    }[key.indexed_value_type]


def dev_server_flags() -> list[str]:
    """``temporal server start-dev`` flags that register every attribute above."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_type_name(key)}"]
    return flags


def indexed_value_type(key: SearchAttributeKey[Any]) -> IndexedValueType.ValueType:
    """The key's type as Temporal's operator service names it."""
    return IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{_type_name(key).upper()}")


async def register_search_attributes(client: Client, names: Sequence[str] | None = None) -> None:
    """Register the attributes (those named, or all) on a server started without them.

    `exitcases temporal setup` is the whole set-up of a namespace; this is its last step, and
    all the time-skipping test server needs.
    """
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: indexed_value_type(key)
                for key in ALL
                if names is None or key.name in names
            },
        )
    )


def initial(kind: str, rank: str, state: str) -> TypedSearchAttributes:
    """Attributes a case starts with; the workflow keeps ``CaseState`` and ``CaseDueAt`` current."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(CASE_KIND, str(kind)),
            SearchAttributePair(OFFICER_RANK, str(rank)),
            SearchAttributePair(CASE_STATE, str(state)),
        ]
    )
