"""The README and the guides run as written (issue 12 item 15).

Every command line of every ```bash / ```sh block in README.md and docs/*.md is run, in order, in
a scratch folder holding copies of `examples/` and `docs/` and a link to `src/` (the paths the documents use, relative
to the repository root), with `triforce` resolving to this checkout. A command is skipped only
when its comment says what it needs that a test machine does not have (`# ... needs: gpu`); the
exit code it must give is the `exit N` its comment names, else 0. The README's two set-up
commands (`make build`, `make test`) are the suite's own entry points and are not run from it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: What a documented command may need that the test machine does not have, and why it is skipped.
NEEDS = {
    "gpu": "trains or runs a model on a GPU",
    "network": "talks to a model server or teacher endpoint that must already be running",
    "rom": "reads the user's own ROM image (none ships with Triforce)",
    "checkout": "reads a third-party source tree the user clones (usdasm, yaze, Oracle of Secrets)",
    "server": "serves until stopped (Ctrl-C)",
    "minutes": "the full job on the whole bundled corpus or every suite (minutes; smaller forms run)",
    "bubblewrap": "asks for the bubblewrap sandbox explicitly (an error where it is not installed)",
    "model": "a trained model, or review candidates a model wrote",
}
SETUP = {"make build", "make test"}

_FENCE = re.compile(r"^```(\w*)\s*$")
_NEEDS = re.compile(r"\bneeds: ([a-z]+(?:, [a-z]+)*)")
_EXIT = re.compile(r"\bexit (\d+)\b")


@dataclass(frozen=True)
class Command:
    where: str
    text: str
    comment: str

    @property
    def needs(self) -> list[str]:
        match = _NEEDS.search(self.comment)
        return match.group(1).split(", ") if match else []

    @property
    def exit_code(self) -> int:
        match = _EXIT.search(self.comment)
        return int(match.group(1)) if match else 0


def _split_comment(line: str) -> tuple[str, str]:
    """(command, comment): the comment starts at a `#` after a blank, outside quotes."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def documented_commands() -> list[Command]:
    found = []
    for doc in DOCUMENTS:
        lang = None
        pending = ""
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
            fence = _FENCE.match(line.strip())
            if fence:
                lang = None if lang is not None else fence.group(1)
                continue
            if lang not in ("bash", "sh", "shell"):
                continue
            text, comment = _split_comment(line.strip())
            if pending:
                text = pending + " " + text
            if text.endswith("\\"):
                pending = text[:-1].rstrip()
                continue
            pending = ""
            if text:
                found.append(Command(f"{doc.relative_to(ROOT)}:{number}", text, comment))
    return found


COMMANDS = documented_commands()


def test_the_documents_have_commands_and_every_mark_is_known() -> None:
    assert len(COMMANDS) > 60
    unknown = [(c.where, n) for c in COMMANDS for n in c.needs if n not in NEEDS]
    assert not unknown, f"unknown `needs:` marks (known: {', '.join(NEEDS)}): {unknown}"


def test_a_command_that_cannot_run_here_says_why() -> None:
    """What a command reads shows what it needs: a URL, a ROM, a cloned tree, training, a server.
    Such a command must carry the mark; nothing is skipped without one."""
    rules = [
        (r"https?://", {"network", "server", "gpu"}),
        (r"\.(sfc|smc)\b", {"rom"}),
        (r"~/src/|\.\./(Oracle-of-Secrets|usdasm|yaze)", {"checkout"}),
        (r"^triforce train (?!--preview|--print-launch)", {"gpu"}),
        (r"^triforce (serve --port|review serve)", {"server"}),
        (r"hf:", {"gpu", "model"}),
    ]
    missing = []
    for c in COMMANDS:
        for pattern, marks in rules:
            if re.search(pattern, c.text) and not marks & set(c.needs):
                missing.append(f"{c.where}: `{c.text}` needs one of {sorted(marks)}")
    assert not missing, "\n".join(missing)


def test_every_file_a_runnable_command_names_is_shipped() -> None:
    """Example inputs come from examples/ or docs/examples/; none is left to the reader to invent."""
    made_by_earlier_commands = {
        "sheet.3bpp",
        "sheet.png",
        "sheet.lz",
        "again.3bpp",
        "back.3bpp",
        "sheet.4bpp",
        "pairs.jsonl",
    }
    missing = []
    for c in COMMANDS:
        if c.needs or c.text in SETUP:
            continue
        for token in re.findall(r"(?<![\w/.-])((?:examples|docs)/[\w./-]+)", c.text):
            if not (ROOT / token).exists():
                missing.append(f"{c.where}: {token}")
        for token in re.findall(r"(?<![\w/.-])([\w-]+\.(?:asm|jsonl|yaml|md|sfc|json))\b", c.text):
            if token not in made_by_earlier_commands:
                missing.append(f"{c.where}: {token} (give its path under examples/)")
    assert not missing, "\n".join(missing)


def _scratch(work: Path) -> dict[str, str]:
    """A reader's folder: copies of examples/ and docs/, src/ linked (read only), `triforce` on PATH."""
    shutil.copytree(ROOT / "examples", work / "examples")
    shutil.copytree(ROOT / "docs", work / "docs")
    (work / "src").symlink_to(ROOT / "src")  # the bundled suites named by path
    bin_dir = work / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "triforce"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m triforce "$@"\n')
    shim.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT / "src"),
        "COLUMNS": "80",
        "TRIFORCE_REFINE_DIR": str(work / "refine-state"),
    }


def _runnable(document: Path) -> list[Command]:
    prefix = f"{document.relative_to(ROOT)}:"
    return [c for c in COMMANDS if c.where.startswith(prefix) and not c.needs and c.text not in SETUP]


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if _runnable(d)], ids=lambda d: d.name)
def test_every_documented_command_runs_as_written(document: Path, tmp_path: Path) -> None:
    """Each document in its own folder, its commands in order, as a reader follows it."""
    env = _scratch(tmp_path)
    failures = []
    for c in _runnable(document):
        proc = subprocess.run(
            ["bash", "-c", c.text], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != c.exit_code or "Traceback" in proc.stderr:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-6:]
            failures.append(
                f"{c.where}: `{c.text}` exit {proc.returncode}, expected {c.exit_code}\n    "
                + "\n    ".join(tail)
            )
    assert not failures, "\n".join(failures)


def test_most_commands_run() -> None:
    """The marks stay the exception: most documented commands run in the test above."""
    runnable = sum(len(_runnable(d)) for d in DOCUMENTS)
    assert runnable > 50 and runnable > 2 * (len(COMMANDS) - runnable - len(SETUP)) / 3
