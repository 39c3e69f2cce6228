"""Suites as data: bundled suites load, broken items are reported by file, line and field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from triforce.errors import InputError
from triforce.evaluate.suite import bundled_suites, load_suite

GOOD = {
    "id": "x.1",
    "category": "lore",
    "prompt": "Who?",
    "reference": '```claims\n[["Agahnim", "serves", "Ganon"]]\n```',
    "grading": {"kind": "lore-claims", "ask": [["agahnim", "serves"]]},
    "tags": [],
}


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "mine.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_bundled_suites_cover_every_category() -> None:
    names = bundled_suites()
    assert {"asm", "latency", "graphics", "lore", "quest", "cross"} <= set(names)
    cats = Counter(i.category for n in names for i in load_suite(n).items)
    assert all(cats[c] >= 2 for c in ("graphics", "lore", "quest", "cross", "latency"))


def test_asm_suite_shape() -> None:
    suite = load_suite("asm")
    assert len(suite.items) >= 120
    topics = Counter(i.tags[0] for i in suite.items)
    for topic in ("arith", "bcd", "flags", "loops", "width", "stack", "block", "calls", "hwmath", "alttp"):
        assert topics[topic] >= 5, topic
    for item in suite.items:
        spec = item.spec()
        assert len(spec.states) >= 2, item.id  # type: ignore[attr-defined]
        assert f"`{spec.entry}`" in item.prompt  # type: ignore[attr-defined]
        assert ("JSL" in item.prompt) == (spec.convention == "jsl")  # type: ignore[attr-defined]
    assert sum(len(i.spec().states) for i in suite.items) >= 500  # type: ignore[attr-defined]


def test_user_suite_loads_from_path(tmp_path: Path) -> None:
    suite = load_suite(_write(tmp_path, [GOOD]))
    assert suite.items[0].id == "x.1"


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("{not json", "mine.jsonl:2: not valid JSON"),
        ({**GOOD, "id": "x.2", "category": "poetry"}, "mine.jsonl:2: field 'category'"),
        ({**GOOD, "id": "x.2", "grading": {"kind": "vibes"}}, "field 'grading.kind': unknown grader 'vibes'"),
        (
            {**GOOD, "id": "x.2", "grading": {"kind": "lore-claims", "ask": [["no_such_entity", "boss"]]}},
            "field 'grading.ask'",
        ),
        (
            {
                **GOOD,
                "id": "x.2",
                "grading": {
                    "kind": "asm-exec",
                    "entry": "E",
                    "convention": "jsl",
                    "states": [{"name": "s", "initial": {"a": "$zz"}, "expect": {}}],
                },
            },
            "field 'grading.states.0.initial.a'",
        ),
        ({**GOOD}, "field 'id': duplicate id 'x.1' (first on line 1)"),
    ],
)
def test_validation_errors_name_file_line_field(tmp_path: Path, row: object, needle: str) -> None:
    with pytest.raises(InputError) as err:
        load_suite(_write(tmp_path, [GOOD, row]))
    assert needle in str(err.value)


def test_unknown_suite_name_lists_bundled() -> None:
    with pytest.raises(InputError, match=r"bundled: .*asm"):
        load_suite("no-such-suite")


def test_shipped_jsonl_matches_its_source(tmp_path: Path) -> None:
    """The bundled JSONL is exactly what tools/build_eval_suites.py writes from tools/eval_suites/."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    subprocess.run(
        [sys.executable, str(root / "tools" / "build_eval_suites.py"), str(tmp_path)],
        check=True,
        env=env,
        capture_output=True,
    )
    for built in sorted(tmp_path.glob("*.jsonl")):
        shipped = root / "src" / "triforce" / "evaluate" / "suites" / built.name
        assert built.read_text() == shipped.read_text(), built.name


def test_bad_memory_address_is_caught_at_load(tmp_path: Path) -> None:
    row = {
        **GOOD,
        "id": "x.3",
        "grading": {
            "kind": "asm-exec",
            "entry": "E",
            "convention": "jsl",
            "states": [{"name": "s", "initial": {"memory": {"$7EZZ00": 1}}, "expect": {}}],
        },
    }
    with pytest.raises(InputError, match=r"field 'grading.states.0.initial.memory'.*not an address"):
        load_suite(_write(tmp_path, [GOOD, row]))
