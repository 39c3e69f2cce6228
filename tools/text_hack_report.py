"""Write the text-box audit of a hack's dialogue (Oracle of Secrets) as a Markdown report.

    PYTHONPATH=src python tools/text_hack_report.py --usdasm /path/to/usdasm \
        --tree /path/to/Oracle-of-Secrets --out docs/text-oos-report.md

Only ids, widths, line numbers and the one word that crosses the edge of the box are written:
no script text beyond what identifies the line.
"""

from __future__ import annotations

import argparse
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

from triforce.fsio import write_text_atomic
from triforce.text import LayoutRules, TextBank, pack, usdasm
from triforce.text.audit import GENERATED_ASM, MessageAudit, audit_tree
from triforce.text.codec import compress, expand, to_bytes

# Oracle of Secrets' expanded message data (Core/message.asm: `org $2F8026`, asserted <= $2FFE00)
EXPANDED_BANK = TextBank("$2F:8026", 0x2F8026, 0x2FFE00)


def _commit(tree: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def _overflows(a: MessageAudit) -> list[tuple[int, int, str]]:
    if not a.layout:
        return []
    return [((p.line or 0) + 1, p.px or 0, p.word or "") for p in a.layout.problems if p.code == "overflow"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--usdasm", type=Path, required=True)
    ap.add_argument("--tree", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--name-px", type=int, default=42)
    args = ap.parse_args()
    rules = LayoutRules(name_px=args.name_px)
    dictionary = usdasm.read_dictionary(args.usdasm)
    report = audit_tree(args.tree, dictionary, rules)
    shipped = report.files.get(GENERATED_ASM, [])
    shipped_bytes = {a.id: to_bytes(a.tokens) for a in shipped if not a.error}

    lines = [
        "# Oracle of Secrets: text box audit",
        "",
        f"Generated {date.today().isoformat()} by `tools/text_hack_report.py` from Oracle of Secrets "
        f"`{_commit(args.tree)}` with the vanilla dictionary of usdasm `{_commit(args.usdasm)}`. "
        f"Rules: a box line holds {rules.max_px} px (21 tiles); the player's name counts "
        f"{rules.name_px} px (6 letters of up to 7 px); the vanilla renderer's rows, `[V]` scroll "
        "and pauses (`triforce.text.layout`). Rerun it with the command at the top of the script; "
        "check one bundle with `triforce text check -f FILE --usdasm DIR`.",
        "",
        "For comparison, the 397 vanilla messages (`triforce text prove --usdasm DIR`): 2,017 lines, one at "
        "169 px ($01D line 4, where only the last glyph's spacing column passes 168 px), one "
        "`scrolled-unread` ($018, a deliberate `[...]` beat).",
        "",
        "## Summary",
        "",
        "| file | messages | with an overflow | widest line | scrolled-unread | overwrite | other errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, audits in report.files.items():
        codes = Counter(p.code for a in audits if a.layout for p in a.layout.problems)
        over = sum(1 for a in audits if _overflows(a))
        widest = max((a.layout.max_px for a in audits if a.layout), default=0)
        other = sum(n for c, n in codes.items() if c not in ("overflow", "scrolled-unread", "overwrite"))
        other += sum(1 for a in audits if a.error)
        lines.append(
            f"| `{name}` | {len(audits)} | {over} | {widest} px | {codes['scrolled-unread']} | "
            f"{codes['overwrite']} | {other} |"
        )
    cross = report.bundle_vs_asm
    if cross:
        sizes = [len(shipped_bytes[a.id]) for a in shipped if a.id in shipped_bytes]
        optimal = sum(
            len(to_bytes(compress(expand(a.tokens, dictionary), dictionary, "optimal")))
            for a in shipped
            if not a.error
        )
        packed = pack(sizes, (EXPANDED_BANK,))
        used = packed.banks[0].used
        lines += [
            "",
            f"`expanded_messages.json` against the generated `{GENERATED_ASM}`: {cross['same_bytes']}/"
            f"{cross['messages']} messages encode to the same bytes with `triforce.text` (the text as "
            f"written, `[D:..]` kept); {cross['greedy_canonical']}/{cross['messages']} are the game's greedy "
            f"canonical encoding (yaze's dictionary optimizer chooses differently). The shipped messages "
            f"take {sum(sizes)} bytes; `--mode optimal` would take {optimal}. Expanded bank "
            f"{EXPANDED_BANK.name}-$2F:FDFF: {used}/{EXPANDED_BANK.capacity} bytes used with the final $FF.",
        ]
    lines += [
        "",
        "## Lines wider than the box",
        "",
        "What ships (`Core/Generated/expanded_messages.asm`), then bundle messages that are not in it "
        "or differ from it. `line` counts the lines the message writes (each `[1]`-`[3]`/`[V]` starts one); "
        "`word` is the word whose last glyph passes the edge.",
        "",
        "| id | where | line | px | over by | word |",
        "|---|---|---:|---:|---:|---|",
    ]
    seen: set[int] = set()
    ordered = [(GENERATED_ASM, a) for a in shipped] + [(f, a) for f, a in report.all() if f != GENERATED_ASM]
    for name, a in ordered:
        if name != GENERATED_ASM:
            if a.id in shipped_bytes and not a.error and to_bytes(a.tokens) == shipped_bytes[a.id]:
                continue
            if a.id in seen and name.endswith("expanded_messages.json"):
                continue
        for line_no, px, word in _overflows(a):
            where = a.source if name == GENERATED_ASM else f"{Path(name).name} {a.source.split(' ', 1)[1]}"
            lines.append(f"| ${a.id:03X} | `{where}` | {line_no} | {px} | {px - rules.max_px} | `{word}` |")
        seen.add(a.id)
    lines += [
        "",
        "## Lines scrolled away unread, text left under new text",
        "",
        "`scrolled-unread`: a `[V]` pushes a line out of the top of the box before any key press "
        "(using `[V]` as a line break loses the line above it). `overwrite`: a line is written on a row "
        "whose earlier text reaches further right, so the end of the old text stays visible.",
        "",
        "| id | where | problems (line numbers) |",
        "|---|---|---|",
    ]
    for name, a in ordered:
        if not a.layout or (
            name != GENERATED_ASM and a.id in shipped_bytes and to_bytes(a.tokens) == shipped_bytes[a.id]
        ):
            continue
        found = [
            f"{p.code} {(p.line or 0) + 1}"
            for p in a.layout.problems
            if p.code in ("scrolled-unread", "overwrite")
        ]
        if found:
            where = a.source if name == GENERATED_ASM else f"{Path(name).name} {a.source.split(' ', 1)[1]}"
            lines.append(f"| ${a.id:03X} | `{where}` | {', '.join(found)} |")
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
