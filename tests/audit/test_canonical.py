"""verify's faster canonical form (``stored_canonical``) is ``canonical``'s, byte for byte.

Every chain already recorded was hashed with ``canonical``; a faster path that wrote one byte
differently would report intact chains as tampered (or the other way round). So both are run on
generated events: unicode everywhere, nested objects and arrays, integers small and beyond 64
bits, floats, money as decimal strings, and ``details`` as PostgreSQL's jsonb writes it.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest.mock import patch

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

from store import audit

# Characters JSON writers treat differently if any do: quotes, backslashes, control characters,
# DEL, line and paragraph separators, accents, CJK, characters beyond the BMP.
TRICKY = '"\\/\x00\x01\x08\t\n\x0c\r\x1f\x7f\x80\u00e9\u2028\u2029\u4e2d\ufeff\uffff\U0001f600'
JSON_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(TRICKY), max_size=12)
NUMBERS = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2).map(float)
)
SCALARS = st.none() | st.booleans() | NUMBERS | JSON_TEXT | st.decimals(places=2).map(str)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=5),
    max_leaves=16,
)
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)
# The ways of writing the same JSON document: jsonb's own spacing, compact, indented, escaped.
WRITINGS = [
    lambda d: json.dumps(d),
    lambda d: json.dumps(d, separators=(",", ":"), ensure_ascii=False),
    lambda d: json.dumps(d, indent=2),
]


def _row(details_text: str, moment: datetime, text: Any, seq: int) -> tuple[Any, ...]:
    """An event as verify reads it: the hashed fields in order, details as text, then the hash."""
    return (
        f"EX-{seq:010d}",
        seq,
        text,
        "u_1",
        "caseworker",
        None,
        "submitted",
        text,
        text,
        details_text,
        moment,
        audit.GENESIS,
        "f" * 64,
    )


def _canonical(row: tuple[Any, ...]) -> bytes:
    event = dict(zip(audit.HASHED_FIELDS, row, strict=False))
    return audit.canonical(event | {"details": json.loads(event["details"])})


@settings(max_examples=400, deadline=None)
@given(
    details=st.dictionaries(JSON_TEXT, DOCUMENTS, max_size=6) | DOCUMENTS,
    moment=MOMENTS,
    text=st.none() | JSON_TEXT,
    seq=st.integers(1, 2**31 - 1),
)
def test_the_fast_form_is_the_canonical_form_byte_for_byte(
    details: Any, moment: datetime, text: str | None, seq: int
) -> None:
    for write in WRITINGS:
        row = _row(write(details), moment, text, seq)
        assert audit.stored_canonical(row) == _canonical(row)


def test_events_without_floats_or_huge_numbers_never_take_the_slow_path() -> None:
    """Otherwise the test above could pass with the fast path never taken."""
    details = {
        "amount": "41538.46",
        "note": "délai respecté (2.5 jours)",
        "items": [4, -5, 10**17],
        "nested": {"é": None, "b": [True, False, {"z": "中\U0001f600"}]},
    }
    moment = datetime(2026, 5, 4, 9, 12, tzinfo=UTC)
    row = _row(json.dumps(details), moment, "naïve", 3)
    expected = _canonical(row)
    with patch.object(audit, "canonical", side_effect=AssertionError("slow path")):
        assert audit.stored_canonical(row) == expected


def test_floats_huge_integers_and_early_years_take_the_canonical_path() -> None:
    cases = [
        ('{"a": 1.0000001}', datetime(2026, 1, 1, tzinfo=UTC)),
        ('{"a": [1, 0.0000001]}', datetime(2026, 1, 1, tzinfo=UTC)),
        ('{"a": 18446744073709551616}', datetime(2026, 1, 1, tzinfo=UTC)),
        ("1.5", datetime(2026, 1, 1, tzinfo=UTC)),
        ("[" * 300 + "]" * 300, datetime(2026, 1, 1, tzinfo=UTC)),  # deeper than orjson goes
        ('{"a": 1}', datetime(999, 1, 1, tzinfo=UTC)),
        ('{"a": 1}', datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1)))),
    ]
    for details_text, moment in cases:
        row = _row(details_text, moment, None, 1)
        slow = _canonical(row)
        with patch.object(audit, "canonical", return_value=b"slow") as called:
            assert audit.stored_canonical(row) == b"slow", details_text
        called.assert_called_once()
        assert audit.stored_canonical(row) == slow


def _document(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON document with what the workflow writes and what it could."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 7, 10**12, -(2**63), 2**64 - 1, 2**64, 10**30])
    if kind == 2:
        return rng.choice([0.5, -2.25, 1e-7, 1e16, 123456.789, 1.0])
    if kind == 3:
        return f"{rng.randrange(10**7)}.{rng.randrange(100):02d}"  # money as a decimal string
    if kind in (4, 5):
        return "".join(rng.choice(TRICKY + "abc 1.:,[e") for _ in range(rng.randrange(10)))
    if kind in (6, 7):
        return {
            "".join(rng.choice(TRICKY + "abz") for _ in range(rng.randrange(1, 5))): _document(
                rng, depth + 1
            )
            for _ in range(rng.randrange(5))
        }
    return [_document(rng, depth + 1) for _ in range(rng.randrange(4))]


async def test_details_as_postgresql_writes_them_hash_the_same(pool: asyncpg.Pool) -> None:
    """jsonb rewrites numbers, key order and spacing: the fast form must take its text as is."""
    rng = random.Random(18)
    documents = [{"k": _document(rng)} if i % 2 else _document(rng, 1) for i in range(2000)]
    # PostgreSQL refuses NUL in jsonb strings; the stored log can never hold one.
    sent = [json.dumps(d).replace("\\u0000", "") for d in documents]
    texts = await pool.fetch("SELECT d::jsonb::text AS t FROM unnest($1::text[]) AS d", sent)
    moment = datetime(2026, 11, 23, 9, 0, 0, 1, tzinfo=UTC)
    rows = [
        _row(r["t"], moment + timedelta(seconds=seq), "ça — «x»", seq)
        for seq, r in enumerate(texts, 1)
    ]
    expected = [_canonical(row) for row in rows]
    with patch.object(audit, "canonical", wraps=audit.canonical) as slow:
        assert [audit.stored_canonical(row) for row in rows] == expected
    # Both paths were taken, many times each (the documents hold floats and huge numbers often).
    assert 200 < slow.call_count < len(rows) - 200
