"""`triforce lore check|ask|validate`: the canon KB and its claim checker from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from triforce.cli._tables import Table
from triforce.errors import InputError

app = typer.Typer(
    help="Canon knowledge base: check claims, ask what the KB records, validate a hack's documents."
)
_out = Console()
_JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
_SOURCE = typer.Option(
    None,
    "--source",
    "-s",
    help="A hack's tree (Oracle of Secrets layout): check in its scope.",
    file_okay=False,
)
MAX_INPUT = 1024 * 1024  # bytes of an answer file that are read


def _kb(source: Path | None) -> tuple[Any, str]:
    from triforce.lore import VANILLA, vanilla
    from triforce.lore.hack import is_oos_tree, read_oos

    if source is None:
        return vanilla(), VANILLA
    from triforce.corpus.sources import resolve_source

    source = resolve_source(source)
    if not is_oos_tree(source):
        raise InputError(f"{source}: no hack documents found (Data/location_registry.json, Docs/World/...)")
    docs = read_oos(source)
    return docs.kb, docs.scope


def _claims(args: list[str], file: Path | None) -> list[Any]:
    from triforce.lore import Claim
    from triforce.lore.claimtext import extract_claims

    claims = []
    for n, arg in enumerate(args, start=1):
        parts = [p.strip() for p in arg.split("|")]
        if len(parts) != 3 or not all(parts):
            raise InputError(f"claim {n}: {arg!r} is not 'subject|relation|object'")
        claims.append(Claim(*parts))
    if file is not None:
        raw = (
            sys.stdin.read(MAX_INPUT)
            if str(file) == "-"
            else file.read_bytes()[:MAX_INPUT].decode("utf-8", "replace")
        )
        text = raw if "```" in raw else f"```claims\n{raw}\n```"
        found, error = extract_claims(text)
        if found is None:
            raise InputError(f"{file}: {error}")
        claims += found
    if not claims:
        raise InputError(
            "give claims as 'subject|relation|object' arguments or --file (an answer or a JSON list)"
        )
    return claims


@app.command("check")
def check(
    claims: list[str] = typer.Argument(None, help="Claims as 'subject|relation|object'."),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="An answer with a ```claims block, a JSON list, or -."
    ),
    source: Path | None = _SOURCE,
    as_json: bool = _JSON,
) -> None:
    """Check claims against canon: supported, contradicted or unknown, with the deciding record.
    Exit 1 when any claim is contradicted."""
    from triforce.lore import ClaimChecker

    kb, scope = _kb(source)
    results = ClaimChecker(kb, scope).check_all(_claims(claims or [], file))
    if as_json:
        typer.echo(
            json.dumps(
                {"scope": scope, "results": [r.to_json() for r in results]}, indent=1, ensure_ascii=False
            )
        )
    else:
        table = Table(title=f"claims ({scope})")
        for col in ("claim", "status", "deciding record"):
            table.add_column(col, overflow="fold")
        colour = {"supported": "green", "contradicted": "red", "unknown": "yellow"}
        for r in results:
            c = r.claim
            rec = r.record
            table.add_row(
                f"{c.subject} | {c.relation} | {c.object}",
                f"[{colour[r.status]}]{r.status}[/] ({r.rule})",
                f"{rec.id}\n{rec.source}" if rec else r.reason,
            )
        _out.print(table)
    if any(r.status == "contradicted" for r in results):
        raise typer.Exit(1)


@app.command("ask")
def ask(
    subject: str = typer.Argument(..., help="What to ask about: a place, dungeon, item, character, flag..."),
    relation: str | None = typer.Argument(
        None, help="Only this relation (e.g. boss, prize, found_at, address)."
    ),
    source: Path | None = _SOURCE,
    as_json: bool = _JSON,
) -> None:
    """What the KB records about a subject, read every way (forwards, inverse, symmetric), with
    sources, and as a claims block an answer can carry."""
    from triforce.lore import Claim
    from triforce.lore.claims import say
    from triforce.lore.claimtext import render_claims
    from triforce.lore.names import slug
    from triforce.lore.schema import relations

    kb, scope = _kb(source)
    entity = kb.resolve(subject, scope)
    if entity is None:
        raise InputError(f"no entity named {subject!r} in the KB ({scope})")
    wanted = [slug(relation)] if relation else list(relations())
    if relation and slug(relation) not in relations():
        raise InputError(f"unknown relation {relation!r}; relations: {', '.join(relations())}")
    rows = []
    for rel in wanted:
        for value, recs in kb.values(entity.id, rel, scope).items():
            if recs[0].tier != "ambiguous":  # open points are listed on their own
                rows.append((rel, value, recs[0]))
    ambiguous = [r for r in kb.about(entity.id, scope) if r.tier == "ambiguous"]
    if as_json:
        payload = {
            "entity": {"id": entity.id, "name": entity.name, "kind": entity.kind, "scope": entity.scope},
            "facts": [
                {"relation": rel, "value": kb.name(v), "record": rec.to_json()} for rel, v, rec in rows
            ],
            "open_points": [r.to_json() for r in ambiguous],
        }
        typer.echo(json.dumps(payload, indent=1, ensure_ascii=False))
        return
    _out.print(f"[bold]{entity.name}[/] ({entity.kind}, {entity.scope})")
    for rel, value, rec in rows:
        _out.print(f"- {say(kb, entity.id, rel, value)}  [dim]{rec.source}[/]", highlight=False)
    for r in ambiguous:
        _out.print(
            f"- {r.relation.replace('_', ' ')}: left open on purpose  [dim]{r.source}[/]", highlight=False
        )
    if not rows and not ambiguous:
        _out.print("The KB records nothing about it for this question.")
        return
    claims = [
        Claim(entity.name, rel, v if isinstance(v, int) else kb.name(v), rec.id) for rel, v, rec in rows
    ]
    if claims:
        _out.print(render_claims(claims), highlight=False, markup=False)


@app.command("validate")
def validate_cmd(source: Path | None = _SOURCE, as_json: bool = _JSON) -> None:
    """Consistency of the KB (with --source: of a hack's documents with themselves, their code and
    the vanilla game). Exit 1 when there are problems."""
    from triforce.corpus.sources import resolve_source
    from triforce.lore import validate
    from triforce.lore.hack import is_oos_tree, read_oos

    if source is not None:
        source = resolve_source(source)
    if source is not None and is_oos_tree(source):
        docs = read_oos(source)
        problems = docs.problems()
        meta = {
            "scope": docs.scope,
            "files": docs.files,
            "skipped": docs.skipped,
            "passages": len(docs.passages),
        }
    else:
        kb, scope = _kb(source)
        problems = validate(kb, scope)
        meta = {"scope": scope}
    if as_json:
        typer.echo(
            json.dumps({**meta, "problems": [p.to_json() for p in problems]}, indent=1, ensure_ascii=False)
        )
    else:
        for p in problems:
            cites = "; ".join(sorted({r.source for r in p.records}))
            _out.print(
                f"[red]{p.rule}[/] {p.message}" + (f"\n    [dim]{cites}[/]" if cites else ""), highlight=False
            )
        _out.print(f"{len(problems)} problem(s) in scope {meta['scope']}")
    if problems:
        raise typer.Exit(1)
