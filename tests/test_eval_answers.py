"""Answer extraction: fences, bare code, several blocks, thinking sections."""

from __future__ import annotations

from triforce.evaluate.answers import extract_asm, extract_json, strip_thinking

ROUTINE = "AddTen:\n    CLC\n    ADC #$000A\n    RTL\n"


def test_fenced_variants() -> None:
    for fence in ("```asm", "```65816", "```", "~~~asar", "```ASM"):
        close = "~~~" if fence.startswith("~") else "```"
        code, _ = extract_asm(f"Sure:\n{fence}\n{ROUTINE}{close}\nDone.", "AddTen")
        assert code is not None and "ADC #$000A" in code, fence


def test_bare_answer_drops_prose() -> None:
    code, _ = extract_asm(
        f"Here is the routine you asked for.\n{ROUTINE}The carry is cleared first.", "AddTen"
    )
    assert code is not None
    assert "Here is" not in code and "carry is cleared" not in code and "RTL" in code


def test_block_defining_entry_wins_and_last_revision_is_used() -> None:
    usage = "```asm\n    JSL AddTen\n```"
    first = "```asm\nAddTen:\n    ADC #$000A\n    RTL\n```"
    fixed = "```asm\nAddTen:\n    CLC\n    ADC #$000A\n    RTL\n```"
    code, note = extract_asm(f"{usage}\nFirst try:\n{first}\nFixed:\n{fixed}", "AddTen")
    assert code is not None and "CLC" in code and "block 3 of 3" in note


def test_helper_block_is_appended() -> None:
    text = "```asm\nMain:\n    JSR Helper\n    RTL\n```\nand\n```asm\nHelper:\n    INC A\n    RTS\n```"
    code, note = extract_asm(text, "Main")
    assert code is not None and "Helper:" in code and "helper" in note


def test_thinking_is_stripped() -> None:
    text = f"<think>maybe\n```asm\nAddTen:\n    STP\n```\n</think>\n```asm\n{ROUTINE}```"
    code, _ = extract_asm(text, "AddTen")
    assert code is not None and "STP" not in code
    assert strip_thinking("reasoning...</think>answer") == "answer"
    assert strip_thinking("<think>never closed") == ""


def test_missing_entry_and_no_code() -> None:
    assert extract_asm("```asm\nOther:\n RTL\n```", "AddTen") == (
        None,
        "entry label 'AddTen' is not defined in any of 1 code block(s)",
    )
    assert extract_asm("", "AddTen")[1] == "no code in the answer"
    assert extract_asm('```json\n{"a": 1}\n```', "AddTen")[1] == "no code in the answer"


def test_extract_json_fenced_and_inline() -> None:
    assert extract_json('```json\n{"a": 1}\n```')[0] == {"a": 1}
    assert extract_json('The answer is {"a": {"b": "}"}} ok')[0] == {"a": {"b": "}"}}
    data, err = extract_json("{'single': quotes}")
    assert data is None and "did not parse" in err
