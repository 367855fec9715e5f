"""Every relative link in README.md, BENCHMARKS.md and docs/*.md leads somewhere.

A link's file must exist, and a ``#anchor`` must be the slug GitHub gives one of the target
page's headings (lower case; punctuation other than ``-`` and ``_`` dropped; spaces become
``-``; a repeated heading gets ``-1``, ``-2``...). Links inside code are not links.

The files and modules the pages name in code spans (``store/audit.py``,
``exitcases.cases.open_case``) must exist too, so that moving code moves its documentation.
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
_PATH = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|sh|json|sql|toml|md|yml))`")
_PACKAGES = ("domain", "config", "store", "service", "activities", "workflows", "api", "exitcases")
# A dotted name in code starting with one of our packages, less host names (`api.hr.example`).
_MODULE = re.compile(rf"`((?:{'|'.join(_PACKAGES)})\.\w+)[\w.]*(?<!\.example)`")
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


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_file_and_module_named_in_code_exists(page: Path) -> None:
    text = page.read_text()
    missing = [path for path in _PATH.findall(text) if not (ROOT / path).exists()]
    for module in _MODULE.findall(text):
        package, name = module.split(".")
        if not (ROOT / package / f"{name}.py").exists() and not (ROOT / package / name).is_dir():
            missing.append(module)
    assert not missing, f"{page.relative_to(ROOT)} names what does not exist: {missing}"


def test_module_names_are_read_from_code_and_host_names_are_not() -> None:
    text = "`exitcases.cases.act`, `store/audit.py`, `api.hr.example`, exitcases.x, `a.md`"
    assert _MODULE.findall(text) == ["exitcases.cases"]
    assert _PATH.findall(text) == ["store/audit.py"]
