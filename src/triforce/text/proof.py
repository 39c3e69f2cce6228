"""`triforce text prove`: the text engine checked against the game's own data in usdasm.

For every one of the 397 messages: the pointer walk finds it where the disassembly's label
says, it decodes, its readable text parses back to the same tokens, and re-encoding that text
with the game's dictionary (greedy, the canonical form) gives the game's bytes exactly. The
optimal mode is never longer. The command length table, the width table and the glyph of
every character usdasm annotates are compared with `commands.py` and `charset.py`. The layout
checker runs over every line; the bank use is reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.text import charset, commands, usdasm
from triforce.text.banks import VANILLA_BANKS, pack
from triforce.text.codec import TextDecodeError, compress, expand, from_bytes, to_bytes
from triforce.text.dictionary import Dictionary
from triforce.text.layout import LayoutRules, check
from triforce.text.tokens import Token, format_tokens, parse

# usdasm's comment glyphs where they differ from the readable syntax
_USDASM_GLYPHS = {
    charset.SPACE: "⎵",
    0x43: "…",
    0x47: "☥",
    0x48: "𓈗",
    0x49: "Ƨ",
    0x4A: "😬",
    0x4B: "",
    0x4D: "↑",
    0x4E: "↓",
    0x4F: "←",
    0x50: "→",
    **dict.fromkeys(range(0x52, 0x59), "♥"),
    0x5B: "Ⓐ",
    0x5C: "Ⓑ",
    0x5D: "ⓧ",
    0x5E: "ⓨ",
}


@dataclass
class ProofReport:
    usdasm: str
    messages: int = 0
    at_label: int = 0  # pointer walk start == Message_XXXX label
    decoded: int = 0
    text_roundtrip: int = 0  # readable text parses back to the same tokens
    greedy_exact: int = 0  # decode -> text -> greedy encode == the game's bytes
    mismatches: list[str] = field(default_factory=list)
    optimal_not_longer: int = 0
    bytes_game: int = 0
    bytes_optimal: int = 0
    dictionary_entries: int = 0
    command_lengths_match: bool = False
    command_length_diffs: list[str] = field(default_factory=list)
    arg_commands: list[str] = field(default_factory=list)
    widths_match: bool = False
    width_diffs: list[str] = field(default_factory=list)
    glyph_lines: int = 0
    glyph_lines_agree: int = 0
    glyph_mismatches: list[str] = field(default_factory=list)
    lines: int = 0
    max_fixed_px: int = 0
    name_px: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    banks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        n = self.messages
        return (
            n > 0
            and self.at_label == self.decoded == self.text_roundtrip == self.greedy_exact == n
            and self.optimal_not_longer == n
            and self.command_lengths_match
            and self.widths_match
            and self.glyph_lines_agree == self.glyph_lines
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _usdasm_text(tokens: list[Token], dictionary: Dictionary) -> str | None:
    """How usdasm's comment writes these tokens; None when the line is a command line."""
    parts: list[str] = []
    for tok in tokens:
        if tok.kind == "char":
            parts.append(_USDASM_GLYPHS.get(tok.value, charset.glyph_text(tok.value)))
        elif tok.kind == "dict":
            entry = format_tokens(expand([tok], dictionary))
            parts.append(f"[{entry}]")
        elif tok.value == 0x6A:
            parts.append("[LINK]")
        elif tok.value == 0x6C:
            parts.append(f"[#{tok.arg}]")
        else:
            return None
    return "".join(parts)


def _glyph_check(root: Path, dictionary: Dictionary, report: ProofReport) -> None:
    from triforce.text.asmdata import read_listing

    for dl in read_listing(root / "text.asm").lines:
        values = [int(v[1:], 16) for v in dl.values if v.startswith("$")]
        if len(values) != len(dl.values) or any(
            v in (commands.END, commands.BANK_SWITCH, 0xFF) for v in values
        ):
            continue
        try:
            tokens, _ = from_bytes(bytes([*values, commands.END]))
        except TextDecodeError:
            continue
        ours = _usdasm_text(tokens, dictionary)
        if ours is None:
            continue
        report.glyph_lines += 1
        if ours == dl.comment.strip():
            report.glyph_lines_agree += 1
        elif len(report.glyph_mismatches) < 20:
            report.glyph_mismatches.append(
                f"text.asm:{dl.line}: ours {ours!r}, usdasm {dl.comment.strip()!r}"
            )


def prove(root: Path, rules: LayoutRules | None = None) -> ProofReport:
    """Check the text engine against a usdasm checkout (InputError when files are missing)."""
    root = Path(root)
    rules = rules or LayoutRules()
    report = ProofReport(str(root), name_px=rules.name_px)
    listing = usdasm.bank0e(root)
    game_lengths = usdasm.read_command_lengths(root, listing)
    ours = commands.length_table()
    report.command_length_diffs = [
        f"${c:02X}: game {game_lengths[c]}, ours {ours[c]}"
        for c in sorted(ours)
        if game_lengths[c] != ours[c]
    ]
    report.command_lengths_match = not report.command_length_diffs
    report.arg_commands = [
        f"${c:02X} [{commands.BY_CODE[c].token}]" for c in sorted(ours) if game_lengths[c] == 2
    ]
    game_widths = usdasm.read_widths(root, listing)
    our_widths = [charset.width(c) for c in range(len(game_widths))]
    report.width_diffs = [
        f"${c:02X}: game {g}, ours {o}"
        for c, (g, o) in enumerate(zip(game_widths, our_widths, strict=True))
        if g != o
    ]
    report.widths_match = len(game_widths) == 99 and not report.width_diffs
    dictionary = usdasm.read_dictionary(root, listing)
    report.dictionary_entries = len(dictionary)
    game = usdasm.read_messages(root, game_lengths)
    report.messages = len(game.messages)
    sizes: list[int] = []
    for m in game.messages:
        report.at_label += m.address == m.label_address
        try:
            tokens, end = from_bytes(m.data)
        except (TextDecodeError, InputError) as exc:
            report.mismatches.append(f"${m.id:03X}: does not decode: {exc}")
            continue
        if end != len(m.data):
            report.mismatches.append(f"${m.id:03X}: bytes after its end")
            continue
        report.decoded += 1
        plain = expand(tokens, dictionary)
        text = format_tokens(plain)
        again = parse(text)
        report.text_roundtrip += again == plain
        greedy = to_bytes(compress(again, dictionary, "greedy"))
        if greedy == m.data:
            report.greedy_exact += 1
        else:
            report.mismatches.append(f"${m.id:03X}: greedy {greedy.hex()} != game {m.data.hex()}")
        optimal = to_bytes(compress(again, dictionary, "optimal"))
        report.optimal_not_longer += len(optimal) <= len(m.data)
        report.bytes_game += len(m.data)
        report.bytes_optimal += len(optimal)
        sizes.append(len(m.data))
        layout = check(plain, rules)
        report.lines += len(layout.lines)
        report.max_fixed_px = max([report.max_fixed_px, *(ln.fixed_px for ln in layout.lines)])
        for p in layout.problems:
            report.problems.append({"id": f"${m.id:03X}", **p.to_json()})
    _glyph_check(root, dictionary, report)
    # What the game uses, from the addresses, and whether our packer fits the same messages.
    first, second = VANILLA_BANKS
    split = next(
        (i for i, m in enumerate(game.messages) if m.address >> 16 == second.start >> 16), len(game.messages)
    )
    used_first = (game.bank_switch_at or first.start) - first.start + 1
    last = game.messages[-1]
    used_second = last.address + len(last.data) - second.start + 1
    report.banks = [
        {"bank": first.name, "messages": split, "used": used_first, "capacity": first.capacity},
        {
            "bank": second.name,
            "messages": len(game.messages) - split,
            "used": used_second,
            "capacity": second.capacity,
        },
        {"bank": "packed in order (ours)", **pack(sizes).to_json()},
    ]
    return report
