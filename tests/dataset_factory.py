"""Small, realistic samples for the dataset tests (not a test module itself)."""

from __future__ import annotations

from triforce.sample import Message, Provenance, Sample, Verification

ROUTINE = """AddRupees:
    REP #$20          ; 16-bit A
    LDA $7EF360       ; rupee goal
    CLC
    ADC #$0010
    CMP #$03E7
    BCC .store
    LDA #$03E7        ; cap at 999
.store
    STA $7EF360
    SEP #$20
    RTL"""

# The same routine as another generator might write it: other label names, hex notation,
# comments, case and layout.
ROUTINE_RESTYLED = """give_money:
  rep #%00100000
  lda 0x7ef360
  clc : adc #$0010
  cmp #$03e7
  bcc +
  lda #$03E7
+ sta $7EF360 ; write back
  sep #32
  rtl"""


def make(
    prose: str = "Write a routine that adds 16 rupees to the rupee goal, capped at 999.",
    code: str | None = ROUTINE,
    answer_prose: str = "Here is the routine; it runs with 16-bit A and restores 8-bit A.",
    *,
    domain: str = "din",
    task: str = "asm.base",
    source: str = "alttp-asm-base",
    corpus: str = "bundled",
    origin: str = "original",
    routine: str | None = None,
    group: str = "",
    passed: bool | None = None,
    states: int = 0,
    meta: dict[str, object] | None = None,
) -> Sample:
    answer = answer_prose + (f"\n\n```asm\n{code}\n```" if code else "")
    verification = None
    if passed is not None:
        verification = Verification(
            assembled=True, executed=passed, passed=passed, states_tested=states, method="asar+exec"
        )
    return Sample(
        messages=[Message(role="user", content=prose), Message(role="assistant", content=answer)],
        domain=domain,  # type: ignore[arg-type]
        task=task,
        source=source,
        provenance=Provenance(corpus=corpus, origin=origin, routine=routine),  # type: ignore[arg-type]
        verification=verification,
        group=group,
        meta=meta or {},
    )


def prose_sample(
    i: int, domain: str = "nayru", task: str = "lore.canon", source: str = "zelda-lore"
) -> Sample:
    """A distinct prose-only sample (its own group)."""
    words = [
        "master",
        "sword",
        "pedestal",
        "lost",
        "woods",
        "kakariko",
        "hyrule",
        "castle",
        "agahnim",
        "zora",
    ]
    text = " ".join(f"{words[(i * 7 + k * 3) % len(words)]}{(i * 31 + k) % 97}" for k in range(30))
    return make(
        prose=f"Question {i}: {text}",
        code=None,
        answer_prose=f"Answer {i}: {text[::-1]}",
        domain=domain,
        task=task,
        source=source,
        routine=f"item{i}",
    )
