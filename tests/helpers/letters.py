"""Reading generated letters in tests: their text, and a page as an image."""

from __future__ import annotations

import io

import asyncpg
import pypdfium2
from pypdf import PdfReader

from store.letters import document_content


def pdf_text(content: bytes) -> str:
    """The letter's text, white space collapsed (lines break where the layout wraps)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def dark_share(content: bytes) -> float:
    """The share of the first page's pixels that are dark: ink, not paper."""
    document = pypdfium2.PdfDocument(content)
    image = document[0].render(scale=1).to_pil().convert("L")
    histogram = image.histogram()
    return sum(histogram[:128]) / sum(histogram)


async def stored(pool: asyncpg.Pool, case_id: str, document_id: str) -> bytes:
    found = await document_content(pool, case_id, document_id)
    assert found is not None
    return found[1]
