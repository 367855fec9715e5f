"""The walk-through (docs/walkthrough.md) runs as written, against a live `exitcases dev`.

Conventions (full text in tests/readme_walkthrough.py and docs/readme-tests.md):

- the ```sh blocks of the sections in ``readme_walkthrough.WALKTHROUGH`` run in order, in one
  bash session, in a scratch directory whose ``domain/`` and ``scripts/`` are the repository's;
- a block fenced ```sh no-run is never run (the visible marker for "do not run this");
- comment lines directly under a command are its expected output; in ``$ `` blocks, the lines
  after a command are;
- ``"..."`` (in JSON) and ``...`` (in text) stand for values that vary: ids, tokens, dates,
  amounts that depend on today;
- every command must exit 0.

The first tests pin those conventions down on small examples; the last runs the walk-through.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.helpers.databases import scratch_database
from tests.helpers.processes import BIN, free_port
from tests.readme_walkthrough import (
    NO_RUN,
    ROOT,
    WALKTHROUGH,
    Command,
    commands,
    output_matches,
    problems,
    run,
    section,
    sh_blocks,
    walkthrough,
)
from tests.test_dev import Dev

DOC = """# Title

## Using it

```sh
A=1
```

### Step

```sh no-run
./dev
```

```python
print("not shell")
```

## Next

```sh
B=2
```
"""


def test_a_section_runs_to_the_next_heading_of_its_level_and_no_run_blocks_are_left_out() -> None:
    offset, text = section(DOC, "## Using it")
    assert offset == 2 and "### Step" in text and "## Next" not in text
    assert sh_blocks(text) == [(3, "A=1")]
    with pytest.raises(LookupError):
        section(DOC, "## Missing")


@pytest.mark.slow  # runs bash
def test_comments_under_a_command_are_its_output_and_commands_span_lines() -> None:
    block = """f() {  # a function
  echo "$1"
}
X=$(echo a \\
    b)
cat <<'EOF'
# not a comment: here-document text
EOF
# # not a comment: here-document text

# prose after a blank line
echo '{"a": 1}'
# {"a": 1}
# {"b": 2}"""
    found = commands("here", block)
    assert [c.text.splitlines()[0] for c in found] == [
        "f() {  # a function",
        "X=$(echo a \\",
        "cat <<'EOF'",
        "echo '{\"a\": 1}'",
    ]
    assert [c.expected for c in found] == [
        None,
        None,
        ["# not a comment: here-document text"],
        ['{"a": 1}', '{"b": 2}'],
    ]


def test_prompt_blocks_pair_each_command_with_the_lines_after_it() -> None:
    block = "$ echo a \\\n    b\na b\n$ true\n$ printf 'x\\ny\\n'\nx\ny"
    found = commands("here", block)
    assert [(c.text, c.expected) for c in found] == [
        ("echo a \\\n    b", ["a b"]),
        ("true", None),
        ("printf 'x\\ny\\n'", ["x", "y"]),
    ]


@pytest.mark.parametrize(
    ("expected", "printed", "matches"),
    [
        # JSON, whatever the layout; "..." stands for any value.
        (
            ['{"state": "approval", "amount": "..."}'],
            '{\n  "amount": "1.00",\n  "state": "approval"\n}',
            True,
        ),
        (['{"state": "approval", "amount": "..."}'], '{"state": "approval", "amount": null}', True),
        (['{"state": "approval", "amount": "..."}'], '{"state": "approval"}', False),
        (['{"state": "approval"}'], '{"state": "approval", "amount": "1.00"}', False),
        (['{"state": "approval", "...": "..."}'], '{"state": "approval", "amount": "1.00"}', True),
        (['"EX-..."'], '"EX-4K7M2Q9TXA"', True),
        (['"EX-..."'], '"OF-4K7M2Q9TXA"', False),
        (['"EX-..."'], '"EX-1"\n"EX-2"', False),
        (["1"], "true", False),
        (["[1, 2]"], "[1, 2, 3]", False),
        # Text, line by line; "..." inside a line is any text, alone on a line any lines.
        (["user u_... revoked"], "user u_x1 revoked\n", True),
        (["head", "...", "tail"], "head\na\nb\ntail", True),
        (["head", "...", "tail"], "head\ntail", True),
        (["head", "...", "tail"], "head\ntail\nmore", False),
        (["exact"], "exact  \n", True),
        (["exact"], "exactly", False),
    ],
)
def test_output_matching(expected: list[str], printed: str, matches: bool) -> None:
    assert output_matches(expected, printed) is matches


@pytest.mark.slow  # runs bash
def test_a_session_keeps_state_checks_output_and_stops_at_the_first_failure(
    tmp_path: Path,
) -> None:
    found = [
        Command("1", "X=42"),
        Command("2", "printf '%s' \"$X\"", ["42"]),
        Command("3", "echo wrong", ["right"]),
        Command("4", "echo to stderr >&2; false"),
        Command("5", "echo never"),
    ]
    outcomes = run(found, dict(os.environ), tmp_path, timeout=30)
    assert [(o.command.where, o.status, o.stdout.strip()) for o in outcomes] == [
        ("1", 0, ""),
        ("2", 0, "42"),
        ("3", 0, "wrong"),
        ("4", 1, ""),
    ]
    assert "to stderr" in outcomes[3].stderr
    found_problems = problems(outcomes)
    assert len(found_problems) == 2
    assert found_problems[0].startswith("3: printed something else")
    assert found_problems[1].startswith("4: exited 1")


@pytest.mark.slow  # runs bash
def test_a_session_that_runs_too_long_is_stopped_and_said_so(tmp_path: Path) -> None:
    outcomes = run([Command("1", "echo started; sleep 30")], dict(os.environ), tmp_path, 1)
    assert [(o.status, o.stdout.strip()) for o in outcomes] == [(-9, "started")]
    assert "stopped after 1 s" in outcomes[0].stderr


def test_every_runnable_example_of_the_readme_and_the_walkthrough_is_run() -> None:
    run_lines = {
        (name, offset + line)
        for name, heading in WALKTHROUGH
        for offset, text in [section((ROOT / name).read_text(), heading)]
        for line, _ in sh_blocks(text)
    }
    for name in ("README.md", "docs/walkthrough.md"):
        lines = (ROOT / name).read_text().splitlines()
        fence = False
        for number, line in enumerate(lines, start=1):
            if line.startswith("```"):
                words = line.removeprefix("```").split()
                if not fence and words[:1] == ["sh"] and NO_RUN not in words:
                    assert (name, number) in run_lines, f"{name} line {number} is never run"
                fence = not fence


@pytest_asyncio.fixture(loop_scope="session")
async def walkthrough_database(postgres_server_url: str) -> AsyncIterator[str]:
    async with scratch_database(postgres_server_url, "exitcases_readme") as url:
        yield url


@pytest.mark.slow
def test_the_readme_walkthrough_runs_as_written(tmp_path: Path, walkthrough_database: str) -> None:
    for tool in ("bash", "curl", "jq"):
        assert shutil.which(tool), f"the walk-through needs {tool}: apt-get install {tool}"
    found = walkthrough()
    assert sum(command.expected is not None for command in found) >= 10

    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    dev = Dev(tmp_path / "data", ports)
    dev.env["EXITCASES_DATABASE_URL"] = walkthrough_database
    # Step 6 reads /metrics with this token, as a reader who set it for ./dev would.
    dev.env["EXITCASES_METRICS_TOKEN"] = secrets.token_hex(16)
    process, _ = dev.start()
    try:
        scratch = tmp_path / "reader"
        scratch.mkdir()
        for name in ("domain", "scripts"):
            (scratch / name).symlink_to(ROOT / name)
        # A reader's shell: the venv on the path, the dev's data directory and API port; the
        # commands find the database through the running dev, as the walk-through says.
        env = {k: v for k, v in dev.env.items() if k != "EXITCASES_DATABASE_URL"}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        started = time.monotonic()
        outcomes = run(found, env, scratch, timeout=150)
        print(f"\nwalk-through: {len(outcomes)} commands in {time.monotonic() - started:.0f} s")
    finally:
        assert dev.stop(process) == 0
    found_problems = problems(outcomes)
    if found_problems:
        pytest.fail("\n\n".join(found_problems), pytrace=False)
    assert len(outcomes) == len(found)
