"""A sample's proof does not depend on how it was assembled: the batched build (many routines per
asar run, each in its own slot) and the one-process-per-sample baseline write identical files.

The routines below include the kinds whose evidence used to follow their slot: a table read with
an index past the table's end (it reads memory relative to where the code sits), a routine that
loads its own address, calls to routines the corpus lacks (stubs), and a hookable routine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gen_helpers import DATA
from triforce.generate.build import BuildOptions, run_build
from triforce.generate.routines import load_routines
from triforce.generate.synth import GENERATORS

EXTRA = """
; Price of shop slot X (0-2), read from a word table after the code.
; @entry m16 x16
Shop_PriceOf:
    TXA
    CLC
    ADC.w #$0000
    ASL A
    TAX
    LDA.l .cost,X
    RTL
.cost
    dw $0014, $001E, $0050

; Where this routine is, for a caller that builds a pointer.
; @entry m16 x16
Self_Address:
    LDA.w #Self_Address
    LDX.w #Self_Address>>16
    RTL

; Refill through helpers the corpus does not have.
; @entry m8 x8
Refill_Hearts:
    JSL Sound_PlayHeal
    LDA.l $7EF36C
    STA.l $7EF36D
    JSR Hud_Redraw
    RTL
"""


def _build(tree: Path, out: Path, batch: bool) -> bytes:
    """Build and return samples.jsonl followed by rejects.jsonl (both must match across modes)."""
    run_build(
        load_routines([tree]),
        out,
        # the ASM generators: the domain generators' evidence does not come from routine batches
        BuildOptions(generators=list(GENERATORS), workers=1, chunk=4, seed=3, batch_asar=batch),
    )
    return (out / "samples.jsonl").read_bytes() + b"--rejects--\n" + (out / "rejects.jsonl").read_bytes()


def test_batched_and_one_process_builds_write_identical_samples(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(DATA, tree)
    (tree / "extra.asm").write_text(EXTRA)
    batched = _build(tree, tmp_path / "batched", batch=True)
    alone = _build(tree, tmp_path / "alone", batch=False)
    assert batched.count(b"\n") >= 40
    samples, rejects = batched.split(b"--rejects--\n")
    assert b"Shop_PriceOf" in samples
    # a routine whose results hang on calls to stubs (code the tree lacks) is refused, in both modes
    assert b"Refill_Hearts" not in samples and b'"reason":"runs-stub","routine":"Refill_Hearts"' in rejects
    if batched != alone:  # name the first sample that differs
        for i, (a, b) in enumerate(zip(batched.splitlines(), alone.splitlines(), strict=False)):
            assert a == b, f"sample {i + 1} differs:\n{a[:400]!r}\n{b[:400]!r}"
    assert batched == alone
