import json
from pathlib import Path

import pytest

from dataset_factory import ROUTINE, ROUTINE_RESTYLED, make, prose_sample
from triforce.dataset.decontam import DecontamConfig, decontaminate, load_suite
from triforce.errors import InputError

LONG_PROMPT = (
    "Link has collected every pendant and now stands before the pedestal in the Lost Woods. "
    "Explain which memory address records that the Master Sword has been drawn and how a hack "
    "should check it before spawning the new boss."
)


def _suite(tmp_path: Path) -> Path:
    items = [
        {
            "id": "asm-rupees-1",
            "category": "asm",
            "prompt": "Add 16 rupees to the goal, capped at 999.",
            "reference": ROUTINE,
            "grading": {"kind": "asm-exec", "entry": "AddRupees", "convention": "jsl", "states": []},
            "tags": ["rupees"],
        },
        {
            "id": "lore-sword-2",
            "category": "lore",
            "prompt": LONG_PROMPT,
            "reference": "The sword flag lives in save data.",
            "tags": [],
        },
        {
            "id": "asm-bytes-3",
            "category": "asm",
            "prompt": "Store zero.",
            "reference": "db $00",
            "assembled_hex": "9C 5A F3 6B",
            "tags": [],
        },
    ]
    path = tmp_path / "asm-core.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_planted_contamination_is_removed_and_attributed(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    routine_copy = make(prose="Give Link money.", code=ROUTINE_RESTYLED, answer_prose="Sure.")
    bytes_copy = make(prose="Clear it.", code="Z:\n STZ $F35A\n RTL", meta={"assembled_hex": "9c5af36b"})
    prompt_copy = make(
        prose="Please answer: " + LONG_PROMPT.upper(),
        code=None,
        domain="nayru",
        task="lore.canon",
        source="zelda-lore",
    )
    clean = [prose_sample(i) for i in range(5)]
    kept, report = decontaminate([routine_copy, bytes_copy, prompt_copy, *clean], [suite])
    assert kept == clean
    hits = {h.sample_id: (h.kind, h.item_id, h.suite) for h in report.hits}
    assert hits[routine_copy.id] == ("routine", "asm-rupees-1", "asm-core")
    assert hits[bytes_copy.id] == ("bytes", "asm-bytes-3", "asm-core")
    assert hits[prompt_copy.id] == ("ngram", "lore-sword-2", "asm-core")
    assert report.to_dict()["removed"] == 3


def test_short_overlaps_do_not_count(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    # shares a few words and a tiny code block (below the minimum statement count)
    s = make(prose="Add 16 rupees please.", code="A:\n  RTL", answer_prose="ok")
    kept, report = decontaminate([s], [suite], config=DecontamConfig(assemble_references=False))
    assert kept == [s] and not report.hits


def test_ngram_length_is_configurable(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    eight = " ".join(LONG_PROMPT.split()[10:18])
    s = make(prose=f"Unrelated words then {eight} and more", code=None)
    assert decontaminate([s], [suite], config=DecontamConfig(ngram_words=13))[0] == [s]
    assert decontaminate([s], [suite], config=DecontamConfig(ngram_words=8))[0] == []


def test_bad_suite_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(
        '{"id": "a", "prompt": "p", "reference": "r"}\n{"id": "b", "prompt": 3}\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"broken\.jsonl:2: field prompt"):
        load_suite(path)


def test_no_suites_keeps_everything_and_says_so() -> None:
    kept, report = decontaminate([prose_sample(1)], [])
    assert len(kept) == 1
    assert "no evaluation items" in report.notes[0]


def test_suite_boilerplate_and_system_prompts_do_not_contaminate(tmp_path: Path) -> None:
    boiler = (
        "You are an expert in 65816 assembly for the asar assembler and you answer with one routine only."
    )
    items = [
        {"id": f"b{i}", "prompt": f"{boiler} Task {i}: {'x' * i}", "reference": "n/a"} for i in range(1, 5)
    ]
    path = tmp_path / "b.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    s = make(prose=f"{boiler} Write something new.", code=None)
    kept, report = decontaminate([s], [path])
    assert kept == [s]
    assert any("suite boilerplate" in n for n in report.notes)


def test_references_are_assembled_with_asar_for_the_bytes_check(tmp_path: Path) -> None:
    from triforce.snes.asar import assemble

    hexa = b"".join(c.data for c in assemble(ROUTINE, org=0x008000).chunks).hex()
    path = tmp_path / "s.jsonl"
    path.write_text(
        json.dumps({"id": "r1", "prompt": "Add rupees.", "reference": ROUTINE}) + "\n", encoding="utf-8"
    )
    # the same bytes written as data: no code or text overlap, only the bytes match
    s = make(prose="Emit it as data.", code="Data:\n  db $C2,$20\n  db $AF", meta={"assembled_hex": hexa})
    kept, report = decontaminate([s], [path])
    assert kept == []
    assert (report.hits[0].kind, report.hits[0].item_id) == ("bytes", "r1")


def test_routine_embedded_in_a_larger_block_is_found(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    hooked = (
        "org $0DDE5F\n  JSL Hook\n\nHook:\n  PHB\n"
        + ROUTINE_RESTYLED.replace("give_money:", ".body")
        + "\n  PLB\n  RTL"
    )
    s = make(prose="Hook the rupee routine.", code=hooked, answer_prose="Patched.")
    kept, report = decontaminate([s], [suite], config=DecontamConfig(assemble_references=False))
    assert kept == []
    assert (report.hits[0].kind, report.hits[0].item_id) == ("routine", "asm-rupees-1")
    assert "consecutive statements" in report.hits[0].detail
    # the same hook around unrelated code is clean
    other = make(
        prose="Hook.", code="Hook:\n  PHB\n  LDA #$01\n  STA $7EF36D\n  PLB\n  RTL", answer_prose="ok"
    )
    assert decontaminate([other], [suite], config=DecontamConfig(assemble_references=False))[0] == [other]


_BLAME_SCRIPT = """
import json, sys
from pathlib import Path
from dataset_factory import make
from triforce.dataset.decontam import DecontamConfig, decontaminate
suite = Path(sys.argv[1])
text = Path(sys.argv[2]).read_text()
sample = make(prose=text, code=None, domain="nayru", task="lore.canon", source="zelda-lore")
_, report = decontaminate([sample], [suite], config=DecontamConfig(assemble_references=False))
print(json.dumps(report.to_dict()["hits_by_item"]))
"""


def test_removed_sample_is_blamed_on_the_same_item_in_every_process(tmp_path: Path) -> None:
    """Python salts str hashes per process; the item a removal is blamed on must not follow the salt."""
    import os
    import subprocess
    import sys

    first = "The tower of Hera keeps its big key behind a crystal switch that turns blue pegs red on each hit"
    second = "Ganon's bats in the pyramid fall when the silver arrows strike after the hammer stuns him twice"
    words = ["lamp", "rod", "cape", "boots", "flute", "net", "book", "mirror", "hookshot", "bombos"]
    items = [
        {"id": "lore-b", "category": "lore", "prompt": second, "reference": "-", "tags": []},
        {"id": "lore-a", "category": "lore", "prompt": first, "reference": "-", "tags": []},
    ]
    suite = tmp_path / "lore.jsonl"
    suite.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    # the sample quotes both items, `first` earlier in the text: the blame goes to lore-a every time
    text = tmp_path / "sample.txt"
    text.write_text(f"{first}. {' '.join(words)}. {second}.", encoding="utf-8")
    tests_dir = Path(__file__).parent
    env_base = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests_dir.parent / "src"), str(tests_dir)])}
    seen = set()
    for seed in range(8):
        proc = subprocess.run(
            [sys.executable, "-c", _BLAME_SCRIPT, str(suite), str(text)],
            env={**env_base, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        )
        seen.add(proc.stdout.strip())
    assert seen == {json.dumps({"lore/lore-a": 1})}
