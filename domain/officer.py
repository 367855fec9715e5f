"""The officer as the roster describes them. Everything here but the id is personal data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# More than twice the top of the highest rank's pay scale. The roster import refuses more (the
# model does not: officers stored before the bound must still load). With the scheme's cap of
# at most 36 months' pay (domain/policy.py), no calculation can exceed what an adjustment may
# hold (MAX_AMOUNT).
MAX_ANNUAL_PAY = Decimal("300000.00")


class Rank(StrEnum):
    CONSTABLE = "constable"
    SERGEANT = "sergeant"
    INSPECTOR = "inspector"
    CHIEF_INSPECTOR = "chief_inspector"
    SUPERINTENDENT = "superintendent"
    CHIEF_SUPERINTENDENT = "chief_superintendent"
    COMMANDER = "commander"


class PensionScheme(StrEnum):
    P1987 = "1987"
    P2006 = "2006"
    P2015 = "2015"


class Officer(BaseModel):
    """One roster row. ``sex``, ``ethnicity`` and ``disability`` are equality monitoring only:
    no rule reads them."""

    model_config = ConfigDict(frozen=True)

    officer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    rank: Rank
    date_of_birth: date
    service_start: date
    annual_pay: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    pension_scheme: PensionScheme
    misconduct_pending: bool = False
    # From the force's pension records: pensionable service (in days) on service_as_of.
    pensionable_service_days: int | None = Field(default=None, ge=0, le=60 * 366)
    service_as_of: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    disability: str | None = None

    @field_validator("service_start")
    @classmethod
    def _service_after_birth(cls, value: date, info: ValidationInfo) -> date:
        born = info.data.get("date_of_birth")
        if born is not None and value <= born:
            raise ValueError("service_start must be after date_of_birth")
        return value

    @model_validator(mode="after")
    def _pension_record(self) -> Officer:
        if (self.pensionable_service_days is None) != (self.service_as_of is None):
            raise ValueError("give both pensionable_service_days and service_as_of, or neither")
        if self.service_as_of is not None and self.pensionable_service_days is not None:
            if self.service_as_of < self.service_start:
                raise ValueError("service_as_of must not be before service_start")
            if self.pensionable_service_days > (self.service_as_of - self.service_start).days:
                raise ValueError(
                    "pensionable_service_days must not be more than the days from "
                    "service_start to service_as_of"
                )
        return self
