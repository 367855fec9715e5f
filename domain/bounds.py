"""Bounds on the figures an admin may put into a new policy or regulation record.

A figure outside them (a tariff of 10^300 weeks, an offer open for 99,999,999 years) would pass
every type check and then break the arithmetic of each case run under it. The bounds apply
when a document is *admitted* (posted, or shipped in ``domain/policies``): validate it with
:func:`admit`. Documents already stored, and the copies running cases carry in their workflow
input, are read as they were written, because refusing them there would wedge those cases for
good; the workflows deal with what such a document does (``needs_attention``).

docs/policy-bounds.md lists every bound; the bounds carry into the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from domain.periods import parse_period

# The one validation context for input arriving now (a document admitted, a command sent). What
# is already stored or in a case's history was accepted under the rules of its day and must
# still load, so every rule for new input only is checked only in this context.
NEW_INPUT: dict[str, bool] = {"new_input": True}

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

Model = TypeVar("Model", bound=BaseModel)


def new_input(info: ValidationInfo) -> bool:
    """Whether this validation is of new input (and so applies the bounds and new rules)."""
    return bool(info.context and info.context.get("new_input"))


def admit(model: type[Model], value: Model | dict[str, Any]) -> Model:
    """``value`` validated against the bounds; raises pydantic's ``ValidationError``."""
    data = value.model_dump() if isinstance(value, BaseModel) else value
    return model.model_validate(data, context=NEW_INPUT)


def _out_of_bounds(message: str) -> PydanticCustomError:
    return PydanticCustomError("out_of_bounds", message)


@dataclass(frozen=True)
class Within:
    """``low <= value <= high`` (``low < value`` with ``exclusive_low``), checked on admission.

    With ``count`` the bounds are on the number of entries, not the value.
    """

    low: Any
    high: Any
    exclusive_low: bool = False
    count: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self._check, handler(source))

    def _check(self, value: Any, info: ValidationInfo) -> Any:
        if not new_input(info):
            return value
        measured = len(value) if self.count and isinstance(value, Sized) else value
        too_low = measured <= self.low if self.exclusive_low else measured < self.low
        if too_low or measured > self.high:
            raise _out_of_bounds(f"must be {self.describe()}")
        return value

    def describe(self) -> str:
        low = f"more than {self.low}" if self.exclusive_low else f"at least {self.low}"
        what = " entries" if self.count else ""
        return f"{low} and at most {self.high}{what}"

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if self.count:
            prefix = "Items" if json_schema.get("type") == "array" else "Properties"
            json_schema[f"min{prefix}"], json_schema[f"max{prefix}"] = self.low, self.high
        elif isinstance(self.low, date):
            json_schema["description"] = f"Between {self.low} and {self.high}."
        else:
            json_schema["exclusiveMinimum" if self.exclusive_low else "minimum"] = self.low
            json_schema["maximum"] = self.high
        return json_schema


DAY_BOUNDS = Within(FIRST_DAY, LAST_DAY)
# A day in a policy or regulation record.
Day = Annotated[date, DAY_BOUNDS]

# Months and years measured from this instant: long enough to compare periods by, and far
# enough from datetime's limits that any bound below can be added to it.
_MEASURED_FROM = datetime(2000, 1, 1)


def span(period: str) -> timedelta | None:
    """How long ``period`` is (months and years from 2000-01-01); None if beyond the calendar."""
    try:
        return (_MEASURED_FROM + parse_period(period)) - _MEASURED_FROM
    except (OverflowError, ValueError):
        return None


def shorter(first: str, second: str) -> bool:
    """``first`` is shorter than ``second``; a period beyond the calendar is longest of all."""
    a, b = span(first), span(second)
    return b is None if a is None else (b is None or a < b)


@dataclass(frozen=True)
class PeriodWithin:
    """An ISO 8601 period from ``shortest`` to ``longest``, checked on admission."""

    shortest: str
    longest: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self._check, handler(source))

    def _check(self, value: str, info: ValidationInfo) -> str:
        if new_input(info) and (shorter(value, self.shortest) or shorter(self.longest, value)):
            raise _out_of_bounds(f"must be {self.describe()}")
        return value

    def describe(self) -> str:
        return f"from {self.shortest} to {self.longest}"

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["description"] = f"ISO 8601 period {self.describe()}."
        return json_schema


def check_after(
    info: ValidationInfo, earlier: str, rule: Callable[[Any], bool], message: str
) -> None:
    """A rule between this field and the ``earlier`` one, on admission; ``rule`` gets the
    earlier field's value. Failing, it names this field (the one declared last)."""
    if new_input(info) and earlier in info.data and not rule(info.data[earlier]):
        raise _out_of_bounds(message)
