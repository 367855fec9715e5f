"""Reads the walk-through (docs/walkthrough.md) as a script and checks what it prints.

The conventions (docs/readme-tests.md says the same for people editing the walk-through):

- **What runs.** The sections in :data:`WALKTHROUGH` (a heading and everything under it, up to
  the next heading of the same or a higher level), in order. Their ```` ```sh ```` blocks run one
  after another in ONE bash session, so variables and functions carry over, in a scratch
  directory where ``domain/`` and ``scripts/`` are the repository's. Other fences
  (```` ``` ````, ```` ```python ````, ```` ```sql ````) are not run.
- **Not run.** A block fenced ```` ```sh no-run ```` is shown to readers and never run.
- **Expected output.** Full-line comments directly under a command, before any blank line, are
  what that command prints (``# {"created":1,"updated":0}``); a comment after a blank line is
  prose. In a block of ``$ `` lines, the lines after a command (and its ``\\`` continuation
  lines) up to the next ``$ `` are what it prints.
- **Comparison.** When the expected text is JSON (one or more values), the output is compared as
  JSON, whatever its layout: ``"..."`` matches any value, a string with ``...`` in it matches any
  text there (``"EX-..."``), and an object with the entry ``"...": "..."`` may have more keys.
  Otherwise line by line: ``...`` inside a line matches any text, and a line of just ``...`` any
  number of lines. Trailing whitespace is ignored.
- **Failure.** Every command must exit 0 (the last command of a pipeline decides); the run stops
  at the first that does not.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# (file, heading): the walk-through, in the order it runs.
WALKTHROUGH: tuple[tuple[str, str], ...] = (
    ("docs/walkthrough.md", "## Using the service"),
    ("docs/walkthrough.md", "## Everything from the command line"),
)

NO_RUN = "no-run"
ANY = "..."


@dataclass
class Command:
    """One complete shell command as the walk-through shows it, and what it should print."""

    where: str
    text: str
    expected: list[str] | None = None


@dataclass
class Outcome:
    command: Command
    status: int
    seconds: float
    stdout: str
    stderr: str = field(repr=False)


# -- reading the document ----------------------------------------------------------------


def section(text: str, heading: str) -> tuple[int, str]:
    """``heading``'s line and everything under it, up to a heading of its level or higher,
    with the number of the line before it (to give line numbers)."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    if start is None:
        raise LookupError(f"no heading starting {heading!r}")
    end = start + 1
    fence = False
    while end < len(lines):
        line = lines[end]
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(rf"#{{1,{level}}} ", line):
            break
        end += 1
    return start, "\n".join(lines[start:end])


def sh_blocks(text: str) -> list[tuple[int, str]]:
    """The ```` ```sh ```` blocks to run: (line number, body)."""
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        info = lines[index].removeprefix("```")
        if lines[index].startswith("```") and info.strip():
            start = index
            index += 1
            body = []
            while index < len(lines) and not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            words = info.split()
            if words[0] == "sh" and NO_RUN not in words[1:]:
                blocks.append((start + 1, "\n".join(body)))
        index += 1
    return blocks


def complete(text: str) -> bool:
    """Whether ``text`` is whole commands: bash parses it and nothing is left open."""
    if text.rstrip().endswith("\\"):
        return False
    checked = subprocess.run(
        ["bash", "-n"], input=text + "\n", capture_output=True, text=True, check=False
    )
    # An unterminated here-document is only a warning to bash -n.
    return checked.returncode == 0 and not checked.stderr


def _comment(line: str) -> str:
    body = line.strip().removeprefix("#")
    return body.removeprefix(" ")


def commands(where: str, block: str) -> list[Command]:
    """A block's commands, each with the output shown for it."""
    lines = block.splitlines()
    if any(line.startswith("$ ") for line in lines):
        return _prompt_commands(where, lines)
    found: list[Command] = []
    previous: Command | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            previous = None
            index += 1
        elif line.lstrip().startswith("#"):
            if previous is not None:
                previous.expected = [*(previous.expected or []), _comment(line)]
            index += 1
        else:
            end = index + 1
            while not complete("\n".join(lines[index:end])):
                if end == len(lines):
                    raise ValueError(f"{where}: a command never ends: {line!r}")
                end += 1
            previous = Command(where, "\n".join(lines[index:end]))
            found.append(previous)
            index = end
    return found


def _prompt_commands(where: str, lines: list[str]) -> list[Command]:
    found: list[Command] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            raise ValueError(f"{where}: output before the first '$ ' command")
        text = [lines[index].removeprefix("$ ")]
        index += 1
        while text[-1].rstrip().endswith("\\") and index < len(lines):
            text.append(lines[index])
            index += 1
        output = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        found.append(Command(where, "\n".join(text), output or None))
    return found


def walkthrough(root: Path = ROOT) -> list[Command]:
    found = []
    for name, heading in WALKTHROUGH:
        offset, text = section((root / name).read_text(), heading)
        for line, block in sh_blocks(text):
            found.extend(commands(f"{name} line {offset + line}", block))
    return found


# -- comparing ---------------------------------------------------------------------------


def _text_pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split(ANY)), re.S)


def json_matches(expected: Any, actual: Any) -> bool:
    if expected == ANY:
        return True
    if isinstance(expected, str):
        return isinstance(actual, str) and bool(_text_pattern(expected).fullmatch(actual))
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        more_allowed = expected.get(ANY) == ANY
        keys = set(expected) - {ANY}
        if not keys <= set(actual) or (not more_allowed and set(actual) != keys):
            return False
        return all(json_matches(expected[key], actual[key]) for key in keys)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(json_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual


def json_values(text: str) -> list[Any] | None:
    """The JSON values ``text`` holds one after another, or None if it is not JSON."""
    decoder = json.JSONDecoder()
    values = []
    position = 0
    text = text.strip()
    while position < len(text):
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return None
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values or None


def lines_match(expected: list[str], actual: list[str]) -> bool:
    patterns = [None if line.strip() == ANY else _text_pattern(line.rstrip()) for line in expected]

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(actual)
        pattern = patterns[i]
        if pattern is None:
            return match(i + 1, j) or (j < len(actual) and match(i, j + 1))
        return (
            j < len(actual) and bool(pattern.fullmatch(actual[j].rstrip())) and match(i + 1, j + 1)
        )

    return match(0, 0)


def output_matches(expected: list[str], actual: str) -> bool:
    wanted = json_values("\n".join(expected))
    if wanted is not None:
        got = json_values(actual)
        return (
            got is not None
            and len(got) == len(wanted)
            and all(json_matches(e, a) for e, a in zip(wanted, got, strict=True))
        )
    return lines_match(expected, actual.rstrip("\n").splitlines())


# -- running -----------------------------------------------------------------------------


def run(found: list[Command], env: dict[str, str], cwd: Path, timeout: float) -> list[Outcome]:
    """Run the commands in one bash session; stop after the first that fails."""
    mark = f"__readme_test_{secrets.token_hex(8)}__"
    script = []
    for number, command in enumerate(found):
        script.append("__started=$EPOCHREALTIME")
        script.append(command.text)
        script.append(
            f'__status=$?; printf "\\n{mark} {number} %d %s %s\\n" $__status $__started '
            f'$EPOCHREALTIME; printf "\\n{mark} {number}\\n" >&2; [ $__status -eq 0 ] || exit 97'
        )
    with subprocess.Popen(
        ["bash", "-c", "\n".join(script)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a timeout ends the commands' own children too
    ) as session:
        try:
            printed, errors = session.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(session.pid, signal.SIGKILL)
            printed, errors = session.communicate()
            errors += f"\n(the walk-through was stopped after {timeout:.0f} s)"
    stdout = re.split(rf"\n{mark} (\d+) (\d+ [\d.]+ [\d.]+)\n", printed)
    stderr = re.split(rf"\n{mark} \d+\n", errors)
    outcomes = []
    for number in range(len(stdout) // 3):
        output, index, times = stdout[3 * number : 3 * number + 3]
        assert int(index) == number
        status, started, ended = times.split()
        said = stderr[number] if number < len(stderr) else ""
        seconds = float(ended) - float(started)
        outcomes.append(Outcome(found[number], int(status), seconds, output, said))
    if len(outcomes) < len(found) and (not outcomes or outcomes[-1].status == 0):
        # The session itself ended (a command called `exit`, or bash could not parse it).
        command = found[len(outcomes)]
        outcomes.append(Outcome(command, session.returncode or -1, 0.0, stdout[-1], stderr[-1]))
    return outcomes


def problems(outcomes: list[Outcome]) -> list[str]:
    """What went wrong, each said with the command, its place and what it printed."""
    found = []
    for outcome in outcomes:
        command = outcome.command
        if outcome.status != 0:
            found.append(
                f"{command.where}: exited {outcome.status}:\n{command.text}\n"
                f"--- stdout\n{outcome.stdout}\n--- stderr\n{outcome.stderr}"
            )
        elif command.expected is not None and not output_matches(command.expected, outcome.stdout):
            expected = "\n".join(command.expected)
            found.append(
                f"{command.where}: printed something else:\n{command.text}\n"
                f"--- expected\n{expected}\n--- printed\n{outcome.stdout}\n"
                f"--- stderr\n{outcome.stderr}"
            )
    return found
