"""Property tests: cosmetic rewrites of a routine never change its normalized form, and real
changes (another operand width, another instruction) always do."""

from hypothesis import given, settings
from hypothesis import strategies as st

from triforce.dataset.normalize import code_blocks, looks_like_asm, normalize_asm, normalize_text

MNEMONICS = ["LDA", "STA", "ADC", "SBC", "CMP", "AND", "ORA", "INC", "DEC"]
IMPLIED = ["CLC", "SEC", "INX", "DEX", "INY", "DEY", "TAX", "PHA", "PLA", "RTS", "RTL"]

# An instruction is (mnemonic, operand value, operand width in bytes, immediate?) or an implied op.
instr = st.one_of(
    st.tuples(st.sampled_from(MNEMONICS), st.integers(0, 0xFF), st.sampled_from([1, 2, 3]), st.booleans()),
    st.sampled_from(IMPLIED),
)


def _operand(value: int, width: int, style: str) -> str:
    if style == "hex":
        return "$" + format(value, "X").rjust(2 * width, "0")
    if style == "0x":
        return "0x" + format(value, "x").rjust(2 * width, "0")
    return "%" + format(value, "b").rjust(8 * width, "0")


def _render(prog: list[object], style: str, upper: bool, comments: bool, label: str, anon: bool) -> str:
    lines = [f"{label}:"]
    for k, ins in enumerate(prog):
        if isinstance(ins, str):
            text = ins
        else:
            mnem, value, width, imm = ins  # type: ignore[misc]
            if imm:
                width = min(width, 2)
            text = f"{mnem} {'#' if imm else ''}{_operand(value, width, style)}"
        text = text if upper else text.lower()
        lines.append(("    " if k % 2 else "\t") + text + (f"   ; step {k}" if comments else ""))
    # a loop back to the top, through an anonymous or a named local label
    if anon:
        lines.insert(1, "-")
        lines.append("    BNE -")
    else:
        lines.insert(1, ".loop")
        lines.append("    BNE .loop")
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(instr, min_size=1, max_size=12),
    st.sampled_from(["hex", "0x", "bin"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_cosmetic_rewrites_normalize_equal(
    prog: list[object], style: str, upper: bool, comments: bool, anon: bool
) -> None:
    reference = normalize_asm(_render(prog, "hex", True, False, "Routine", False))
    assert normalize_asm(_render(prog, style, upper, comments, "Other_Name", anon)) == reference


@settings(max_examples=40, deadline=None)
@given(st.lists(instr, min_size=1, max_size=8), st.integers(0, 7))
def test_operand_width_changes_are_kept(prog: list[object], pick: int) -> None:
    operands = [i for i, ins in enumerate(prog) if not isinstance(ins, str) and not ins[3] and ins[2] < 3]  # type: ignore[index]
    if not operands:
        return
    k = operands[pick % len(operands)]
    mnem, value, width, imm = prog[k]  # type: ignore[misc]
    wider = [*prog[:k], (mnem, value, width + 1, imm), *prog[k + 1 :]]
    assert normalize_asm(_render(prog, "hex", True, False, "R", False)) != normalize_asm(
        _render(wider, "hex", True, False, "R", False)
    )


def test_normalize_is_idempotent_on_a_routine() -> None:
    once = normalize_asm("Main:\n  LDA #$01 ; one\n.l\n  DEX\n  BNE .l\n  RTL")
    assert normalize_asm(once) == once


def test_comment_inside_string_is_not_a_comment() -> None:
    assert normalize_asm('db "a;b"\nRTS') != normalize_asm('db "a"\nRTS')


def test_text_normalization_and_code_detection() -> None:
    assert normalize_text("  Ｌｉｎｋ\tGETS\n a  sword ") == "link gets a sword"
    assert code_blocks("Intro\n```asm\nLDA #$01\nRTL\n```\nOutro") == [("asm", "LDA #$01\nRTL\n")]
    assert looks_like_asm("LDA #$01\nSTA $7EF360\nRTL")
    assert not looks_like_asm("Link walks into the woods.\nHe finds a sword.")


def test_cpp_comments_and_layout_do_not_matter() -> None:
    from triforce.dataset.normalize import normalize_code

    a = "int Decompress(uint8_t* src) {\n  // LC_LZ2 header\n  return src[0] >> 5; /* command */\n}"
    b = "int Decompress(uint8_t* src) {\n    return src[0] >> 5;\n}\n"
    assert normalize_code("cpp", a) == normalize_code("cpp", b)
    assert normalize_code("cpp", a) != normalize_code("cpp", b.replace(">> 5", ">> 4"))
