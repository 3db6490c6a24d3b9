"""The shell commands of README.md and how the README test runs each of them.

A command is a line of a ```bash block (``\\`` continuations joined, trailing ``# comments``
dropped) or an inline code span that starts with ``make `` or ``.venv/bin/`` (the two ways the
README tells a user to run something; e.g. the Jupyter route's nbconvert command and
``make report lang=zh-TW`` are inline). Commands of one bash block run in order in one fresh
clone (a block is a recipe: papermill, then the export of its output); every other command runs
alone in a fresh clone.

Every command must match exactly one :class:`Recipe` of :data:`RECIPES`: either a way to run
it (with tiny parameters appended where it runs the report or trains) or a reason why it is
deliberately not run here. A new command the table does not know fails the test, so the README
cannot drift away from what is tested.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# Appended to every command that runs the report: each section runs, on a handful of images.
TINY_REPORT_PARAMETERS = (
    "-p n_images 3 -p smoothgrad_samples 2 -p lime_samples 10 -p lime_segments 8 -p ascent_steps 2 "
    "-p ascent_grid_steps 2 -p n_grid_filters 2 -p trust_steps 2 -p trust_random_steps 1 "
    "-p n_measure 6 -p batch_size 8"
)
# Appended to the training command (argparse keeps the last value of a repeated option).
TINY_TRAINING = "--epochs 1 --input-size 32 --batch-size 16"

_FENCE = re.compile(r"^```(\w*)\s*$")
_INLINE = re.compile(r"`([^`]+)`")
_INLINE_COMMAND_PREFIXES = ("make ", ".venv/bin/")


@dataclass(frozen=True)
class ReadmeCommand:
    text: str  # as bash gets it
    line: int  # where it starts in the README (1-based)
    block: int | None  # index of its bash block; None for an inline command


def _strip_comment(line: str) -> str:
    """``line`` without a trailing shell comment (an unquoted ``#`` at the start or after a blank)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_commands(markdown: str) -> list[ReadmeCommand]:
    """Every command of ``markdown`` in reading order; an inline command that repeats a bash
    block's command is listed once (at the block)."""
    commands: list[ReadmeCommand] = []
    fence: str | None = None  # the language of the fenced block we are in
    block = -1
    pending, pending_line = "", 0
    prose: list[tuple[int, str]] = []
    for number, line in enumerate(markdown.splitlines(), start=1):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
            block += fence == "bash"
            continue
        if fence is not None and line.strip() == "```":
            if pending.strip():
                raise ValueError(f"README line {pending_line}: a bash block ends in a '\\' continuation")
            fence = None
            continue
        if fence is None:
            prose.append((number, line))
        elif fence == "bash":
            text = _strip_comment(line)
            if not pending:
                pending_line = number
            if text.endswith("\\"):
                pending += text[:-1].rstrip() + " "
                continue
            text = (pending + text.strip()).strip()
            pending = ""
            if text:
                commands.append(ReadmeCommand(text, pending_line, block))
    # Inline spans may wrap across lines in markdown: search the prose as one text.
    offsets, text = [], ""
    for number, line in prose:
        offsets.append((len(text), number))
        text += line + "\n"
    seen = {c.text for c in commands}
    for match in _INLINE.finditer(text):
        span = " ".join(match.group(1).split())
        if span.startswith(_INLINE_COMMAND_PREFIXES) and span not in seen:
            line = max(n for start, n in offsets if start <= match.start())
            commands.append(ReadmeCommand(span, line, None))
            seen.add(span)
    return commands


def steps(commands: list[ReadmeCommand]) -> list[list[ReadmeCommand]]:
    """Commands grouped into what runs in one fresh clone: a bash block, or one inline command."""
    grouped: dict[object, list[ReadmeCommand]] = {}
    for command in commands:
        key = ("block", command.block) if command.block is not None else ("inline", command.text)
        grouped.setdefault(key, []).append(command)
    return list(grouped.values())


@dataclass(frozen=True)
class Recipe:
    """How the test treats the commands that ``pattern`` matches (a full match)."""

    name: str
    pattern: str
    not_run_because: str = ""  # non-empty: deliberately not run, and why
    append: str = ""  # appended to the command before it runs
    prepare: str = ""  # what the user does by hand before the command (see the test)
    examples: tuple[str, ...] = field(default_factory=tuple)  # commands it must match (self-test)

    @property
    def runs(self) -> bool:
        return not self.not_run_because

    def command_to_run(self, command: str) -> str:
        return f"{command} {self.append}".strip()


RECIPES: tuple[Recipe, ...] = (
    # Deliberately not run here (each with why):
    Recipe("make test", r"make test",
           not_run_because="it runs the whole suite, this test included (it would run itself, for hours); "
                           "CI runs it (.ci/run) on a fresh clone"),
    Recipe("make test-fast", r"make test-fast",
           not_run_because="it runs the fast subset of the very suite this test belongs to; `make test` in CI "
                           "runs a superset"),
    Recipe("make bench", r"make bench",
           not_run_because="a benchmark of many minutes whose numbers are not pass/fail; the methods it times "
                           "are tested on their own"),
    Recipe("make bench-report", r"make bench-report",
           not_run_because="it builds a 3,347-image folder and times full reports (tens of minutes); timings are "
                           "not pass/fail, and the report it times is run by the other README steps"),
    Recipe("bench script", r"\.venv/bin/python bench/bench_\w+\.py( .*)?",
           not_run_because="a benchmark of minutes to tens of minutes whose timings are not pass/fail; the "
                           "reports and methods it times are run by the other README steps and tests"),
    Recipe("make train-head", r"make train-head",
           not_run_because="it retrains and rewrites the committed default head (minutes of training, no tiny "
                           "option through make); the head's accuracy is tested in "
                           "tests/foundation/test_default_data_and_model.py"),
    # Run, literally, with tiny parameters appended where the command runs the report or trains:
    Recipe("make report", r"make report(?: lang=[\w-]+)?",
           append=f'args="{TINY_REPORT_PARAMETERS}"', examples=("make report", "make report lang=zh-TW")),
    Recipe("make accuracy", r"make accuracy"),
    Recipe("run_report", r"\.venv/bin/python -m helpers\.runner\.run_report( .*)?", append=TINY_REPORT_PARAMETERS),
    Recipe("papermill", r"\.venv/bin/papermill report\.ipynb \S+\.ipynb( .*)?", append=TINY_REPORT_PARAMETERS),
    Recipe("export_pdf", r"\.venv/bin/python -m helpers\.pdf\.export \S+\.ipynb( .*)?"),
    Recipe("jupyter nbconvert", r"\.venv/bin/jupyter nbconvert --to pdf .*report\.ipynb",
           prepare="set the parameters in the first cell, run all, save"),
    Recipe("train_classic", r"\.venv/bin/python -m helpers\.training\.train_classic .*", append=TINY_TRAINING),
    Recipe("accuracy", r"\.venv/bin/python -m helpers\.evaluation\.accuracy .*"),
    Recipe("explain", r"\.venv/bin/python -m helpers\.explain .*"),
    Recipe("mkdir", r"mkdir -p [\w./-]+( [\w./-]+)*", examples=("mkdir -p outputs",)),
)


class UnknownCommand(LookupError):
    """A README command no recipe (or more than one) matches."""


def recipe_for(command: str, recipes: tuple[Recipe, ...] = RECIPES) -> Recipe:
    matches = [r for r in recipes if re.fullmatch(r.pattern, command)]
    if len(matches) != 1:
        found = f"{len(matches)} recipes ({', '.join(r.name for r in matches)})" if matches else "no recipe"
        raise UnknownCommand(
            f"README command {command!r} matches {found}: add one to RECIPES in {__name__.replace('.', '/')}.py "
            "saying how to run it (tiny parameters, outputs to check) or why it is not run, so that every "
            "README command stays tested")
    return matches[0]


@dataclass(frozen=True)
class Words:
    """A command's words: ``--name value`` options (also ``--name=value``), ``-p name value``
    parameters (the last of a repeated one wins) and the other words in order."""

    options: dict[str, str]
    parameters: dict[str, str]
    positional: list[str]
    text: str  # the command itself


def split_command(command: str) -> Words:
    words = shlex.split(command)
    options: dict[str, str] = {}
    parameters: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-p" and i + 2 < len(words):
            parameters[words[i + 1]] = words[i + 2]
            i += 3
        elif word.startswith("--") and "=" in word:
            name, value = word.split("=", 1)
            options[name] = value
            i += 1
        elif word.startswith("--") and i + 1 < len(words) and not words[i + 1].startswith("-"):
            options[word] = words[i + 1]
            i += 2
        else:
            positional.append(word)
            i += 1
    return Words(options, parameters, positional, command)
