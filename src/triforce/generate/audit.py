"""Audit built ASM samples against the tree they came from: is what they teach true of the game?

`triforce dataset audit FILE --tree DIR` reads the tree (ROM order, call sites, constants) and
checks every sample for the defect classes of issue 11, each a static check a reader can repeat:

- fall-through: a routine that runs off its end into the next routine of the ROM is followed,
  in the sample's code, by something else (so the "verified" run went elsewhere);
- db-table-read: an absolute (DB-relative) read of a data table in the sample, run with DB in
  WRAM ($7E/$7F): the recorded run read WRAM, not the table;
- io-as-wram: an I/O register read through DB=$7E, or written up as WRAM (`$7E4218`);
- stub-immediate: an immediate built from a stub label (its value is where the stub went);
- width-contradicted: an optimize rewrite drops a REP/SEP that is only redundant under widths
  the routine's callers do not all pass;
- marker-leak: an address marker (`#_02B99F:`) left with nothing after it;
- hook-outside-free-space: a hook body placed with no `freecode`/`freespace` (or an `org` into a
  region the sample declares free), which in a real ROM overwrites the next routine;
- nondeterministic-read: evidence that depends on the beam counters, NMI/IRQ flags or joypads;
- no-purpose: a base/debug prompt or doc answer without a statement of purpose (or with an
  placeholder author's note in its place, see _NOTE_RE);
- dma-union: a doc answer for code that starts a DMA/HDMA transfer that does not state the
  transfer by its own parameters (channel, mode, B-bus register, A-bus address, size), so its
  memory and register lines are what random parameters reached, or that states a value for a
  parameter the code takes from the input (`size $0800` where the size comes from `$0E,X`).

Counts and rates are per class, over all samples and per generator.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.generate.asmtext import Stmt, immediate, label_name, parse
from triforce.generate.candidate import io_registers, is_io
from triforce.generate.dma import STARTS, register_of, started_channels, store_sources
from triforce.generate.widths import Width, track
from triforce.snes.opcodes import FLOW_ENDS

CLASSES: tuple[str, ...] = (
    "fall-through",
    "db-table-read",
    "io-as-wram",
    "stub-immediate",
    "width-contradicted",
    "marker-leak",
    "hook-outside-free-space",
    "nondeterministic-read",
    "no-purpose",
    "dma-union",
)
CODE_GENERATORS = frozenset({"base", "debug", "optimize", "hook", "doc"})
_TERMINATORS = FLOW_ENDS
_READS = frozenset(
    {"LDA", "LDX", "LDY", "ADC", "SBC", "AND", "ORA", "EOR", "CMP", "CPX", "CPY", "BIT", "TSB", "TRB"}
    | {"ASL", "LSR", "ROL", "ROR", "INC", "DEC"}
)
_MARKER_RE = re.compile(r"^#?_[0-9A-Fa-f]{6}:\s*(;.*)?$")
_LABEL_LINE_RE = re.compile(r"^([A-Za-z_][\w]*):")
_FENCE_RE = re.compile(r"```[a-z0-9]*\n(.*?)```", re.DOTALL)
_IO_AS_WRAM_RE = re.compile(
    r"\$7[EF](?:21[0-9A-F]{2}|401[67]|42[0-1][0-9A-F]|43[0-7][0-9A-F])\b", re.IGNORECASE
)
_CONST_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*\$([0-9A-Fa-f]+)\s*(?:;.*)?$")
_IDENT_RE = re.compile(r"[A-Za-z_][\w.]*")
_PLACEMENT_RE = re.compile(r"^\s*(freecode|freespace|freedata|org|pushpc|pullpc)\b(.*)$", re.IGNORECASE)
_NOTE_RE = re.compile(r"\b(TODO|FIXME|analy[sz]e this)\b", re.IGNORECASE)


@dataclass
class TreeFacts:
    """What the audit needs to know about the tree: ROM order, call-site widths, constants."""

    successor: dict[str, str] = field(default_factory=dict)  # falls-through routine -> next routine
    sublabels: dict[str, frozenset[str]] = field(default_factory=dict)
    caller_widths: dict[str, list[Width]] = field(default_factory=dict)  # routine -> width per call site
    declared: dict[str, Width] = field(default_factory=dict)  # routine -> its `@entry` tag
    constants: dict[str, int] = field(default_factory=dict)
    routines: int = 0


_TOP_LABEL_RE = re.compile(r"^([A-Za-z_]\w*):")


@functools.cache
def label_successors(root: Path) -> dict[str, str]:
    """For each top-level label of the tree's sources, the next top-level label of the same file:
    where code that runs off the end of the first goes in the ROM. A name defined twice (in two
    namespaces) is left out: which one follows is not known from the name."""
    out: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for path in sorted(root.rglob("*.asm")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names = [m.group(1) for m in map(_TOP_LABEL_RE.match, text.splitlines()) if m]
        names = [n for n in names if not re.fullmatch(r"_[0-9A-Fa-f]{6}", n)]
        seen.update(names)
        for a, b in itertools.pairwise(names):
            out.setdefault(a, b)
    return {a: b for a, b in out.items() if seen[a] == 1}


def tree_facts(tree: Path, routines: Iterable[Any]) -> TreeFacts:
    """The facts of a tree read by the corpus reader (`routines`), plus the labels and constants
    (`NAME = $x`) its files define."""
    facts = TreeFacts()
    items = sorted(routines, key=lambda r: (str(r.file), r.line_start))
    facts.routines = len(items)
    facts.successor = dict(label_successors(tree.resolve()))
    for r in items:
        facts.sublabels.setdefault(r.name, frozenset(r.sublabels))
        facts.sublabels.setdefault(r.qualified_name, frozenset(r.sublabels))
        if r.entry_width.source == "tag":
            facts.declared.setdefault(r.name, (r.entry_width.m, r.entry_width.x))
        stmts = parse(r.body)
        widths = track(stmts, r.entry_width.m, r.entry_width.x, entry_label=r.name)
        for s, w in zip(stmts, widths, strict=True):
            if s.kind == "insn" and s.mnemonic in ("JSR", "JSL") and not s.operand.startswith("("):
                facts.caller_widths.setdefault(s.operand.strip(), []).append(w)
    for path in sorted(tree.rglob("*.asm")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            m = _CONST_RE.match(line)
            if m:
                facts.constants.setdefault(m.group(1), int(m.group(2), 16))
    return facts


def agreed_width(sites: list[Width]) -> Width:
    """The (m, x) every call site passes, each None when a site does not know it or sites differ."""
    if not sites:
        return None, None
    ms = {m for m, _ in sites}
    xs = {x for _, x in sites}
    return (ms.pop() if len(ms) == 1 else None), (xs.pop() if len(xs) == 1 else None)


# -- per-class checks -------------------------------------------------------------------------


def _code(sample: dict[str, Any]) -> str:
    return str(((sample.get("meta") or {}).get("exec") or {}).get("code") or "")


def _message(sample: dict[str, Any], role: str) -> str:
    return "\n".join(str(m.get("content", "")) for m in sample.get("messages", []) if m.get("role") == role)


def _is_top_label(st: Stmt) -> bool:
    name = label_name(st)
    return (
        st.kind == "label"
        and not st.text.startswith(("#", ".", "+", "-", "?"))
        and not re.fullmatch(r"_[0-9A-Fa-f]{6}", name)
    )


def _in_place(sample: dict[str, Any]) -> bool:
    """Whether the sample's evidence was recorded in place in the whole-tree game image."""
    return bool(((sample.get("meta") or {}).get("exec") or {}).get("image"))


def fall_through_wrong(code: str, successor: dict[str, str]) -> list[str]:
    """Blocks of the sample's code that run off their end into something other than what follows
    them in the tree's sources (`successor`, from `label_successors`)."""
    stmts = parse(code)
    tops = [i for i, st in enumerate(stmts) if _is_top_label(st)]
    wrong = []
    for k, i in enumerate(tops):
        end = tops[k + 1] if k + 1 < len(tops) else len(stmts)
        body = [st for st in stmts[i + 1 : end] if st.kind not in ("blank", "brace", "marker", "label")]
        if not body or body[-1].kind != "insn" or body[-1].mnemonic in _TERMINATORS:
            continue
        name = label_name(stmts[i])
        succ = successor.get(name)
        if succ is None:
            continue
        nxt = label_name(stmts[end]) if end < len(stmts) else None
        if nxt != succ:
            wrong.append(f"{name} falls into {nxt or 'the end of the code'}, the ROM has {succ}")
    return wrong


def _operand_base(s: Stmt) -> str:
    op = s.operand.strip()
    if op.startswith(("#", "(", "[")):
        return ""
    return op.split(",", 1)[0].strip()


def _value(text: str, constants: dict[str, int]) -> tuple[int, int] | None:
    """(value, hex digits) of a literal, or of a tree constant (counted as a long address)."""
    t = text.strip()
    if t.startswith("$") and re.fullmatch(r"\$[0-9A-Fa-f]+", t):
        return int(t[1:], 16), len(t) - 1
    if t in constants:
        return constants[t], 6
    reg = io_registers().get(t)
    if reg is not None:
        return int(reg["address"]), 6
    return None


def _data_labels(stmts: list[Stmt]) -> set[str]:
    out: set[str] = set()
    for i, s in enumerate(stmts):
        if s.kind != "label":
            continue
        for t in stmts[i + 1 :]:
            if t.kind in ("blank", "marker", "label"):
                continue
            if t.kind == "other" and t.text.split()[0].lower() in ("db", "dw", "dl", "dd"):
                out.add(label_name(s))
            break
    return out


def _states_db(sample: dict[str, Any]) -> set[int]:
    states = ((sample.get("meta") or {}).get("exec") or {}).get("states") or []
    return {int(st["initial"].get("db", 0)) for st in states if isinstance(st, dict) and "initial" in st}


def db_relative_reads(code: str, dbs: set[int], facts: TreeFacts) -> tuple[list[str], list[str]]:
    """(table reads through a WRAM DB, I/O registers read through a WRAM DB) in the code."""
    if not dbs & {0x7E, 0x7F}:
        return [], []
    stmts = parse(code)
    data = _data_labels(stmts)
    tables: list[str] = []
    io: list[str] = []
    for s in stmts:
        if s.kind != "insn":
            continue
        if s.mnemonic in ("PLB", "MVN", "MVP"):
            break  # DB is set by the code itself from here on
        if s.mnemonic not in _READS or s.suffix == ".l":
            continue
        base = _operand_base(s)
        if not base:
            continue
        if base in data:
            tables.append(s.text)
            continue
        v = _value(base, facts.constants)
        if v is not None and v[1] <= 4 and is_io(v[0]):
            io.append(s.text)
    return tables, io


def stub_immediates(code: str, stubs: Iterable[str]) -> list[str]:
    names = set(stubs)
    if not names:
        return []
    out = []
    for s in parse(code):
        if (
            s.kind == "insn"
            and s.operand.startswith("#")
            and any(tok in names for tok in _IDENT_RE.findall(s.operand[1:]))
        ):
            out.append(s.text)
    return out


def nondeterministic_reads(code: str, facts: TreeFacts) -> list[str]:
    regs = io_registers()
    nondet = {int(v["address"]) for v in regs.values() if v.get("nondeterministic")}
    out = []
    for s in parse(code):
        if s.kind != "insn" or s.mnemonic not in _READS:
            continue
        base = _operand_base(s)
        if not base:
            continue
        v = _value(base, facts.constants)
        addr = v[0] if v is not None else None
        if addr is not None and is_io(addr) and (addr & 0xFFFF) in nondet:
            out.append(s.text)
    return out


def marker_leaks(sample: dict[str, Any]) -> list[str]:
    texts = [str(m.get("content", "")) for m in sample.get("messages", [])]
    meta = sample.get("meta") or {}
    texts += [str(meta.get("buggy") or ""), str(meta.get("slow") or ""), _code(sample)]
    out = []
    for text in texts:
        blocks = _FENCE_RE.findall(text) if "```" in text else [text]
        for block in blocks:
            lines = [ln.rstrip() for ln in block.splitlines()]
            for i, ln in enumerate(lines):
                if not _MARKER_RE.match(ln.strip()):
                    continue
                nxt = next(
                    (n.strip() for n in lines[i + 1 :] if n.strip() and not n.strip().startswith(";")), ""
                )
                if not nxt or _MARKER_RE.match(nxt) or _LABEL_LINE_RE.match(nxt):
                    out.append(ln.strip())
    return out


def hook_outside_free_space(sample: dict[str, Any]) -> bool:
    """True when the hook body (the target of the patch's JSL) is not placed in free space."""
    code = _code(sample)
    lines = code.splitlines()
    targets: set[str] = set()
    depth = 0
    for ln in lines:
        m = _PLACEMENT_RE.match(ln)
        if m and m.group(1).lower() == "pushpc":
            depth += 1
        elif m and m.group(1).lower() == "pullpc":
            depth -= 1
        elif depth > 0:
            jsl = re.match(r"^\s*(?:autoclean\s+)?JSL(?:\.l)?\s+([A-Za-z_]\w*)", ln, re.IGNORECASE)
            if jsl:
                targets.add(jsl.group(1))
    if not targets:
        return True
    free = set((sample.get("meta") or {}).get("free_regions") or [])
    for target in targets:
        at = next((i for i, ln in enumerate(lines) if ln.startswith(f"{target}:")), None)
        if at is None:
            return True
        placed = False
        for ln in reversed(lines[:at]):
            m = _PLACEMENT_RE.match(ln)
            if not m:
                continue
            kind = m.group(1).lower()
            if kind in ("freecode", "freespace", "freedata"):
                placed = True
            elif kind == "org":
                placed = m.group(2).strip() in free
            break
        if not placed:
            return True
    return False


def width_contradicted(sample: dict[str, Any], facts: TreeFacts) -> list[str]:
    """REP/SEPs an optimize sample drops that are not redundant under its callers' widths."""
    meta = sample.get("meta") or {}
    slow, fast = str(meta.get("slow") or ""), _code(sample)
    name = str((meta.get("exec") or {}).get("entry") or "")
    # Address markers no code of the sample refers to (`#_1DCFAE:`) are no join point: widths
    # run on through them, as the optimizer tracked them (see context.marker_labels).
    markers = _unreferenced_markers(slow)
    a, b = parse(slow, markers), parse(fast, markers)
    sites = facts.caller_widths.get(name, [])
    # The call sites decide; with none in the tree, only a declared `@entry` contract does.
    m0, x0 = agreed_width(sites) if sites else facts.declared.get(name, (None, None))
    widths = track(a, m0, x0, entry_label=name)
    out = []
    sm = difflib.SequenceMatcher(a=[s.text for s in a], b=[s.text for s in b], autojunk=False)
    for tag, i1, i2, _, _ in sm.get_opcodes():
        if tag not in ("delete", "replace"):
            continue
        for i in range(i1, i2):
            s = a[i]
            v = immediate(s)
            if s.mnemonic not in ("REP", "SEP") or v is None:
                continue
            size = 16 if s.mnemonic == "REP" else 8
            j = i  # of a run of identical lines, the one dropped is the last (the redundant one)
            while j + 1 < len(a) and a[j + 1].text == s.text:
                j += 1
            m, x = widths[j]
            if (v & 0x20 and m != size) or (v & 0x10 and x != size):
                out.append(f"{s.text} (callers pass m{m or '?'} x{x or '?'})")
    return out


def _unreferenced_markers(code: str) -> frozenset[str]:
    stmts = parse(code)
    defined = {label_name(s) for s in stmts if s.kind == "label" and s.text.startswith("#")}
    used = {n for s in stmts if s.kind != "label" for n in _IDENT_RE.findall(s.text)}
    return frozenset(defined - used)


def purpose_missing(sample: dict[str, Any]) -> bool:
    gen = (sample.get("meta") or {}).get("generator")
    if gen in ("base", "debug"):
        text = _message(sample, "user")
    elif gen == "doc":
        text = _message(sample, "assistant")
    else:
        return False
    line = next((ln for ln in text.splitlines() if re.match(r"Purpose\b[^:]*:\s*\S", ln)), None)
    return line is None or bool(_NOTE_RE.search(line))


# A value stated for a parameter, by the words `dma.dma_lines` writes before it.
_DMA_VALUE_RE = {
    "DMAP": re.compile(r"DMAP \$"),
    "BBAD": re.compile(r"B-bus [A-Z0-9]* ?\$21"),
    "A1TL": re.compile(r"(?:A-bus|table) (?:\$[0-9A-F]{6}|address \$)"),
    "A1B": re.compile(r"(?:A-bus|table) (?:\$[0-9A-F]{6}|bank \$)"),
    "DASL": re.compile(r"size \$"),
}
_DMA_LINE_RE = re.compile(r"^- (H?DMA) (?:channel (\d)|a channel)", re.MULTILINE)


def dma_union(sample: dict[str, Any]) -> list[str]:
    """What shows that a doc answer does not state the code's DMA/HDMA transfers by their own
    parameters: a started channel with no line of its own (its memory and register lines are then
    the union of what the runs' random parameters reached), or a value stated for a parameter the
    code stores from the input."""
    meta = sample.get("meta") or {}
    code = _code(sample)
    if meta.get("generator") != "doc" or not code:
        return []
    starts = started_channels(code)
    touched = set((meta.get("facts") or {}).get("mmio") or [])
    answer = _message(sample, "assistant")
    lines = {(m.group(1), m.group(2)): m for m in _DMA_LINE_RE.finditer(answer)}
    out: list[str] = []
    for reg, mask in starts:
        if reg not in touched:
            continue  # no run reached the start: no transfer to state
        kind = "HDMA" if reg == 0x420C else "DMA"
        channels = [str(c) for c in range(8) if mask is not None and mask & (1 << c)]
        if not any(k == kind for k, _ in lines):
            out.append(f"starts {kind} ({STARTS[reg]} ${reg:04X}) but no {kind} line states its parameters")
        for c in channels:
            if (kind, c) not in lines and (kind, None) not in lines:
                out.append(f"{kind} channel {c} is started but not stated")
    sources = store_sources(code)
    for (kind, ch), m in lines.items():
        if ch is None:
            continue
        end = answer.find("\n", m.start())
        line = answer[m.start() : end if end >= 0 else None]
        for name, pattern in _DMA_VALUE_RE.items():
            src = sources.get(register_of(name, int(ch)))
            if src is not None and src.kind != "imm" and pattern.search(line):
                out.append(f"{kind} channel {ch}: a {name} value is stated, the code takes it {src.text()}")
    return out


def audit_sample(sample: dict[str, Any], facts: TreeFacts) -> dict[str, list[str]]:
    """Each defect class the sample has, with what shows it."""
    meta = sample.get("meta") or {}
    gen = meta.get("generator")
    found: dict[str, list[str]] = {}
    code = _code(sample)
    if gen not in CODE_GENERATORS or not code:
        return found

    def add(cls: str, what: list[str]) -> None:
        if what:
            found[cls] = what

    if not _in_place(sample):  # run in place, it ran into what the ROM has after it
        add("fall-through", fall_through_wrong(code, facts.successor))
    tables, io = db_relative_reads(code, _states_db(sample), facts)
    add("db-table-read", tables)
    io += [
        m.group(0)
        for text in (_message(sample, "user"), _message(sample, "assistant"))
        for m in _IO_AS_WRAM_RE.finditer(text)
    ]
    add("io-as-wram", io)
    add("stub-immediate", stub_immediates(code, (meta.get("exec") or {}).get("stubs") or {}))
    if gen == "optimize" and str(meta.get("rewrite", "")) in ("redundant-width", "cancel-width"):
        add("width-contradicted", width_contradicted(sample, facts))
    add("marker-leak", marker_leaks(sample))
    if gen == "hook" and hook_outside_free_space(sample):
        found["hook-outside-free-space"] = ["hook body not in free space"]
    add("nondeterministic-read", nondeterministic_reads(code, facts))
    if purpose_missing(sample):
        found["no-purpose"] = ["no statement of purpose"]
    add("dma-union", dma_union(sample))
    return found


# The classes a build can check from the sample alone (no tree-wide facts: ROM order, callers).
SHIPPING_CLASSES = (
    "db-table-read",
    "io-as-wram",
    "stub-immediate",
    "marker-leak",
    "hook-outside-free-space",
    "dma-union",
)
_NO_TREE = TreeFacts()


def shipping_defects(sample: dict[str, Any], root: Path | None = None) -> dict[str, list[str]]:
    """The defects a build refuses to ship: those of `SHIPPING_CLASSES`, nondeterministic reads
    (evidence that depends on the beam position, NMI/IRQ flags or joypads is not proof) and,
    when the tree's `root` is known, code that falls through into something the ROM does not
    have there."""
    found = audit_sample(sample, _NO_TREE)
    keep = {k: v for k, v in found.items() if k in SHIPPING_CLASSES or k == "nondeterministic-read"}
    if root is not None and root.is_dir() and not _in_place(sample):
        wrong = fall_through_wrong(_code(sample), label_successors(root.resolve()))
        if wrong:
            keep["fall-through"] = wrong
    return keep


@dataclass
class AuditReport:
    samples: int = 0
    audited: int = 0  # code samples with exec evidence
    by_class: Counter[str] = field(default_factory=Counter)
    by_generator: dict[str, Counter[str]] = field(default_factory=dict)
    audited_by_generator: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    defective: int = 0

    def to_json(self) -> dict[str, Any]:
        def rate(n: int, d: int) -> float:
            return round(n / d, 4) if d else 0.0

        return {
            "samples": self.samples,
            "audited": self.audited,
            "defective": self.defective,
            "defective_rate": rate(self.defective, self.audited),
            "classes": {
                c: {"count": self.by_class[c], "rate": rate(self.by_class[c], self.audited)} for c in CLASSES
            },
            "by_generator": {
                g: {
                    "audited": self.audited_by_generator[g],
                    **{c: self.by_generator[g][c] for c in CLASSES if self.by_generator[g][c]},
                }
                for g in sorted(self.audited_by_generator)
            },
            "examples": self.examples,
        }


def audit(samples: Iterable[dict[str, Any]], facts: TreeFacts, examples: int = 3) -> AuditReport:
    report = AuditReport()
    for s in samples:
        report.samples += 1
        meta = s.get("meta") or {}
        gen = str(meta.get("generator") or "")
        if gen not in CODE_GENERATORS or not _code(s):
            continue
        report.audited += 1
        report.audited_by_generator[gen] += 1
        found = audit_sample(s, facts)
        if found:
            report.defective += 1
        per = report.by_generator.setdefault(gen, Counter())
        for cls, what in found.items():
            report.by_class[cls] += 1
            per[cls] += 1
            ex = report.examples.setdefault(cls, [])
            if len(ex) < examples:
                ex.append({"routine": meta.get("routine"), "generator": gen, "evidence": what[:3]})
    for g in report.audited_by_generator:
        report.by_generator.setdefault(g, Counter())
    return report


def facts_for_tree(tree: Path) -> TreeFacts:
    """Read the tree the samples were built from (the corpus reader) into the audit's facts."""
    from triforce.corpus import read_corpus
    from triforce.errors import InputError

    if not tree.is_dir():
        raise InputError(f"{tree}: --tree must be the source tree directory the samples were built from")
    corpus = read_corpus([tree], name=tree.name)
    return tree_facts(tree, corpus.routines)
