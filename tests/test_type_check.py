"""The type check `./test` runs (mypy, configured in pyproject.toml) covers all non-test code,
exempts nothing but libraries without types, and is strict enough to refuse ``None`` where a
value is needed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def _checked() -> set[str]:
    return set(tomllib.loads(CONFIG.read_text())["tool"]["mypy"]["files"])


def test_every_package_and_module_outside_the_tests_is_checked() -> None:
    # Top-level Python outside the tests and the venv: a new package (say, service/) fails here
    # until it is added to [tool.mypy] files.
    top_level = {
        entry.name
        for entry in ROOT.iterdir()
        if not entry.name.startswith(".")
        and entry.name not in {"tests", "build"}
        and (entry.suffix == ".py" if entry.is_file() else any(entry.rglob("*.py")))
    }
    assert top_level
    assert top_level <= _checked()


def test_nothing_is_exempt_but_named_untyped_libraries() -> None:
    mypy = tomllib.loads(CONFIG.read_text())["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "ignore_missing_imports" not in mypy
    assert "ignore_errors" not in mypy
    first_party = {name.removesuffix(".py") for name in _checked()}
    for override in mypy.get("overrides", []):
        # Only "this library has no types", for libraries named one by one.
        assert set(override) == {"module", "ignore_missing_imports"}, override
        assert not {m.partition(".")[0] for m in override["module"]} & first_party, override


def _mypy(tmp_path: Path, source: str) -> tuple[str, int]:
    module = tmp_path / "sample.py"
    module.write_text(source)
    out, err, status = api.run(
        [
            "--config-file",
            str(CONFIG),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-incremental",
            str(module),
        ]
    )
    return out + err, status


@pytest.mark.parametrize(
    ("source", "code"),
    [
        # An optional value used as if it were there.
        ("def f(x: str | None) -> int:\n    return len(x)\n", "arg-type"),
        ("def f(x: str | None) -> str:\n    return x.upper()\n", "union-attr"),
        # A function without annotations, whose body would otherwise go unchecked.
        ("def f(x):\n    return x\n", "no-untyped-def"),
        # An ignore without an error code, which would hide any error on its line.
        ("x: int = 'a'  # type: ignore\n", "ignore-without-code"),
    ],
)
def test_the_configuration_refuses(tmp_path: Path, source: str, code: str) -> None:
    output, status = _mypy(tmp_path, source)
    assert status == 1, output
    assert f"[{code}]" in output, output


def test_the_configuration_passes_correct_code(tmp_path: Path) -> None:
    source = "def f(x: str | None) -> int:\n    return len(x) if x is not None else 0\n"
    output, status = _mypy(tmp_path, source)
    assert status == 0, output
