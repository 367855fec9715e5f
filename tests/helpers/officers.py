"""Officers for the roster, valid unless a test says otherwise."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from domain.officer import Officer, PensionScheme, Rank


def officer(**overrides: object) -> Officer:
    """A superintendent, 20 years in, on £80,000 in the 2006 scheme: eligible, two tiers."""
    fields: dict[str, object] = {
        "officer_id": f"OF{secrets.token_hex(4)}",
        "name": "Test Officer",
        "rank": Rank.SUPERINTENDENT,
        "date_of_birth": date(1980, 3, 14),
        "service_start": date(2006, 11, 1),
        "annual_pay": Decimal("80000.00"),
        "pension_scheme": PensionScheme.P2006,
        "misconduct_pending": False,
    }
    fields.update(overrides)
    return Officer.model_validate(fields)
