"""Every relative link in README.md, BENCHMARKS.md and docs/*.md leads somewhere.

A link's file must exist, and a ``#anchor`` must be the slug GitHub gives one of the target
page's headings (lower case; punctuation other than ``-`` and ``_`` dropped; spaces become
``-``; a repeated heading gets ``-1``, ``-2``...). Links inside code are not links.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", ROOT / "BENCHMARKS.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The page without its code blocks and code spans."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text stays
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: Counter[str] = Counter()
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text())):
        base = slug(heading)
        found.add(f"{base}-{seen[base]}" if seen[base] else base)
        seen[base] += 1
    return found


def links(page: Path) -> list[str]:
    return [
        target
        for target in _LINK.findall(_prose(page.read_text()))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target, re.I)  # https:, mailto: ...
    ]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("7. Efficiency retirement", "7-efficiency-retirement"),
        ("`./dev` and `./test` on a fresh machine", "dev-and-test-on-a-fresh-machine"),
        (
            "Access log: who looked at this officer's data",
            "access-log-who-looked-at-this-officers-data",
        ),
        ("Metrics (`/metrics`)", "metrics-metrics"),
        ("Benchmark (`bench/audit_bench.py`)", "benchmark-benchaudit_benchpy"),
        ("See [the docs](docs/x.md)", "see-the-docs"),
    ],
)
def test_slugs_follow_github(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_repeated_headings_are_numbered_and_code_is_not_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A\n\n## Notes\n\n```sh\n# not a heading [x](missing.md)\n```\n\n## Notes\n")
    assert anchors(page) == {"a", "notes", "notes-1"}
    assert links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
