"""optimize: catalogued rewrites, kept only when differential execution proves them equivalent.

Each rewrite is tried forwards (the routine has the slow form: the answer is the rewritten
routine) and, where the catalogue allows, backwards (the routine already has the fast form: the
question shows a slowed copy and the answer is the original). Either way the two texts must
behave identically on every test state (all register bits, every flag, DB, D, S and every live
memory byte), and the fast one must be no larger and never slower. Savings are measured:
bytes from asar's output, cycles from the CPU runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from triforce.generate.asmtext import (
    Stmt,
    delete,
    immediate,
    insn_indices,
    next_insn,
    parse,
    plain_address,
    render,
)
from triforce.generate.candidate import (
    Candidate,
    answer_hex,
    call_text,
    catalog,
    fence,
    make_sample,
    proven,
    width_text,
)
from triforce.generate.context import Context, Reject
from triforce.generate.execution import differences, exec_record, first_error, limits_against, run_states
from triforce.generate.widths import Width, imm_text, track
from triforce.sample import Sample

MAX_SITES = 2
Edit = tuple[list[Stmt], dict[str, Any]]
_STZ_OK = (",x", "")  # STZ has dp, dp,x, abs, abs,x only
_IO_LOW, _IO_HIGH = 0x2100, 0x43FF


def _ins(text: str) -> Stmt:
    return parse("    " + text)[0]


def _is_io(s: Stmt) -> bool:
    a = plain_address(s)
    return a is not None and _IO_LOW <= (a[0] & 0xFFFF) <= _IO_HIGH and (a[0] >> 16) in (0x00, 0x80)


def _replace(stmts: list[Stmt], start: int, end: int, new: list[Stmt]) -> list[Stmt]:
    """Replace stmts[start..end] (inclusive); the last removed statement's comment is kept."""
    if new and stmts[end].comment and not new[-1].comment:
        from dataclasses import replace

        new = [*new[:-1], replace(new[-1], comment=stmts[end].comment)]
    return stmts[:start] + new + stmts[end + 1 :]


def _pairs(stmts: list[Stmt]) -> Iterator[tuple[int, int]]:
    for i in insn_indices(stmts):
        j = next_insn(stmts, i)
        if j is not None:
            yield i, j


def _stz_fwd(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        if a.mnemonic == "LDA" and immediate(a) == 0 and b.mnemonic == "STA" and b.suffix != ".l":
            op = b.operand.lower()
            if op.startswith(("(", "[", "#")) or op.endswith((",y", ",s")):
                continue
            addr = plain_address(b)
            if addr is not None and addr[1] == 6:
                continue
            yield _replace(stmts, i, j, [b.with_insn("STZ")]), {"slow": [a.text, b.text]}


def _stz_inv(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        imm = imm_text(0, w[i][0])
        if s.mnemonic == "STZ" and imm is not None:
            yield _replace(stmts, i, i, [_ins(f"LDA {imm}"), s.with_insn("STA")]), {"fast": [s.text]}


def _addsub_fwd(flag: str, op: str, fast: str) -> Callable[[list[Stmt], list[Width]], Iterator[Edit]]:
    def fwd(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
        for i, j in _pairs(stmts):
            a, b = stmts[i], stmts[j]
            if a.mnemonic == flag and b.mnemonic == op and immediate(b) == 1:
                yield _replace(stmts, i, j, [_ins(fast)]), {"slow": [a.text, b.text]}

    return fwd


def _addsub_inv(flag: str, op: str, fast: str) -> Callable[[list[Stmt], list[Width]], Iterator[Edit]]:
    def inv(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
        for i in insn_indices(stmts):
            s = stmts[i]
            imm = imm_text(1, w[i][0])
            if s.mnemonic == fast.split()[0] and s.operand.upper() in ("A", "") and imm is not None:
                yield _replace(stmts, i, i, [_ins(flag), _ins(f"{op} {imm}")]), {"fast": [s.text]}

    return inv


def _tail_fwd(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        if (a.mnemonic, b.mnemonic) in (("JSR", "RTS"), ("JSL", "RTL")) and not a.operand.startswith("("):
            jump = "JMP" if a.mnemonic == "JSR" else "JML"
            yield _replace(stmts, i, j, [a.with_insn(jump)]), {"slow": [a.text, b.text]}


def _tail_inv(stmts: list[Stmt], w: list[Width], calls: frozenset[str] = frozenset()) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        if s.mnemonic in ("JMP", "JML") and s.operand in calls:
            call, ret = ("JSR", "RTS") if s.mnemonic == "JMP" else ("JSL", "RTL")
            yield _replace(stmts, i, i, [s.with_insn(call), _ins(ret)]), {"fast": [s.text]}


def _redundant_width(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        v = immediate(s)
        if s.mnemonic not in ("REP", "SEP") or v is None or v & ~0x30:
            continue
        size = 16 if s.mnemonic == "REP" else 8
        m, x = w[i]
        if (not v & 0x20 or m == size) and (not v & 0x10 or x == size):
            yield delete(stmts, i), {"slow": [s.text]}


def _merge_fwd(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        va, vb = immediate(a), immediate(b)
        if a.mnemonic == b.mnemonic and a.mnemonic in ("REP", "SEP") and va is not None and vb is not None:
            yield (
                _replace(stmts, i, j, [a.with_insn(a.mnemonic, f"#${va | vb:02X}")]),
                {"slow": [a.text, b.text]},
            )


def _merge_inv(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        if s.mnemonic in ("REP", "SEP") and immediate(s) == 0x30:
            new = [s.with_insn(s.mnemonic, "#$20"), _ins(f"{s.mnemonic} #$10")]
            yield _replace(stmts, i, i, new), {"fast": [s.text]}


def _cancel_width(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        v = immediate(a)
        if {a.mnemonic, b.mnemonic} != {"REP", "SEP"} or v is None or v != immediate(b) or v & ~0x30:
            continue
        # The pair leaves the widths `b` selects: dropping it is only the same when they were
        # already selected before it, under every entry width the callers use.
        size = 16 if b.mnemonic == "REP" else 8
        m, x = w[i]
        if (not v & 0x20 or m == size) and (not v & 0x10 or x == size):
            yield delete(stmts, i, j), {"slow": [a.text, b.text]}


def _redundant_load(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    pairs = {"STA": "LDA", "STX": "LDX", "STY": "LDY"}
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        if (
            pairs.get(a.mnemonic) == b.mnemonic
            and a.operand == b.operand
            and a.suffix == b.suffix
            and not _is_io(a)
        ):
            yield delete(stmts, j), {"slow": [a.text, b.text]}


_CMP_OF = {"LDA": "CMP", "LDX": "CPX", "LDY": "CPY"}


def _cmp_zero_fwd(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        if _CMP_OF.get(a.mnemonic) == b.mnemonic and immediate(b) == 0:
            yield delete(stmts, j), {"slow": [a.text, b.text]}


def _cmp_zero_inv(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i, j in _pairs(stmts):
        a, b = stmts[i], stmts[j]
        if a.mnemonic in _CMP_OF and b.mnemonic in ("BEQ", "BNE", "BMI", "BPL"):
            width = w[i][0] if a.mnemonic == "LDA" else w[i][1]
            imm = imm_text(0, width)
            if imm is not None:
                yield (
                    [*stmts[: i + 1], _ins(f"{_CMP_OF[a.mnemonic]} {imm}"), *stmts[i + 1 :]],
                    {"fast": [a.text]},
                )


def _jmp_to_bra(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    labels = {s.text.rstrip(":") for s in stmts if s.kind == "label"}
    for i in insn_indices(stmts):
        s = stmts[i]
        if s.mnemonic == "JMP" and not s.suffix and s.operand in labels:
            yield _replace(stmts, i, i, [s.with_insn("BRA")]), {"slow": [s.text]}


def _bra_to_jmp(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
    for i in insn_indices(stmts):
        s = stmts[i]
        if s.mnemonic == "BRA" and not s.operand.startswith(("+", "-")):
            yield _replace(stmts, i, i, [s.with_insn("JMP")]), {"fast": [s.text]}


_CARRY_WRITERS = frozenset(
    [
        "ADC",
        "SBC",
        "CMP",
        "CPX",
        "CPY",
        "ASL",
        "LSR",
        "ROL",
        "ROR",
        "CLC",
        "SEC",
        "REP",
        "SEP",
        "PLP",
        "XCE",
        "RTI",
        "BRK",
        "COP",
    ]
)


def _carry_known(stmts: list[Stmt], i: int) -> int | None:
    """The carry before stmts[i] when straight-line code makes it certain, else None.

    Walks back over instructions that leave C alone (no label may intervene: a jump could
    arrive there with any carry) to a CLC/SEC, or to a BCS/BCC that fell through."""
    for j in range(i - 1, -1, -1):
        s = stmts[j]
        if s.kind in ("blank", "brace", "marker"):
            continue
        if s.kind != "insn":
            return None
        if s.mnemonic in ("CLC", "BCS"):
            return 0
        if s.mnemonic in ("SEC", "BCC"):
            return 1
        if s.mnemonic in _CARRY_WRITERS or s.mnemonic in (
            "JSR",
            "JSL",
            "JMP",
            "JML",
            "RTS",
            "RTL",
            "BRA",
            "BRL",
        ):
            return None
    return None


def _drop(mnemonic: str) -> Callable[[list[Stmt], list[Width]], Iterator[Edit]]:
    value = 0 if mnemonic == "CLC" else 1

    def drop(stmts: list[Stmt], w: list[Width]) -> Iterator[Edit]:
        for i in insn_indices(stmts):
            if stmts[i].mnemonic == mnemonic and _carry_known(stmts, i) == value:
                yield delete(stmts, i), {"slow": [stmts[i].text]}

    return drop


Transform = Callable[[list[Stmt], list[Width]], Iterator[Edit]]
# Rewrites that drop a width change: they are only proposed from entry widths the game's callers
# guarantee (see `caller_widths`), never from the widths the routine's own REP/SEP select.
_CALLER_WIDTH_REWRITES = frozenset({"redundant_width", "cancel_width"})


def caller_widths(entry_width: Any) -> tuple[int | None, int | None]:
    """The entry widths every caller is known to pass: a declared `@entry` tag, or the widths
    every known call site in the tree agrees on (source "caller"). A width read off the
    routine's own top REP/SEP or immediates says what the routine selects, not what it is
    called with, so it counts as unknown here: deleting that REP/SEP "because the entry width
    already matches" would be circular and break the callers that need it."""
    if getattr(entry_width, "source", "unknown") in ("tag", "caller"):
        return entry_width.m, entry_width.x
    return None, None


TRANSFORMS: dict[str, tuple[Transform, Transform | None]] = {
    "lda0_sta_to_stz": (_stz_fwd, _stz_inv),
    "clc_adc1_to_inc": (_addsub_fwd("CLC", "ADC", "INC A"), _addsub_inv("CLC", "ADC", "INC A")),
    "sec_sbc1_to_dec": (_addsub_fwd("SEC", "SBC", "DEC A"), _addsub_inv("SEC", "SBC", "DEC A")),
    "tail_call": (_tail_fwd, None),  # inverse needs the callee names: see _variants
    "redundant_width": (_redundant_width, None),
    "merge_width": (_merge_fwd, _merge_inv),
    "cancel_width": (_cancel_width, None),
    "redundant_load": (_redundant_load, None),
    "cmp_zero": (_cmp_zero_fwd, _cmp_zero_inv),
    "jmp_to_bra": (_jmp_to_bra, _bra_to_jmp),
    "drop_clc": (_drop("CLC"), None),
    "drop_sec": (_drop("SEC"), None),
}


def rewrites() -> list[dict[str, Any]]:
    items = catalog("rewrites.yaml")["rewrites"]
    assert isinstance(items, list)
    return items


def variants(
    text: str,
    rewrite: dict[str, Any],
    m0: int | None,
    x0: int | None,
    entry: str,
    calls: frozenset[str] = frozenset(),
    markers: frozenset[str] = frozenset(),
    caller: tuple[int | None, int | None] = (None, None),
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(direction, slow text, fast text, info) for one rewrite applied to routine text
    (`markers`: labels no code reaches, see asmtext; `caller`: the entry widths the callers
    guarantee, the only ones a width-dropping rewrite may rely on)."""
    stmts = parse(text, markers)
    widths = track(stmts, m0, x0, entry_label=entry)
    if rewrite["transform"] in _CALLER_WIDTH_REWRITES:
        widths = track(stmts, *caller, entry_label=entry)
    fwd, inv = TRANSFORMS[rewrite["transform"]]
    original = render(stmts)
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    for k, (edited, info) in enumerate(fwd(stmts, widths)):
        if k >= MAX_SITES:
            break
        out.append(("forward", original, render(edited), info))
    inverse: Iterator[Edit] | None = None
    if rewrite.get("inverse"):
        if rewrite["transform"] == "tail_call":
            inverse = _tail_inv(stmts, widths, calls)
        elif inv is not None:
            inverse = inv(stmts, widths)
    if inverse is not None:
        for k, (edited, info) in enumerate(inverse):
            if k >= MAX_SITES:
                break
            out.append(("inverse", render(edited), original, info))
    return out


def code_size(assembled: Any) -> int:
    return sum(len(c.data) for c in assembled.chunks)


class OptimizeGenerator:
    name = "optimize"
    task = "asm.optimize"

    def propose(self, ctx: Context) -> list[Candidate]:
        r = ctx.subject.routine
        cands: list[Candidate] = []
        for rw in rewrites():
            subj = ctx.subject
            m, x = r.entry_width.m, r.entry_width.x
            found = variants(
                subj.body, rw, m, x, r.name, frozenset(r.calls), subj.markers, caller_widths(r.entry_width)
            )
            for direction, slow_body, fast_body, info in found:
                slow, fast = subj.with_body(slow_body), subj.with_body(fast_body)
                # The side that differs from the original is the one that needs assembling and running.
                other = fast if direction == "forward" else slow
                payload = {"rewrite": rw, "direction": direction, "slow": slow, "fast": fast, "info": info}
                cands.append(Candidate(self.name, other, payload))
        return cands

    def judge(self, ctx: Context, cand: Candidate, assembled: Any) -> Sample | Reject | None:
        name = ctx.subject.inputs.name
        rw, direction = cand.payload["rewrite"], cand.payload["direction"]
        if not assembled.ok:
            return Reject(
                self.name, name, "rewrite-rejected-by-asar", f"{rw['id']}: {first_error(assembled)}"
            )
        entry = ctx.subject.entry_of(assembled)
        if entry is None:
            return Reject(self.name, name, "no-entry-symbol", rw["id"])
        specs = [s for s, _ in ctx.good]
        base = [o for _, o in ctx.good]
        other = run_states(assembled, entry, ctx.subject.convention, specs, limits_against(base))
        for spec, a, b in zip(specs, base, other, strict=True):
            diffs = differences(a, b)
            if diffs:
                return Reject(
                    self.name, name, "not-equivalent", f"{rw['id']} ({direction}) on {spec.name}: {diffs[0]}"
                )
        slow_out, fast_out = (base, other) if direction == "forward" else (other, base)
        size_orig, size_other = code_size(ctx.image), code_size(assembled)
        slow_size, fast_size = (size_orig, size_other) if direction == "forward" else (size_other, size_orig)
        saved_cycles = [s.cycles - f.cycles for s, f in zip(slow_out, fast_out, strict=True)]
        saved_bytes = slow_size - fast_size
        if min(saved_cycles) < 0 or saved_bytes < 0 or (saved_bytes == 0 and max(saved_cycles) <= 0):
            return Reject(
                self.name, name, "no-saving", f"{rw['id']}: bytes {saved_bytes}, cycles {min(saved_cycles)}"
            )
        # The recorded outcomes are the fast side's, from where that side ran.
        ran = (entry, assembled) if direction == "forward" else (ctx.entry, ctx.image)
        slow_image = ctx.image if direction == "forward" else assembled
        cand.payload["hex"] = answer_hex(slow_image, ran[1])
        return self._sample(
            ctx, cand, specs, fast_out, ran, saved_bytes, saved_cycles, (slow_size, fast_size)
        )

    def _sample(
        self,
        ctx: Context,
        cand: Candidate,
        specs: list[Any],
        fast_out: list[Any],
        ran: tuple[int, Any],  # (entry, image) of the run that produced fast_out
        saved_bytes: int,
        saved_cycles: list[int],
        sizes: tuple[int, int],
    ) -> Sample:
        r = ctx.subject.routine
        rw = cand.payload["rewrite"]
        ew = r.entry_width
        user = (
            f"Optimize this ALTTP routine for size and speed without changing its behaviour "
            f"(registers, flags and memory must end up identical). It is {call_text(ctx.subject.convention)}; "
            f"entry widths: {width_text(ew.m, ew.x)}.\n\n{fence(cand.payload['slow'])}"
        )
        mean = sum(saved_cycles) / len(saved_cycles)
        lo, hi = min(saved_cycles), max(saved_cycles)
        cyc = f"{lo} cycles" if lo == hi else f"{lo}-{hi} cycles (mean {mean:.1f})"
        slow_lines = cand.payload["info"].get("slow") or cand.payload["info"].get("fast") or []
        assistant = (
            f"**{rw['title']}** ({'`' + ' : '.join(slow_lines) + '`' if slow_lines else ''}). "
            f"{' '.join(str(rw['explain']).split())}\n\n"
            f"Measured: {saved_bytes} byte{'s' if saved_bytes != 1 else ''} smaller ({sizes[0]} -> {sizes[1]} bytes "
            f"assembled) and {cyc} faster per call, identical results on {len(specs)} test states "
            f"(including carry, decimal-mode and boundary inputs).\n\n{fence(cand.payload['fast'])}"
        )
        verification = proven(
            "asar+differential-exec",
            len(specs),
            {
                "rewrite": rw["id"],
                "direction": cand.payload["direction"],
                "saved_bytes": saved_bytes,
                "saved_cycles": [lo, hi, round(mean, 2)],
            },
        )
        meta = {
            "rewrite": rw["id"],
            "slow": cand.payload["slow"],
            "saved_bytes": saved_bytes,
            "saved_cycles_mean": round(mean, 2),
            "assembled_hex": cand.payload["hex"],
            "exec": {
                **exec_record(
                    r.name,
                    ran[0],
                    ctx.subject.convention,
                    specs,
                    fast_out,
                    ran[1],
                ),
                "code": cand.payload["fast"],
            },
        }
        return make_sample(ctx, self.name, self.task, user, assistant, verification, meta)
