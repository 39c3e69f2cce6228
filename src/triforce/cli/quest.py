"""`triforce quest check`: the quest model's designer checks and pacing metrics from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from triforce.cli._tables import Table
from triforce.errors import InputError

app = typer.Typer(help="Quest model: designer checks (softlocks, places, beats, flags) and pacing.")
_out = Console()
MAX_INPUT = 1024 * 1024


def _quests(file: Path) -> list[tuple[str, Any]]:
    """(label, quest JSON) from a quest file, an answer with a ```json block, JSONL, or -."""
    from triforce.lore.claimtext import blocks

    raw = (
        sys.stdin.read(MAX_INPUT)
        if str(file) == "-"
        else file.read_bytes()[:MAX_INPUT].decode("utf-8", "replace")
    )
    bodies = [b for lang, b in blocks(raw) if lang in ("json", "")] or [raw]
    out: list[tuple[str, Any]] = []
    for body in bodies:
        try:
            out.append((str(file), json.loads(body)))
            continue
        except json.JSONDecodeError:
            pass
        for n, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append((f"{file}:{n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(f"{file}:{n}: not valid JSON ({exc.msg})") from None
    return out


@app.command("check")
def check(
    file: Path | None = typer.Argument(
        None, help="A quest (JSON, JSONL, or an answer with a ```json block), or -."
    ),
    source: Path | None = typer.Option(
        None,
        "--source",
        "-s",
        help="A hack's tree: check in its scope (places, flags the hack uses).",
        file_okay=False,
    ),
    side_quests: bool = typer.Option(
        False, "--side-quests", help="Check the hack's own side quests (needs --source)."
    ),
    min_steps: int = typer.Option(3, "--min-steps", min=1),
    max_steps: int = typer.Option(12, "--max-steps", min=1),
    must_grant: list[str] = typer.Option(
        [], "--must-grant", help="An item the quest must grant (repeatable)."
    ),
    start_item: list[str] = typer.Option(
        [], "--start-item", help="An item the player starts with (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Run the designer checks on quests; exit 1 when any check fails."""
    from triforce.lore import VANILLA, vanilla
    from triforce.lore.hack import is_oos_tree, read_oos
    from triforce.quest import Quest, QuestRules, check_quest, pacing
    from triforce.quest.oos import read_side_quests, to_quest

    kb, scope = vanilla(), VANILLA
    if source is not None:
        from triforce.corpus.sources import resolve_source

        source = resolve_source(source)
        if not is_oos_tree(source):
            raise InputError(f"{source}: no hack documents found")
        docs = read_oos(source)
        kb, scope = docs.kb, docs.scope
    items: list[tuple[str, Quest, QuestRules]] = []
    rules = QuestRules(
        min_steps=min_steps, max_steps=max_steps, must_grant=must_grant, start_items=start_item, scope=scope
    )
    if side_quests:
        if source is None:
            raise InputError("--side-quests needs --source (the hack's tree)")
        for q in read_side_quests(source):
            quest = to_quest(q)
            if quest is not None:
                items.append(
                    (
                        q.cite,
                        quest,
                        QuestRules(min_steps=1, max_steps=30, scope=scope, known_locations=q.has_places()),
                    )
                )
    if file is not None:
        for label, data in _quests(file):
            try:
                items.append((label, Quest.model_validate(data), rules))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise InputError(f"{label}: field '{where}': {first['msg']}") from None
    if not items:
        raise InputError("give a quest file (or - for stdin), or --side-quests with --source")
    reports: list[dict[str, Any]] = []
    for label, quest, r in items:
        report = check_quest(quest, r, kb)
        reports.append(
            {
                "quest": label,
                "title": quest.title,
                "passed": report.passed,
                "findings": [f.to_json() for f in report.findings],
                "pacing": pacing(quest, kb, scope).to_json(),
            }
        )
    if as_json:
        typer.echo(json.dumps({"scope": scope, "quests": reports}, indent=1, ensure_ascii=False))
    else:
        for rep in reports:
            table = Table(title=f"{rep['title']} ({rep['quest']})")
            table.add_column("check")
            table.add_column("result", overflow="fold")
            for f in rep["findings"]:
                table.add_row(f["check"], "[green]ok[/]" if f["passed"] else f"[red]{f['message']}[/]")
            p = rep["pacing"]
            table.add_row(
                "pacing",
                f"{p['beats']} beats, {p['distinct_kinds']} kinds, gating depth {p['gating_depth']}, "
                f"{p['travel']} borders travelled, {p['backtracks']} backtracks",
            )
            _out.print(table)
    if not all(r["passed"] for r in reports):
        raise typer.Exit(1)
