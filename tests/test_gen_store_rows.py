"""EncodedRow: a sample that crosses processes as the JSON text it was made with (arriving as a
SampleText: the text, its id and generator) and reaches the files as that text."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from triforce.generate.store import EncodedRow, SampleText, UnitLog, write_jsonl_atomic


def test_row_pickles_as_its_text_and_writes_the_same_line(tmp_path: Path) -> None:
    row = EncodedRow({"id": "x", "meta": {"generator": "base"}, "text": "é $7E"})
    back = pickle.loads(pickle.dumps(row))
    assert back == SampleText("x", "base", row.text) and json.loads(back.text) == row
    plain = dict(row)
    write_jsonl_atomic(tmp_path / "a.jsonl", [back])
    write_jsonl_atomic(tmp_path / "b.jsonl", [plain])
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_unit_log_line_loads_back_to_the_unit(tmp_path: Path) -> None:
    unit = {
        "routine": "r",
        "generators": ["base"],
        "samples": [
            EncodedRow({"id": "1", "meta": {"generator": "base"}}),
            {"id": "2", "meta": {"generator": "doc"}},
        ],
        "rejects": [],
        "candidates": {"base": 2},
    }
    log = UnitLog(tmp_path, {"seed": 0})
    log.append(unit)
    log.append({**unit, "routine": "s", "samples": []})
    log.close()
    lines = (tmp_path / ".work" / "units.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == unit
    assert json.loads(lines[1])["samples"] == []
    kept = {**unit, "samples": [SampleText.of(s) for s in unit["samples"]]}
    assert log.units[0] == kept and [s.generator for s in kept["samples"]] == ["base", "doc"]
    assert UnitLog(tmp_path, {"seed": 0}).units[0] == kept  # a resumed build reads it back
