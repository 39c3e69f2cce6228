"""`triforce text ...`: decode, encode, check and prove ALTTP messages (a thin layer over
triforce.text)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, cast

import typer
from rich.console import Console
from rich.markup import escape

from triforce.cli._tables import Table
from triforce.errors import InputError
from triforce.fsio import read_bytes_bounded
from triforce.text import MODES, Dictionary, LayoutRules, check_text, decode, encode
from triforce.text.audit import MessageAudit, audit_file
from triforce.text.codec import Mode
from triforce.text.dictionary import load_dictionary

app = typer.Typer(
    help="The ALTTP text engine: bytes <-> readable text, box layout, proof.", no_args_is_help=True
)
_out = Console()

_USDASM = typer.Option(None, "--usdasm", help="usdasm checkout: use the game's dictionary (bank_0E.asm).")
_DICT = typer.Option(None, "--dictionary", help="Your own dictionary: a YAML/JSON list of entries.")
_JSON = typer.Option(False, "--json", help="Machine-readable output.")
MAX_INPUT = 1024 * 1024


def _dictionary(usdasm: Path | None, dictionary: Path | None) -> Dictionary | None:
    if usdasm and dictionary:
        raise typer.BadParameter("give --usdasm or --dictionary, not both")
    path = usdasm or dictionary
    return load_dictionary(path) if path else None


def _text_arg(text: str) -> str:
    if text == "-":
        data = sys.stdin.read(MAX_INPUT + 1)
        if len(data) > MAX_INPUT:
            raise InputError(f"standard input: more than {MAX_INPUT} characters")
        return data.rstrip("\n")
    return text


def _hex_bytes(values: list[str], file: Path | None) -> bytes:
    if file is not None:
        return read_bytes_bounded(file, MAX_INPUT)
    text = " ".join(values)
    cleaned = re.sub(r"(\$|0x|,|\s)", "", text, flags=re.IGNORECASE)
    if not cleaned or len(cleaned) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", cleaned):
        raise InputError(f"not hex bytes: {text!r} (e.g. '6B 02 07 1E 7F' or '$6B,$02')")
    return bytes.fromhex(cleaned)


@app.command("decode")
def decode_cmd(
    data: list[str] = typer.Argument(None, help="Message bytes in hex ('6B 02 07 1E 25 25 28 7F')."),
    file: Path | None = typer.Option(None, "--file", help="Read the bytes from a binary file instead."),
    usdasm: Path | None = _USDASM,
    dictionary: Path | None = _DICT,
    newlines: bool = typer.Option(False, "--newlines", help="One box line per output line."),
    as_json: bool = _JSON,
) -> None:
    """Message bytes -> readable text ([D:..] references expanded when a dictionary is given)."""
    raw = _hex_bytes(data or [], file)
    text = decode(raw, _dictionary(usdasm, dictionary), newlines=newlines)
    if as_json:
        typer.echo(json.dumps({"text": text, "bytes": len(raw)}))
    else:
        typer.echo(text)


@app.command("encode")
def encode_cmd(
    text: str = typer.Argument(..., help="Message in the readable syntax, or - for standard input."),
    mode: str = typer.Option("greedy", "--mode", help=f"Compression: {', '.join(MODES)}."),
    usdasm: Path | None = _USDASM,
    dictionary: Path | None = _DICT,
    asm: bool = typer.Option(False, "--asm", help="Print asar `db` lines."),
    as_json: bool = _JSON,
) -> None:
    """Readable text -> message bytes ($7F included). Without a dictionary no references are made."""
    if mode not in MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(MODES)}")
    data = encode(_text_arg(text), _dictionary(usdasm, dictionary), cast(Mode, mode))
    if as_json:
        typer.echo(json.dumps({"hex": data.hex(" ").upper(), "bytes": len(data), "mode": mode}))
    elif asm:
        for i in range(0, len(data), 16):
            typer.echo("db " + ", ".join(f"${b:02X}" for b in data[i : i + 16]))
    else:
        typer.echo(data.hex(" ").upper())


def _rules(name_px: int, max_px: int) -> LayoutRules:
    return LayoutRules(max_px=max_px, name_px=name_px)


def _audit_json(a: MessageAudit) -> dict[str, Any]:
    return a.to_json()


@app.command("check")
def check_cmd(
    text: str | None = typer.Argument(
        None, help="A message in the readable syntax, or - for standard input."
    ),
    file: list[Path] = typer.Option(
        [], "--file", "-f", help="A yaze message bundle (.json) or message source (.asm)."
    ),
    usdasm: Path | None = _USDASM,
    dictionary: Path | None = _DICT,
    name_px: int = typer.Option(42, "--name-px", min=0, help="Width budget for the player's name ([L])."),
    max_px: int = typer.Option(168, "--max-px", min=8, help="Width of a box line."),
    as_json: bool = _JSON,
) -> None:
    """Lay a message out line by line: pixel width per line, rows, pauses, choices.

    Exit code 1 when any message has an error (warnings such as scrolled-unread do not count)."""
    if text is None and not file:
        raise typer.BadParameter("give a message or --file")
    rules = _rules(name_px, max_px)
    dic = _dictionary(usdasm, dictionary)
    if text is not None:
        layout = check_text(_text_arg(text), rules, dic)
        if as_json:
            typer.echo(json.dumps(layout.to_json(), indent=2))
        else:
            table = Table(title=f"layout ({rules.max_px} px lines, name {rules.name_px} px)")
            for col in ("line", "row", "pause", "px", "text"):
                table.add_column(col, overflow="fold")
            for ln in layout.lines:
                px = f"[red]{ln.px}[/]" if ln.px > rules.max_px else str(ln.px)
                table.add_row(str(ln.index + 1), str(ln.row + 1), str(ln.pause), px, escape(ln.text))
            _out.print(table)
            _print_problems([(p.severity, p.message) for p in layout.problems])
        if not layout.ok:
            raise typer.Exit(1)
        return
    audits: list[tuple[Path, MessageAudit]] = []
    for path in file:
        audits += [(path, a) for a in audit_file(path, dic, rules)]
    bad = [a for _, a in audits if a.error or (a.layout and not a.layout.ok)]
    if as_json:
        typer.echo(json.dumps([{"file": str(p), **_audit_json(a)} for p, a in audits], indent=2))
    else:
        table = Table(title=f"{len(audits)} messages, {len(bad)} with errors")
        for col in ("id", "where", "bytes", "max px", "problems"):
            table.add_column(col, overflow="fold")
        for _, a in audits:
            if not a.error and a.layout and a.layout.clean:
                continue
            probs = a.error or "; ".join(
                f"{p.code}" + (f" {p.px} px '{p.word}'" if p.px else "")
                for p in a.layout.problems  # type: ignore[union-attr]
            )
            table.add_row(
                f"${a.id:03X}",
                escape(a.source),
                str(a.size or "-"),
                str(a.layout.max_px if a.layout else "-"),
                escape(probs),
            )
        _out.print(table)
    if bad:
        raise typer.Exit(1)


def _print_problems(problems: list[tuple[str, str]]) -> None:
    if not problems:
        _out.print("[green]fits[/]: no problems")
    for severity, message in problems:
        colour = "red" if severity == "error" else "yellow"
        _out.print(f"[{colour}]{severity}[/]: {escape(message)}")


@app.command("prove")
def prove_cmd(
    usdasm: Path = typer.Option(
        ..., "--usdasm", help="A spannerisms/usdasm checkout (text.asm, bank_0E.asm)."
    ),
    name_px: int = typer.Option(42, "--name-px", min=0, help="Width budget for the player's name."),
    as_json: bool = _JSON,
) -> None:
    """Decode every vanilla message, re-encode it and match the game's bytes; compare the command
    length, width and glyph tables with the game's; lay out every line. Exit 1 unless all hold."""
    from triforce.text.proof import prove

    report = prove(usdasm, LayoutRules(name_px=name_px))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        n = report.messages
        rows = [
            ("messages found by the game's pointer walk", f"{n}"),
            ("  ... where the disassembly's labels are", f"{report.at_label}/{n}"),
            ("decoded", f"{report.decoded}/{n}"),
            ("readable text parses back to the same tokens", f"{report.text_roundtrip}/{n}"),
            ("re-encoded (greedy) byte-exact", f"{report.greedy_exact}/{n}"),
            ("optimal never longer", f"{report.optimal_not_longer}/{n}"),
            ("bytes: game / optimal", f"{report.bytes_game} / {report.bytes_optimal}"),
            ("dictionary entries", str(report.dictionary_entries)),
            ("command length table matches", _yes(report.command_lengths_match)),
            ("commands with an argument byte", ", ".join(report.arg_commands)),
            ("VWF width table matches (99)", _yes(report.widths_match)),
            ("annotated db lines whose glyphs agree", f"{report.glyph_lines_agree}/{report.glyph_lines}"),
            ("lines laid out / widest fixed text", f"{report.lines} / {report.max_fixed_px} px"),
        ]
        table = Table(title=f"text engine vs {usdasm}")
        table.add_column("check")
        table.add_column("result", overflow="fold")
        for k, v in rows:
            table.add_row(k, v)
        _out.print(table)
        for b in report.banks[:2]:
            _out.print(f"bank {b['bank']}: {b['messages']} messages, {b['used']}/{b['capacity']} bytes")
        for p in report.problems:
            _out.print(f"[yellow]{p['severity']}[/] {p['id']}: {escape(p['message'])}")
        for m in report.mismatches[:20]:
            _out.print(f"[red]mismatch[/] {escape(m)}")
    if not report.ok:
        raise typer.Exit(1)


def _yes(flag: bool) -> str:
    return "yes" if flag else "[red]no[/]"
